//! Controls of compliance frameworks that rules help meet, declared with each
//! rule (`compliance: [...]` in `declare_rule!`) and each with the source of
//! the mapping. A rule is mapped only where a published mapping says so.

/// A compliance framework amilint's rules are mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Framework {
    CisCompute,
    Fsbp,
    Nist80053,
    PciDss,
}

impl Framework {
    pub const ALL: [Framework; 4] = [
        Framework::CisCompute,
        Framework::Fsbp,
        Framework::Nist80053,
        Framework::PciDss,
    ];

    /// The short id: `amilint rules --framework ID`, SARIF tags.
    pub fn id(self) -> &'static str {
        match self {
            Framework::CisCompute => "cis-compute-v1.0.0",
            Framework::Fsbp => "aws-fsbp",
            Framework::Nist80053 => "nist-800-53-r5",
            Framework::PciDss => "pci-dss-v4.0",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Framework::CisCompute => "CIS AWS Compute Services Benchmark v1.0.0",
            Framework::Fsbp => "AWS Foundational Security Best Practices (Security Hub)",
            Framework::Nist80053 => "NIST SP 800-53 Rev. 5",
            Framework::PciDss => "PCI DSS v4.0",
        }
    }

    /// A framework by its id, or by a prefix of it (`cis-compute`, `nist`).
    pub fn find(text: &str) -> Option<Framework> {
        let text = text.to_ascii_lowercase();
        Framework::ALL
            .into_iter()
            .find(|f| f.id() == text)
            .or_else(|| {
                let mut starting = Framework::ALL
                    .into_iter()
                    .filter(|f| f.id().starts_with(&text));
                starting.next().filter(|_| starting.next().is_none())
            })
    }
}

/// One control a rule helps meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    pub framework: Framework,
    /// The framework's id of the control (`2.1.5`, `EC2.1`, `SC-28(1)`).
    pub id: &'static str,
    pub title: &'static str,
    /// Where the mapping of the rule to the control comes from.
    pub source: &'static str,
}

impl Control {
    /// `cis-compute-v1.0.0/2.1.5`: a SARIF tag, a JSON value.
    pub fn tag(&self) -> String {
        format!("{}/{}", self.framework.id(), self.id)
    }

    /// As Security Hub writes a related requirement (`NIST.800-53.r5 SC-28(1)`,
    /// `PCI DSS v4.0/3.5.1`): ASFF `Compliance.RelatedRequirements`.
    pub fn requirement(&self) -> String {
        match self.framework {
            Framework::Nist80053 => format!("NIST.800-53.r5 {}", self.id),
            Framework::PciDss => format!("PCI DSS v4.0/{}", self.id),
            Framework::CisCompute => {
                format!("CIS AWS Compute Services Benchmark v1.0.0/{}", self.id)
            }
            Framework::Fsbp => format!("AWS Foundational Security Best Practices/{}", self.id),
        }
    }
}

/// The Security Hub control among `controls` (an FSBP control's id, `EC2.1`):
/// ASFF `Compliance.SecurityControlId`.
pub fn security_control(controls: &[Control]) -> Option<&'static str> {
    controls
        .iter()
        .find(|c| c.framework == Framework::Fsbp)
        .map(|c| c.id)
}

/// Powerpipe's mapping of the CIS AWS Compute Services Benchmark v1.0.0
/// (its controls, titles and queries).
const POWERPIPE_CIS: &str = "Powerpipe AWS Compliance mod, cis_compute_service_v100/section_2.pp (github.com/turbot/steampipe-mod-aws-compliance, a1d0b446)";
const PROWLER_FSBP: &str = "Prowler, prowler/compliance/aws/aws_foundational_security_best_practices_aws.json (github.com/prowler-cloud/prowler, 3e000faa31)";
const PROWLER_NIST: &str = "Prowler, prowler/compliance/aws/nist_800_53_revision_5_aws.json (github.com/prowler-cloud/prowler, 3e000faa31)";
const PROWLER_PCI: &str = "Prowler, prowler/compliance/aws/pci_4.0_aws.json (github.com/prowler-cloud/prowler, 3e000faa31)";

/// A control of the CIS AWS Compute Services Benchmark v1.0.0.
pub const fn cis_compute(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::CisCompute,
        id,
        title,
        source: POWERPIPE_CIS,
    }
}

/// An AWS Foundational Security Best Practices (Security Hub) control.
pub const fn fsbp(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::Fsbp,
        id,
        title,
        source: PROWLER_FSBP,
    }
}

/// A NIST SP 800-53 Rev. 5 control.
pub const fn nist(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::Nist80053,
        id,
        title,
        source: PROWLER_NIST,
    }
}

/// A PCI DSS v4.0 requirement.
pub const fn pci(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::PciDss,
        id,
        title,
        source: PROWLER_PCI,
    }
}

/// How a control of a `--benchmark` scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Failed,
    NotAssessed,
    Passed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Failed => "failed",
            Status::NotAssessed => "not assessed",
            Status::Passed => "passed",
        }
    }
}

/// One control of a benchmark, judged by the rules mapped to it.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub id: &'static str,
    pub title: &'static str,
    /// The rules mapped to the control.
    pub rules: Vec<&'static str>,
    pub status: Status,
    /// Findings of those rules.
    pub findings: usize,
    /// The first images they found something on.
    pub images: Vec<std::sync::Arc<str>>,
    /// Why it is not assessed (with findings: what else was not judged).
    pub reason: Option<String>,
}

/// What a scan knows that judging a control needs.
pub struct Evidence<'a> {
    /// The rules that ran.
    pub ran: &'a [&'static super::RuleMeta],
    /// Findings per rule code.
    pub findings: &'a std::collections::BTreeMap<&'static str, usize>,
    /// The first images each rule found something on.
    pub images: &'a std::collections::BTreeMap<&'static str, Vec<std::sync::Arc<str>>>,
    /// Images each rule was skipped on for lack of data, per rule code.
    pub skipped: std::collections::BTreeMap<&'static str, u64>,
    pub images_scanned: u64,
    pub accounts: u64,
    /// Rules that ran without the options they need to check anything.
    pub inert: &'a [&'static str],
}

/// Every control of `framework` that a rule of `catalogue` is mapped to, in
/// document order: failed when a mapped rule found something; passed only
/// when every mapped rule judged every image (or account); otherwise not
/// assessed, with why (not run, checks nothing without its options, no
/// images or account settings, data missing on some images) — never passed
/// for want of data.
pub fn assess(
    framework: Framework,
    catalogue: &[&'static super::RuleMeta],
    evidence: &Evidence<'_>,
) -> Vec<Assessed> {
    let mut controls: Vec<Assessed> = Vec::new();
    for rule in catalogue {
        for c in rule.compliance.iter().filter(|c| c.framework == framework) {
            match controls.iter_mut().find(|a| a.id == c.id) {
                Some(a) => a.rules.push(rule.code),
                None => controls.push(Assessed {
                    id: c.id,
                    title: c.title,
                    rules: vec![rule.code],
                    status: Status::NotAssessed,
                    findings: 0,
                    images: Vec::new(),
                    reason: None,
                }),
            }
        }
    }
    for control in &mut controls {
        let mut why = Vec::new();
        let mut judged = false;
        for code in &control.rules {
            control.findings += evidence.findings.get(code).copied().unwrap_or(0);
            for image in evidence.images.get(code).into_iter().flatten() {
                if control.images.len() < crate::finding::FAILING_LISTED
                    && !control.images.contains(image)
                {
                    control.images.push(image.clone());
                }
            }
            let Some(rule) = evidence.ran.iter().find(|r| r.code == *code) else {
                why.push(format!("{code} did not run (--select it)"));
                continue;
            };
            let subjects = if rule.subject == super::Subject::Account {
                evidence.accounts
            } else {
                evidence.images_scanned
            };
            let skipped = evidence.skipped.get(code).copied().unwrap_or(0);
            if evidence.inert.contains(code) {
                why.push(format!(
                    "{code} checks nothing without its options ([rules.{code}])"
                ));
            } else if subjects == 0 {
                why.push(if rule.subject == super::Subject::Account {
                    format!(
                        "{code}: no account settings scanned (scan live, or give --settings-file)"
                    )
                } else {
                    format!("{code}: no images scanned")
                });
            } else if skipped > 0 {
                // Judged on some images only: not a pass.
                why.push(format!(
                    "{code} skipped on {skipped} of {subjects} images: needs {}",
                    rule.needs.data()
                ));
            } else {
                judged = true;
            }
        }
        control.status = if control.findings > 0 {
            Status::Failed
        } else if judged {
            Status::Passed
        } else {
            Status::NotAssessed
        };
        control.reason = (!why.is_empty()).then(|| why.join("; "));
    }
    controls.sort_by_key(|c| control_order(c.id));
    controls
}

/// Control ids in their document order: `2.1.10` after `2.1.9`.
pub fn control_order(id: &str) -> Vec<(u64, String)> {
    id.split(['.', '-', '(', ')'])
        .map(|part| (part.parse().unwrap_or(u64::MAX), part.to_string()))
        .collect()
}
