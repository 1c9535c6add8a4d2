//! A SARIF result written directly, one compact line per finding.

use super::*;

/// One result as compact JSON, exactly serde-sarif's `result(f)` serialised
/// (a test holds them together), written directly because a large scan
/// writes millions of them.
pub(super) fn line(
    f: &Finding,
    rule_index: Option<usize>,
    root: Option<&SourceRoot>,
    out: &mut Vec<u8>,
) {
    let (uri, line) = f.location.best();
    Object::write(out, |o| {
        o.str(
            "level",
            match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Info => "note",
            },
        );
        o.one_object_array("locations", |o| {
            o.one_object_array("logicalLocations", |o| {
                o.concat(
                    "fullyQualifiedName",
                    &[&f.image_id, f.location.pointer.as_str()],
                );
                o.str("kind", "resource");
                o.str("name", &f.image_id);
            });
            o.object("physicalLocation", |o| {
                o.object("artifactLocation", |o| artifact_fields(o, root, uri));
            });
        });
        o.object("message", |o| match cut_message(f) {
            None => o.concat("text", &[&f.image_id, ": ", &f.message]),
            Some(cut) => o.str("text", &cut),
        });
        o.object("partialFingerprints", |o| {
            o.str(FINGERPRINT_KEY, &f.fingerprint);
            o.str(LINE_HASH_KEY, &identity::line_hash(&f.fingerprint));
        });
        o.object("properties", |o| {
            let scope = f.scope.as_deref();
            if let Some(scope) = scope {
                o.str("accountId", &scope.account_id);
                if let Some(arn) = f.image_arn_of(scope) {
                    o.str("imageArn", arn);
                }
            }
            o.str("imageId", &f.image_id);
            o.str("pointer", f.location.pointer.as_str());
            if let Some(scope) = scope {
                o.str("region", &scope.region);
            }
            if let Some(fix) = &f.fix {
                o.object("remediation", |o| {
                    o.strings("commands", &fix.commands);
                    o.opt_str("note", fix.note.as_deref());
                    o.bool("reversible", fix.reversible);
                });
            }
            let link = f.workload.as_deref();
            if let Some(arn) = f.resource_arn() {
                o.str("resourceArn", arn);
            }
            o.str("severity", f.severity.as_str());
            if let Some(link) = link {
                o.str("subject", link.kind.as_str());
            }
            if let Some(usage) = f.usage.as_deref() {
                o.object("usage", |o| {
                    o.object("byType", |o| {
                        for (kind, n) in &usage.by_type {
                            o.num(kind, *n as u64);
                        }
                    });
                    o.strings("resources", &usage.resources);
                    o.num("total", usage.total as u64);
                });
            }
            if let Some(link) = link {
                o.str("usesImageId", &link.image_id);
            }
        });
        o.one_object_array("relatedLocations", |o| {
            o.num("id", 1);
            o.object("message", |o| {
                o.concat("text", &[&f.image_id, f.location.pointer.as_str()]);
            });
            o.object("physicalLocation", |o| {
                o.object("artifactLocation", |o| artifact_fields(o, root, uri));
                o.object("region", |o| o.num("startLine", line));
            });
        });
        o.str("ruleId", f.rule.code);
        if let Some(index) = rule_index {
            o.num("ruleIndex", index as u64);
        }
        if let Some(s) = &f.suppression {
            let kind = match s.kind {
                SuppressionKind::Waiver => "external",
                SuppressionKind::Tag => "inSource",
            };
            let out = o.raw("suppressions");
            out.push(b'[');
            Object::write(out, |o| {
                o.str("justification", &s.justification);
                o.str("kind", kind);
                o.str("status", "accepted");
            });
            out.push(b']');
        }
        if let Some(state) = f.baseline {
            o.str("baselineState", state.as_str());
        }
    });
}

/// An artifact location's fields, as `artifact` makes them.
fn artifact_fields(o: &mut Object<'_>, root: Option<&SourceRoot>, uri: &str) {
    match root.and_then(|root| root.relative(uri)) {
        Some(relative) => {
            o.str("uri", &relative);
            o.str("uriBaseId", SOURCE_ROOT);
        }
        None => o.str("uri", uri),
    }
}
