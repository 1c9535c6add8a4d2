//! An amilint ASFF report (`scan -o asff=FILE`) read back, for `amilint
//! securityhub import`: exactly the fields `output::asff` writes (a test
//! holds the two together); anything else is an error at its line and column.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Deserialize;

use crate::error::InputError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    #[serde(rename = "Findings")]
    findings: Vec<Finding>,
}

/// One ASFF finding as amilint writes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Finding {
    pub schema_version: String,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: Severity,
    pub finding_provider_fields: ProviderFields,
    pub title: String,
    pub description: String,
    pub remediation: Remediation,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub compliance: Compliance,
    pub workflow: Workflow,
    pub record_state: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Severity {
    pub label: String,
    pub original: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProviderFields {
    pub severity: Severity,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Recommendation {
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: String,
    pub id: String,
    pub partition: String,
    pub region: String,
    #[serde(default)]
    pub details: Option<Details>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Details {
    pub other: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Compliance {
    pub status: String,
    #[serde(default)]
    pub related_requirements: Vec<String>,
    #[serde(default)]
    pub security_control_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Workflow {
    pub status: String,
}

impl Finding {
    /// The Security Hub region the finding goes to: its `ProductArn`'s.
    pub fn region(&self) -> &str {
        self.product_arn.split(':').nth(3).unwrap_or_default()
    }

    /// Why a waiver or tag suppresses it, when it is suppressed.
    pub fn suppression(&self) -> Option<&str> {
        (self.workflow.status == "SUPPRESSED").then(|| {
            self.product_fields
                .get("amilint/Suppression")
                .map_or("suppressed by amilint", String::as_str)
        })
    }
}

/// Which of amilint's other reports a refused document is, by the first key
/// an ASFF report does not have: what people give `import` by mistake.
fn another_report(e: &serde_json::Error) -> Option<&'static str> {
    let message = e.to_string();
    if message.starts_with("unknown field `schema_version`") {
        Some("an amilint JSON report")
    } else if message.starts_with("unknown field `$schema`")
        || message.starts_with("unknown field `version`")
    {
        Some("a SARIF log")
    } else {
        None
    }
}

/// Reads the findings of an amilint ASFF report, named `shown` in errors.
pub fn read(input: impl Read, shown: &str) -> Result<Vec<Finding>, InputError> {
    let report: Report = serde_json::from_reader(std::io::BufReader::with_capacity(1 << 16, input))
        .map_err(
            |e| match (InputError::json(shown, &e), another_report(&e)) {
                (
                    InputError::Syntax {
                        path,
                        line,
                        column,
                        message,
                    },
                    Some(what),
                ) => InputError::Syntax {
                    path,
                    line,
                    column,
                    message: format!(
                        "{message}: this is {what}; `securityhub import` takes an ASFF report \
                     (`amilint scan -o asff=FILE`, with --asff-account and --asff-region offline)"
                    ),
                },
                (error, _) => error,
            },
        )?;
    let mut ids = std::collections::HashSet::new();
    for f in &report.findings {
        if !ids.insert(f.id.as_str()) {
            return Err(InputError::Syntax {
                path: shown.to_string(),
                line: 1,
                column: 1,
                message: format!(
                    "the finding `{}` is listed twice: Security Hub would keep one",
                    f.id
                ),
            });
        }
        if !f.product_arn.starts_with("arn:") || f.region().is_empty() {
            return Err(InputError::Syntax {
                path: shown.to_string(),
                line: 1,
                column: 1,
                message: format!("the finding `{}` has no product ARN with a region", f.id),
            });
        }
    }
    Ok(report.findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_asff_output_writes_reads_back() {
        let mut report =
            crate::finding::Report::new(jiff::Timestamp::UNIX_EPOCH, Vec::new(), Vec::new(), None);
        let mut findings = crate::output::json::tests::samples();
        findings[0].suppression = Some(crate::finding::Suppression {
            kind: crate::finding::SuppressionKind::Waiver,
            justification: "accepted until 2027".to_string(),
        });
        for (i, f) in findings.iter_mut().enumerate() {
            f.fingerprint = format!("{i:032x}");
            report.tally.add(f);
        }
        report.findings = findings;
        let mut out = Vec::new();
        let settings = crate::output::Settings {
            asff_target: Some(("111122223333".to_string(), "eu-west-1".to_string())),
            ..crate::output::Settings::default()
        };
        crate::output::emit_with(crate::output::Format::Asff, &report, &settings, &mut out)
            .expect("writes");
        let read = read(out.as_slice(), "r.asff.json").expect("reads back");
        assert_eq!(read.len(), report.findings.len());
        assert_eq!(read[0].suppression(), Some("accepted until 2027"));
        assert_eq!(read[0].region(), "eu-west-1");
        let json_report = r#"{"schema_version": 1, "tool": {}}"#;
        let err = super::read(json_report.as_bytes(), "r.json")
            .expect_err("not ASFF")
            .to_string();
        assert!(
            err.contains("this is an amilint JSON report") && err.contains("-o asff=FILE"),
            "{err}"
        );
        let sarif =
            r#"{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0"}"#;
        let err = super::read(sarif.as_bytes(), "r.sarif")
            .expect_err("not ASFF")
            .to_string();
        assert!(err.contains("this is a SARIF log"), "{err}");
        let bad = r#"{"Findings": [{"Id": "x", "Extra": 1}]}"#;
        let err = super::read(bad.as_bytes(), "b.json").expect_err("unknown field");
        assert!(err.to_string().starts_with("b.json:1:"), "{err}");
    }
}
