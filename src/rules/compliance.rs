//! Controls of compliance frameworks that rules help meet, declared with each
//! rule (`compliance: [...]` in `declare_rule!`) and each with the source of
//! the mapping. A rule is mapped only where a published mapping says so.

/// A compliance framework amilint's rules are mapped to.
/// Images listed per rule (and per benchmark control) as failing.
pub const FAILING_LISTED: usize = 10;

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

    /// A `--benchmark` / `benchmark` value: a framework id or a prefix of one
    /// (`cis-compute-v1`).
    pub fn parse(text: &str) -> Result<Framework, String> {
        Framework::find(text).ok_or_else(|| {
            let ids: Vec<&str> = Framework::ALL.iter().map(|f| f.id()).collect();
            format!("unknown benchmark `{text}`: one of {}", ids.join(", "))
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
    /// How much of the control's scope the rule's judgement covers.
    pub covers: Covers,
}

/// How much of a control's scope a mapped rule judges: a rule that sees
/// only part of it can fail the control, never pass it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// Everything the control covers, within the scan (the images, or the
    /// accounts and regions, scanned).
    Scope,
    /// Only this part of it (said in reports: "… judges only {part}").
    Part(&'static str),
}

impl Control {
    /// The same mapping, judging only `part` of the control's scope.
    pub const fn part(self, part: &'static str) -> Control {
        Control {
            covers: Covers::Part(part),
            ..self
        }
    }

    /// The same mapping, from another source (amilint's own reading of AWS's
    /// documentation, where no published mapping has the rule).
    pub const fn from(self, source: &'static str) -> Control {
        Control { source, ..self }
    }

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

/// The part of a snapshot control that rules on images judge.
pub const IMAGE_SNAPSHOTS: &str = "the snapshots behind the scanned images, not every snapshot of the account (AMI202, block public access for snapshots, covers them all)";

/// Block public access for snapshots at `block-all-sharing` keeps every
/// snapshot of the region from being public, those already shared included.
pub const AWS_SNAPSHOT_BPA: &str = "amilint, from the Amazon EBS User Guide, Block public access for snapshots (docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html) and the EC2 API Reference, GetSnapshotBlockPublicAccessState: with block-all-sharing, snapshots already publicly shared are treated as private and are not publicly available";

/// A control of the CIS AWS Compute Services Benchmark v1.0.0.
pub const fn cis_compute(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::CisCompute,
        id,
        title,
        source: POWERPIPE_CIS,
        covers: Covers::Scope,
    }
}

/// An AWS Foundational Security Best Practices (Security Hub) control.
pub const fn fsbp(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::Fsbp,
        id,
        title,
        source: PROWLER_FSBP,
        covers: Covers::Scope,
    }
}

/// A NIST SP 800-53 Rev. 5 control.
pub const fn nist(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::Nist80053,
        id,
        title,
        source: PROWLER_NIST,
        covers: Covers::Scope,
    }
}

/// A PCI DSS v4.0 requirement.
pub const fn pci(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::PciDss,
        id,
        title,
        source: PROWLER_PCI,
        covers: Covers::Scope,
    }
}

/// What a control covers, in the framework's own terms: the scope a
/// `passed` must have evidence for (docs/compliance.md). `None` for a
/// control only a policy maps (its author states the scope).
pub fn scope(framework: Framework, id: &str) -> Option<&'static str> {
    Some(match (framework, id) {
        (Framework::CisCompute, "2.1.1") => {
            "every AMI the organisation builds: its name follows the naming convention"
        }
        (Framework::CisCompute, "2.1.2") => {
            "every AMI of the account: its EBS snapshots are encrypted"
        }
        (Framework::CisCompute, "2.1.3") => {
            "every image the account's instances are launched from: it is an approved one"
        }
        (Framework::CisCompute, "2.1.4") => "every AMI of the account: created in the last 90 days",
        (Framework::CisCompute, "2.1.5") => "every AMI of the account: not public",
        (Framework::CisCompute, "2.2.1") => {
            "every region of the account: EBS encryption by default is on"
        }
        (Framework::CisCompute, "2.2.2") | (Framework::Fsbp, "EC2.1") => {
            "every EBS snapshot of the account, in every region: none can be restored by anyone"
        }
        (Framework::Fsbp, "EC2.7") => {
            "every region of the account: EBS encryption by default is on"
        }
        (Framework::Nist80053, "AC-3") => "access enforcement on every resource of the system",
        (Framework::Nist80053, "SC-28(1)") => {
            "every store of information at rest: cryptographically protected"
        }
        (Framework::PciDss, "3.5.1") => {
            "every place primary account numbers are stored: unreadable there"
        }
        _ => return None,
    })
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
    /// Why each rule was skipped on images (lack of data, an unread date),
    /// per rule code: the notes' texts.
    pub skipped: std::collections::BTreeMap<&'static str, Vec<String>>,
    pub images_scanned: u64,
    pub accounts: u64,
    /// Rules that ran without the options they need to check anything.
    pub inert: &'a [&'static str],
}

/// Every control of `framework` that a rule of `catalogue` is mapped to, in
/// document order: failed when a mapped rule found something; passed only
/// when a mapped rule whose judgement covers the control's scope
/// (`Covers::Scope`) judged every image (or account) and so did every other
/// such rule (a rule that judges part of the scope can fail it, not hold up a
/// pass); otherwise not assessed, with why (not run, checks nothing
/// without its options, no images or account settings, data missing or
/// unread on some images, judges only part of the scope) — never passed for
/// want of evidence.
pub fn assess(
    framework: Framework,
    catalogue: &[&'static super::RuleMeta],
    evidence: &Evidence<'_>,
) -> Vec<Assessed> {
    let mut controls = Vec::new();
    for mapped in mapped(framework, catalogue) {
        let mut control = Assessed {
            id: mapped.id,
            title: mapped.title,
            rules: mapped.rules.iter().map(|(r, _)| r.code).collect(),
            status: Status::NotAssessed,
            findings: 0,
            images: Vec::new(),
            reason: None,
        };
        let mut why = Vec::new();
        let mut covered = false;
        let mut unjudged = false;
        for &(rule, covers) in &mapped.rules {
            let code = &rule.code;
            control.findings += evidence.findings.get(code).copied().unwrap_or(0);
            for image in evidence.images.get(code).into_iter().flatten() {
                if control.images.len() < FAILING_LISTED && !control.images.contains(image) {
                    control.images.push(image.clone());
                }
            }
            let Some(rule) = evidence.ran.iter().find(|r| r.code == *code) else {
                why.push(format!("{code} did not run (--select it)"));
                unjudged |= covers == Covers::Scope;
                continue;
            };
            let subjects = if rule.subject == super::Subject::Account {
                evidence.accounts
            } else {
                evidence.images_scanned
            };
            let skipped = evidence.skipped.get(code);
            if evidence.inert.contains(code) {
                why.push(format!(
                    "{code} checks nothing without its options ([rules.{code}])"
                ));
                unjudged |= covers == Covers::Scope;
            } else if subjects == 0 {
                unjudged |= covers == Covers::Scope;
                why.push(if rule.subject == super::Subject::Account {
                    format!(
                        "{code}: no account settings scanned (scan live, or give --settings-file)"
                    )
                } else {
                    format!("{code}: no images scanned")
                });
            } else if let Some(notes) = skipped {
                // Judged on some images only: not a pass.
                why.extend(notes.iter().cloned());
                unjudged |= covers == Covers::Scope;
            } else if let Covers::Part(part) = covers {
                why.push(format!("{code} judges only {part}"));
            } else {
                covered = true;
            }
        }
        control.status = if control.findings > 0 {
            Status::Failed
        } else if covered && !unjudged {
            Status::Passed
        } else {
            Status::NotAssessed
        };
        control.reason = (!why.is_empty()).then(|| why.join("; "));
        controls.push(control);
    }
    controls
}

/// A control and the rules mapped to it, each with how much of the
/// control's scope it judges.
pub struct Mapped {
    pub id: &'static str,
    pub title: &'static str,
    pub rules: Vec<(&'static super::RuleMeta, Covers)>,
}

/// Every control of `framework` that a rule of `catalogue` is mapped to, with
/// those rules, in document order.
pub fn mapped(framework: Framework, catalogue: &[&'static super::RuleMeta]) -> Vec<Mapped> {
    let mut controls: Vec<Mapped> = Vec::new();
    for rule in catalogue {
        for c in rule.compliance.iter().filter(|c| c.framework == framework) {
            match controls.iter_mut().find(|m| m.id == c.id) {
                Some(m) => m.rules.push((rule, c.covers)),
                None => controls.push(Mapped {
                    id: c.id,
                    title: c.title,
                    rules: vec![(rule, c.covers)],
                }),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn rule(code: &str) -> &'static crate::rules::RuleMeta {
        crate::rules::lookup(code).expect("a built-in rule")
    }

    /// Judges CIS controls with `ran` having run on one image and one
    /// account × region, `findings` per rule, nothing skipped.
    fn judge(ran: &[&str], findings: &[(&'static str, usize)]) -> BTreeMap<&'static str, Assessed> {
        let ran: Vec<&'static crate::rules::RuleMeta> = ran.iter().map(|c| rule(c)).collect();
        let findings: BTreeMap<&'static str, usize> = findings.iter().copied().collect();
        let evidence = Evidence {
            ran: &ran,
            findings: &findings,
            images: &BTreeMap::new(),
            skipped: BTreeMap::new(),
            images_scanned: 1,
            accounts: 1,
            inert: &[],
        };
        assess(Framework::CisCompute, crate::rules::BUILTIN, &evidence)
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    }

    #[test]
    fn issue_30_a_rule_judging_part_of_the_scope_never_passes_a_control() {
        // AMI025 judged every image with nothing found: 2.1.3 covers what
        // instances launch, not only image ancestry.
        let got = judge(&["AMI025"], &[]);
        assert_eq!(got["2.1.3"].status, Status::NotAssessed);
        assert!(
            got["2.1.3"]
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("AMI025 judges only"))
        );
        // AMI020 alone: the snapshots behind the images, not every snapshot.
        let got = judge(&["AMI020"], &[]);
        assert_eq!(got["2.2.2"].status, Status::NotAssessed);
        // ...but it can fail the control.
        let got = judge(&["AMI020"], &[("AMI020", 1)]);
        assert_eq!(got["2.2.2"].status, Status::Failed);
        // AMI202 judged every account × region: the whole scope, passed, even
        // with AMI020 not run.
        let got = judge(&["AMI202"], &[]);
        assert_eq!(got["2.2.2"].status, Status::Passed);
        let got = judge(&["AMI020", "AMI202"], &[("AMI202", 1)]);
        assert_eq!(got["2.2.2"].status, Status::Failed);
    }

    #[test]
    fn issue_30_a_skipped_whole_scope_rule_holds_up_the_pass() {
        let ran = [rule("AMI008")];
        let findings = BTreeMap::new();
        let evidence = Evidence {
            ran: &ran,
            findings: &findings,
            images: &BTreeMap::new(),
            skipped: BTreeMap::from([(
                "AMI008",
                vec![
                    "AMI008 skipped on 1 of 2 images: CreationDate is not a date amilint reads"
                        .to_string(),
                ],
            )]),
            images_scanned: 2,
            accounts: 0,
            inert: &[],
        };
        let got = assess(Framework::CisCompute, crate::rules::BUILTIN, &evidence);
        let age = got.iter().find(|a| a.id == "2.1.4").expect("2.1.4");
        assert_eq!(age.status, Status::NotAssessed);
        assert!(
            age.reason
                .as_deref()
                .is_some_and(|r| r.contains("CreationDate"))
        );
    }
}
