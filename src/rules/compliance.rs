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
