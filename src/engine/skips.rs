//! What the rules could not judge, counted over a run: one note per rule and
//! cause at the end.

use std::collections::BTreeMap;

use crate::finding::{Cause, Note};
use crate::rules::{RuleMeta, Subject};

/// How many images each rule of the plan was skipped on for lack of the
/// data it needs (by the rule's place in `plan.rules`), and on how many it
/// met a date it cannot read (with the first such field).
pub(super) struct Skips {
    no_data: [u64; 128],
    unreadable: BTreeMap<usize, (&'static str, u64)>,
}

impl Default for Skips {
    fn default() -> Self {
        Skips {
            no_data: [0; 128],
            unreadable: BTreeMap::new(),
        }
    }
}

impl Skips {
    /// Counts one image's skips: its `Linted::skipped` mask and `unreadable`.
    pub(super) fn add(&mut self, mut mask: u128, unreadable: &[(usize, &'static str)]) {
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            self.no_data[i] += 1;
            mask &= mask - 1;
        }
        for &(i, field) in unreadable {
            self.unreadable.entry(i).or_insert((field, 0)).1 += 1;
        }
    }

    /// One note per skipped rule and cause, in code order.
    /// A fleet rule's counts are of workloads (`workloads`).
    pub(super) fn notes(
        &self,
        rules: &[&'static RuleMeta],
        images: u64,
        workloads: u64,
    ) -> Vec<Note> {
        let no_data = rules
            .iter()
            .zip(self.no_data)
            .filter(|(_, skipped)| *skipped > 0)
            .map(|(rule, skipped)| match rule.subject {
                Subject::Fleet => Note {
                    rule,
                    skipped,
                    images: workloads,
                    cause: Cause::ImageUnknown,
                },
                _ => Note {
                    rule,
                    skipped,
                    images,
                    cause: Cause::NoData,
                },
            });
        let unreadable = self.unreadable.iter().map(|(&i, &(field, skipped))| Note {
            rule: rules[i],
            skipped,
            images: if rules[i].subject == Subject::Fleet {
                workloads
            } else {
                images
            },
            cause: Cause::Unreadable(field),
        });
        let mut notes: Vec<Note> = no_data.chain(unreadable).collect();
        notes.sort_by_key(|n| n.rule.code);
        notes
    }
}
