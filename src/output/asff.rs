//! AWS Security Hub findings (ASFF 2018-10-08), the input of
//! `BatchImportFindings`: `{"Findings": [...]}`, one finding per line.
//!
//! Each finding is about one image (`Resources[0]`: type `Other`, id the
//! image ARN), in the account and region a live scan found it in, or else the
//! ones given with `--asff-account`/`--asff-region`. Suppressed findings carry
//! `Workflow.Status` `SUPPRESSED`. The test suite checks the output against
//! the Security Hub API model that botocore ships.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::finding::{Finding, Report};
use crate::rules::Severity;

/// What every finding of a report shares.
#[derive(Debug, Clone)]
pub struct Context {
    /// The scan's time, RFC 3339.
    pub now: String,
    /// Account and region for findings without a live-scan scope.
    pub target: Option<(String, String)>,
    pub texts: super::RuleTexts,
}

impl Context {
    pub fn new(report: &Report, target: Option<(String, String)>) -> Self {
        Context {
            now: report.now.to_string(),
            target,
            texts: super::RuleTexts::new(report),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffFinding<'a> {
    schema_version: &'static str,
    id: String,
    product_arn: String,
    generator_id: String,
    aws_account_id: &'a str,
    types: [&'static str; 1],
    created_at: &'a str,
    updated_at: &'a str,
    severity: AsffSeverity<'a>,
    /// What Security Hub keeps from the provider on every re-import (a
    /// finding's top-level `Severity` and `Types` are the first import's).
    finding_provider_fields: ProviderFields<'a>,
    title: String,
    description: String,
    remediation: Remediation,
    product_fields: BTreeMap<&'static str, String>,
    /// The image, then the resources that use it (`--references`, at most ten).
    resources: Vec<Resource<'a>>,
    compliance: AsffCompliance,
    workflow: Status,
    record_state: &'static str,
}

/// The finding's compliance: failed, and the controls its rule helps meet
/// (`rules::compliance`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffCompliance {
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_requirements: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    security_control_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffSeverity<'a> {
    label: &'static str,
    original: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProviderFields<'a> {
    severity: AsffSeverity<'a>,
    types: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Remediation {
    recommendation: Recommendation,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Recommendation {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Resource<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    id: String,
    partition: &'static str,
    region: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Details {
    other: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Status {
    status: &'static str,
}

/// The ASFF finding type of every amilint finding.
const TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";

fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// `text` cut to at most `max` characters (Security Hub's limits).
fn at_most(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => {
            let cut: String = text[..end].chars().take(max - 1).collect();
            cut + "…"
        }
        None => text.to_string(),
    }
}

fn finding<'a>(f: &'a Finding, cx: &'a Context) -> Option<AsffFinding<'a>> {
    let (account, region) = match (&f.scope, &cx.target) {
        (Some(scope), _) => (scope.account_id.as_str(), scope.region.as_str()),
        (None, Some((account, region))) => (account.as_str(), region.as_str()),
        (None, None) => return None,
    };
    let partition = crate::model::partition(region);
    let image_arn = crate::model::image_arn(region, &f.image_id);
    let mut product_fields = BTreeMap::new();
    product_fields.insert("amilint/RuleName", f.rule.name.to_string());
    product_fields.insert("amilint/Pointer", f.location.pointer.to_string());
    product_fields.insert(
        "amilint/Location",
        format!("{}:{}", f.location.best().0, f.location.best().1),
    );
    product_fields.insert("amilint/Fingerprint", f.fingerprint.clone());
    if let Some(s) = &f.suppression {
        product_fields.insert("amilint/Suppression", at_most(&s.justification, 1024));
    }
    let (remediation, help_uri) = cx.texts.of(f.rule);
    let mut other = BTreeMap::new();
    // Security Hub takes at most 1,024 characters a `Details.Other` value.
    other.insert("ImageId", at_most(&f.image_id, 1024));
    if let Some(name) = f.image_name.as_deref() {
        other.insert("Name", at_most(name, 1024));
    }
    Some(AsffFinding {
        schema_version: "2018-10-08",
        id: format!(
            "amilint/{account}/{region}/{}/{}/{}",
            f.image_id, f.rule.code, f.fingerprint
        ),
        product_arn: format!(
            "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
        ),
        generator_id: format!("amilint/{}", f.rule.code),
        aws_account_id: account,
        types: [TYPE],
        created_at: &cx.now,
        updated_at: &cx.now,
        severity: AsffSeverity {
            label: label(f.severity),
            original: f.severity.as_str(),
        },
        finding_provider_fields: ProviderFields {
            severity: AsffSeverity {
                label: label(f.severity),
                original: f.severity.as_str(),
            },
            types: [TYPE],
        },
        title: at_most(&format!("{} {}", f.rule.code, f.rule.summary), 256),
        description: at_most(&format!("{}: {}", f.image_id, f.message), 1024),
        remediation: Remediation {
            recommendation: Recommendation {
                text: at_most(remediation, 512),
                url: help_uri.map(str::to_string),
            },
        },
        product_fields,
        resources: std::iter::once(if f.about_account() {
            // Security Hub's resource for an account (its own controls use it).
            Resource {
                kind: "AwsAccount",
                id: format!("AWS::::Account:{account}"),
                partition,
                region,
                details: None,
            }
        } else if let Some(link) = &f.workload {
            // A fleet rule's workload (ASFF names all three types); its
            // image follows as a resource of its own.
            Resource {
                kind: link.kind.asff_type(),
                id: f.resource_arn().unwrap_or(&f.image_id).to_string(),
                partition,
                region,
                details: None,
            }
        } else {
            Resource {
                kind: "Other",
                id: image_arn,
                partition,
                region,
                details: Some(Details { other }),
            }
        })
        .chain(f.workload.iter().map(|link| Resource {
            kind: "Other",
            id: crate::model::image_arn(region, &link.image_id),
            partition,
            region,
            details: Some(Details {
                other: BTreeMap::from([("ImageId", at_most(&link.image_id, 1024))]),
            }),
        }))
        .chain(f.usage.iter().flat_map(|u| {
            u.resources.iter().map(move |arn| Resource {
                kind: asff_type(arn),
                id: arn.clone(),
                partition,
                region,
                details: None,
            })
        }))
        .collect(),
        compliance: AsffCompliance {
            status: "FAILED",
            related_requirements: f.rule.compliance.iter().map(|c| c.requirement()).collect(),
            security_control_id: crate::rules::compliance::security_control(f.rule.compliance),
        },
        workflow: Status {
            status: if f.suppression.is_some() {
                "SUPPRESSED"
            } else {
                "NEW"
            },
        },
        record_state: "ACTIVE",
    })
}

/// The ASFF resource type of a resource that references an image, from its
/// ARN (ASFF names instances and launch templates; the rest are `Other`).
fn asff_type(arn: &str) -> &'static str {
    if arn.contains(":instance/") {
        "AwsEc2Instance"
    } else if arn.contains(":launch-template/") {
        "AwsEc2LaunchTemplate"
    } else {
        "Other"
    }
}

pub fn head(out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"Findings\": [");
}

/// One image's findings, one per line; `,` separates images.
pub fn image(findings: &[Finding], cx: &Context, out: &mut Vec<u8>) {
    let mut first = true;
    for f in findings {
        // Planning refuses ASFF without an account for findings that have none.
        let Some(finding) = finding(f, cx) else {
            continue;
        };
        out.extend_from_slice(if first { b"\n  " } else { b",\n  " });
        first = false;
        serde_json::to_writer(&mut *out, &finding).expect("invariant: ASFF serialises");
    }
}

pub fn tail(report: &Report, out: &mut Vec<u8>) {
    out.extend_from_slice(if report.tally.findings > 0 {
        b"\n]}\n"
    } else {
        b"]}\n"
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_partitions() {
        assert_eq!(at_most("abc", 3), "abc");
        assert_eq!(at_most("abcd", 3), "ab…");
        assert_eq!(at_most("ééééé", 4).chars().count(), 4);
        assert_eq!(crate::model::partition("cn-north-1"), "aws-cn");
        assert_eq!(crate::model::partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(crate::model::partition("eu-west-1"), "aws");
    }
}
