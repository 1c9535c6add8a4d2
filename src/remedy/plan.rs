//! What a report asks to fix: the distinct EC2 calls, and which were chosen.

use super::action::Action;

/// One EC2 call of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub image_id: String,
    /// From a live scan's report; `None` offline.
    pub account_id: Option<String>,
    /// From a live scan's report, else `--region` or the profile's.
    pub region: Option<String>,
    pub action: Action,
    /// The rules whose findings this call fixes.
    pub rules: Vec<String>,
}

impl Call {
    /// Why `amilint fix` does not make this call, if it does not. `named`:
    /// the rules the user named (`--rule`); a change that can block launches
    /// is made only for a rule named there, never by `--apply --yes` alone.
    pub fn held(
        &self,
        allow_irreversible: bool,
        named: &[String],
        now: jiff::Timestamp,
    ) -> Option<&'static str> {
        let past = match &self.action {
            Action::EnableDeprecation { deprecate_at } => deprecate_at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|at| at <= now),
            _ => false,
        };
        if past {
            // It would deprecate the image at once: scan again for a fresh date.
            Some("DeprecateAt is not in the future (an old report?): scan again")
        } else if self.action.can_block_launches()
            && !self
                .rules
                .iter()
                .any(|r| named.iter().any(|n| n.eq_ignore_ascii_case(r)))
        {
            Some(
                "can block launches (accounts the image is shared with lose it): made only when its rule is named with --rule",
            )
        } else if !self.action.in_place() {
            Some(
                "not made by amilint fix: it makes a new image; move its users to the copy yourself",
            )
        } else if !self.action.reversible() && !allow_irreversible {
            Some("cannot be undone: pass --allow-irreversible to make it")
        } else {
            None
        }
    }

    pub fn command(&self) -> String {
        self.action.command(&self.image_id, self.region.as_deref())
    }
}

/// What a report asks to fix.
#[derive(Debug, Default)]
pub struct Plan {
    /// Distinct calls, in the report's order.
    pub calls: Vec<Call>,
    /// Findings left alone: suppressed by a waiver or tag.
    pub suppressed: usize,
    /// Findings whose rule knows no exact fix.
    pub without_fix: usize,
    /// Findings on images the report does not show as owned (`owned`).
    pub not_owned: usize,
    /// The report's own errors (images or scopes it could not scan).
    pub report_errors: usize,
}

/// Which findings to fix.
#[derive(Debug, Default)]
pub struct Selection {
    /// Rule codes; empty: all.
    pub rules: Vec<String>,
    /// Image ids; empty: all.
    pub image_ids: Vec<String>,
}
