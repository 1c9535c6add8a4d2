//! The JSON report: `crate::output::v1` defines it; this writes it from a
//! scan's `Report`, streaming (findings through a fast line writer that a
//! test holds equal to `v1::Finding`).

use std::borrow::Cow::Borrowed;

use super::line::Object;
use crate::finding::{Finding, Report};
use crate::output::v1;

/// Everything before the first finding.
pub fn head(report: &Report, out: &mut Vec<u8>) {
    v1::head(&tool(report), out);
}

/// One image's findings, one per line; `,` separates images.
pub fn image(findings: &[Finding], requests: bool, out: &mut Vec<u8>) {
    for (i, f) in findings.iter().enumerate() {
        v1::separate(i == 0, out);
        line(f, requests, out);
    }
}

/// One finding as compact JSON, exactly `JsonFinding` serialised (a test
/// holds them together), written directly because a large scan writes
/// millions of them.
fn line(f: &Finding, requests: bool, out: &mut Vec<u8>) {
    Object::write(out, |o| {
        o.str("rule_id", f.rule.code);
        o.str("rule_name", f.rule.name);
        o.str("severity", f.severity.as_str());
        o.str("subject", f.subject(requests));
        o.str("image_id", &f.image_id);
        o.opt_str("image_name", f.image_name.as_deref());
        let scope = f.scope.as_deref();
        o.opt_str("account_id", scope.map(|s| s.account_id.as_str()));
        o.opt_str("region", scope.map(|s| s.region.as_str()));
        o.opt_str("image_arn", scope.and_then(|s| f.image_arn_of(s)));
        if let Some(link) = &f.workload {
            if let Some(arn) = f.resource_arn() {
                o.str("resource_arn", arn);
            }
            o.str("uses_image_id", &link.image_id);
        }
        o.str("message", &f.message);
        o.object("location", |o| {
            o.str("uri", &f.location.uri);
            o.num("line", f.location.line);
            o.num("column", f.location.column);
            o.str("pointer", f.location.pointer.as_str());
            o.opt_num("field_line", f.location.field_line);
            if let Some(uri) = &f.location.field_uri {
                o.str("field_uri", uri);
            }
        });
        o.str("fingerprint", &f.fingerprint);
        o.opt_object("suppression", f.suppression.as_ref(), |o, s| {
            o.str("kind", s.kind.as_str());
            o.str("justification", &s.justification);
        });
        o.opt_str("baseline_state", f.baseline.map(|b| b.as_str()));
        o.opt_object("remediation", f.fix.as_ref(), |o, x| {
            o.strings("commands", &x.commands);
            o.array("actions", &x.actions, |o, a| {
                o.str("operation", a.operation());
                o.serialized("input", &a.input(&f.image_id));
            });
            o.opt_str("note", x.note.as_deref());
            o.bool("reversible", x.reversible);
        });
        o.opt_object("usage", f.usage.as_deref(), |o, u| {
            o.num("total", u.total as u64);
            o.object("by_type", |o| {
                for (kind, n) in &u.by_type {
                    o.num(kind, *n as u64);
                }
            });
            o.strings("resources", &u.resources);
        });
        o.opt_bool("owned", f.owned);
        o.concat_strings(
            "compliance",
            f.rule
                .compliance
                .iter()
                .map(|c| [c.framework.id(), "/", c.id]),
        );
    });
}

/// Everything after the last finding.
pub fn tail(report: &Report, out: &mut Vec<u8>) {
    v1::tail(&typed(report), report.tally.findings > 0, out);
}

fn tool(report: &Report) -> v1::Tool<'_> {
    v1::Tool {
        name: Borrowed("amilint"),
        version: Borrowed(report.tool_version),
    }
}

/// The report as v1 has it, without its findings (they were streamed).
fn typed(report: &Report) -> v1::Report<'_> {
    v1::Report {
        schema_version: v1::SCHEMA_VERSION,
        tool: tool(report),
        findings: Vec::new(),
        scan: v1::Scan {
            now: report.now.to_string().into(),
            inputs: report.inputs.iter().map(|i| Borrowed(&**i)).collect(),
            rules: report.rules.iter().map(|r| Borrowed(r.code)).collect(),
            fail_on: Borrowed(report.fail_on.map_or("never", |s| s.as_str())),
            gate_in_use: report.gate_in_use,
            config: report.config.as_deref().map(Borrowed),
            scopes: report
                .scopes
                .iter()
                .map(|s| v1::Scope {
                    account_id: Borrowed(&s.account_id),
                    region: Borrowed(&s.region),
                    status: Borrowed(if s.outcome.is_ok() {
                        "scanned"
                    } else {
                        "failed"
                    }),
                    images: s.outcome.as_ref().ok().copied(),
                    error: s.outcome.as_ref().err().map(|e| Borrowed(e.as_str())),
                })
                .collect(),
            api_calls: report.api_calls,
        },
        errors: report
            .errors
            .iter()
            .map(|e| v1::Error {
                kind: Borrowed(e.kind.as_str()),
                message: Borrowed(&e.message),
                rule_id: e.rule.map(|r| Borrowed(r.code)),
                image_id: e.image_id.as_deref().map(Borrowed),
                account_id: e.scope.as_ref().map(|s| Borrowed(s.0.as_str())),
                region: e.scope.as_ref().map(|s| Borrowed(s.1.as_str())),
                script: e.source.as_ref().map(|s| Borrowed(&*s.uri)),
                line: e.source.as_ref().and_then(|s| s.line),
                column: e.source.as_ref().and_then(|s| s.column),
            })
            .collect(),
        warnings: report
            .warnings
            .iter()
            .map(|w| v1::Warning {
                message: Borrowed(&w.message),
                file: w.source.as_ref().map(|s| Borrowed(&*s.uri)),
                line: w.source.as_ref().and_then(|s| s.line),
            })
            .collect(),
        notes: report
            .notes
            .iter()
            .map(|n| v1::Note {
                rule_id: Borrowed(n.rule.code),
                skipped: n.skipped,
                images: n.images,
                needs: n.needs(),
                message: n.to_string().into(),
            })
            .collect(),
        summary: v1::Summary {
            images_scanned: report.images_scanned,
            images_skipped: report.images_skipped,
            images_not_owned: report.not_owned.images(),
            not_owned_by_owner: report
                .not_owned
                .by_owner
                .iter()
                .map(|(owner, n)| (Borrowed(&**owner), *n))
                .collect(),
            accounts_scanned: report.accounts_scanned,
            workloads_scanned: report.workloads_scanned,
            findings: report.tally.findings,
            by_severity: report
                .count_by_severity()
                .into_iter()
                .map(|(s, n)| (Borrowed(s.as_str()), n))
                .collect(),
            by_rule: report
                .count_by_rule()
                .into_iter()
                .map(|(r, n)| (Borrowed(r), n))
                .collect(),
            suppressed: report.suppressed(),
            baseline: report
                .baseline_counts()
                .map(|(new, unchanged)| v1::Baseline {
                    new,
                    unchanged,
                    absent: report.baseline_absent.unwrap_or(0),
                }),
            gate: Some(report.gate()),
            benchmark: report
                .benchmark
                .as_ref()
                .map(|(framework, controls)| v1::Benchmark {
                    framework: Borrowed(framework.id()),
                    title: Borrowed(framework.title()),
                    controls: controls
                        .iter()
                        .map(|c| v1::BenchmarkControl {
                            control: Borrowed(c.id),
                            title: Borrowed(c.title),
                            status: Borrowed(c.status.as_str()),
                            rules: c.rules.iter().map(|r| Borrowed(*r)).collect(),
                            findings: c.findings,
                            images: c.images.iter().map(|i| Borrowed(&**i)).collect(),
                            reason: c.reason.as_deref().map(Borrowed),
                        })
                        .collect(),
                }),
        },
    }
}

/// The typed finding, for the tests that hold `line` to it.
#[cfg(test)]
fn finding(f: &Finding) -> v1::Finding<'_> {
    v1::Finding {
        rule_id: Borrowed(f.rule.code),
        rule_name: Borrowed(f.rule.name),
        severity: f.severity,
        subject: Borrowed(f.subject(false)),
        image_id: Borrowed(&f.image_id),
        image_name: f.image_name.as_deref().map(Borrowed),
        account_id: f.scope.as_ref().map(|s| Borrowed(s.account_id.as_str())),
        region: f.scope.as_ref().map(|s| Borrowed(s.region.as_str())),
        image_arn: f
            .scope
            .as_deref()
            .and_then(|s| f.image_arn_of(s))
            .map(Borrowed),
        resource_arn: f.resource_arn().map(Borrowed),
        uses_image_id: f.workload.as_ref().map(|l| Borrowed(l.image_id.as_str())),
        message: Borrowed(&f.message),
        location: v1::Location {
            uri: Borrowed(&f.location.uri),
            line: f.location.line,
            column: f.location.column,
            pointer: Borrowed(f.location.pointer.as_str()),
            field_line: f.location.field_line,
            field_uri: f.location.field_uri.as_deref().map(Borrowed),
        },
        fingerprint: Borrowed(&f.fingerprint),
        suppression: f.suppression.as_ref().map(|s| v1::Suppression {
            kind: Borrowed(s.kind.as_str()),
            justification: Borrowed(&s.justification),
        }),
        baseline_state: f.baseline.map(|b| Borrowed(b.as_str())),
        remediation: f.fix.as_ref().map(|x| v1::Fix {
            commands: x.commands.iter().map(|c| Borrowed(c.as_str())).collect(),
            actions: x
                .actions
                .iter()
                .map(|a| v1::Action {
                    operation: Borrowed(a.operation()),
                    input: serde_json::value::to_raw_value(&a.input(&f.image_id))
                        .expect("invariant: an action's input serialises"),
                })
                .collect(),
            note: x.note.as_deref().map(Borrowed),
            reversible: x.reversible,
        }),
        usage: f.usage.as_deref().map(|u| v1::Usage {
            total: u.total as u64,
            by_type: u
                .by_type
                .iter()
                .map(|(k, n)| (Borrowed(k.as_str()), *n as u64))
                .collect(),
            resources: u.resources.iter().map(|r| Borrowed(r.as_str())).collect(),
        }),
        owned: f.owned,
        compliance: f.rule.compliance.iter().map(|c| c.tag().into()).collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::{BaselineState, Location, Suppression, SuppressionKind};
    use crate::model::ImageScope;
    use std::sync::Arc;

    /// Findings with every optional part, and text that needs escaping.
    pub(crate) fn samples() -> Vec<Finding> {
        let plain = Finding {
            rule: crate::rules::BUILTIN[0],
            severity: crate::rules::Severity::High,
            image_id: "ami-0abc".into(),
            image_name: None,
            scope: None,
            message: "ImdsSupport is absent".to_string(),
            location: Location {
                uri: "exports/a b.json".into(),
                line: 3,
                column: 9,
                pointer: crate::ptr!["ImdsSupport"],
                field_line: None,
                field_uri: None,
            },
            input_index: 0,
            suppression: None,
            baseline: None,
            fingerprint: "0123456789abcdef".to_string(),
            fix: None,
            usage: None,
            outside_gate: false,
            owned: Some(true),
            workload: None,
        };
        let mut full = plain.clone();
        full.image_name = Some("n\"a\\me\n\u{1}é☃".into());
        full.scope = Some(Arc::new(ImageScope {
            account_id: "111122223333".to_string(),
            region: "eu-west-1".to_string(),
            image_arn: "arn:aws:ec2:eu-west-1::image/ami-0abc".to_string(),
        }));
        full.message = "tab\there \"quoted\" </script>".to_string();
        full.location.pointer = crate::ptr!["Tags", 0, "a/b~c"];
        full.location.field_line = Some(12);
        full.location.field_uri = Some("snapshots/a \"b\".json".into());
        full.suppression = Some(Suppression {
            kind: SuppressionKind::Waiver,
            justification: "accepted \\ until 2027".to_string(),
        });
        full.baseline = Some(BaselineState::New);
        full.usage = Some(Arc::new(crate::finding::Usage::of(&[
            crate::model::ImageReference {
                resource_type: "ec2:Instance".to_string(),
                arn: "arn:aws:ec2:eu-west-1:111122223333:instance/i-1".to_string(),
            },
            crate::model::ImageReference {
                resource_type: "ssm:Parameter".to_string(),
                arn: "arn:aws:ssm:eu-west-1:111122223333:parameter/\"golden\"".to_string(),
            },
        ])));
        let image = crate::model::Image {
            image_id: Some("ami-0abc; rm".to_string()),
            ..Default::default()
        };
        full.fix = Some(crate::remedy::Fix::new(
            &image,
            vec![
                crate::remedy::Action::RequireImdsV2,
                crate::remedy::Action::RemoveLaunchPermission(crate::remedy::Grant::UserId(
                    "1\"2".to_string(),
                )),
            ],
            Some("cannot \"be\" undone".into()),
        ));
        vec![plain, full]
    }

    #[test]
    fn lines_are_the_typed_finding() {
        for f in samples() {
            let mut out = Vec::new();
            line(&f, false, &mut out);
            let expected = serde_json::to_string(&finding(&f)).expect("serialises");
            assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
        }
    }
}
