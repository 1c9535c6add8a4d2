use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags images whose billing facts disagree with each other: `PlatformDetails` and the
    /// `UsageOperation` billing code are not a pair of AWS's table (AMI billing information
    /// fields: `Linux/UNIX` ↔ `RunInstances`, `Red Hat Enterprise Linux` ↔
    /// `RunInstances:0010`, `Windows with SQL Server Standard` ↔ `RunInstances:0006`, …), or
    /// `Platform` (`windows`) disagrees with `PlatformDetails`. Only what AWS bills by is
    /// compared: an image's `Name` or `Description` is free text (a Linux image may well be
    /// named after the RHEL or Windows workload it serves), and a code or details value
    /// missing from the table (a newer one) is not judged.
    ///
    /// ## Why is this bad?
    /// Billing follows `PlatformDetails`/`UsageOperation`, not what is installed. An image
    /// registered from a snapshot (RegisterImage) loses the billing code of the image it came
    /// from: a Windows or RHEL image that bills as `Linux/UNIX` runs unlicensed, which is a
    /// licence breach, and instances launched from it may fail to activate. The RegisterImage
    /// documentation warns about exactly this.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "Platform": "windows",
    ///   "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances" }
    /// ```
    ///
    /// ## Remediation
    /// Recreate the image from a correctly licensed instance (CreateImage) or copy the
    /// original image (CopyImage), which keep the billing code; do not RegisterImage from a
    /// snapshot of a licensed image. Then deregister the mislabelled image.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/billing-info-fields.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
    pub(crate) static BILLING_PLATFORM_MISMATCH = {
        code: "AMI005",
        name: "billing-platform-mismatch",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Billing platform details disagree with the image's platform",
        check: check,
    }
}

/// AWS's table of billing codes: each `UsageOperation` with the
/// `PlatformDetails` that goes with it (Amazon EC2 User Guide, "AMI billing
/// information fields").
const BILLING: [(&str, &str); 19] = [
    ("RunInstances", "Linux/UNIX"),
    ("RunInstances:00g0", "Red Hat BYOL Linux"),
    ("RunInstances:0010", "Red Hat Enterprise Linux"),
    ("RunInstances:1010", "Red Hat Enterprise Linux with HA"),
    (
        "RunInstances:1014",
        "Red Hat Enterprise Linux with SQL Server Standard and HA",
    ),
    (
        "RunInstances:1110",
        "Red Hat Enterprise Linux with SQL Server Enterprise and HA",
    ),
    (
        "RunInstances:0014",
        "Red Hat Enterprise Linux with SQL Server Standard",
    ),
    (
        "RunInstances:0210",
        "Red Hat Enterprise Linux with SQL Server Web",
    ),
    (
        "RunInstances:0110",
        "Red Hat Enterprise Linux with SQL Server Enterprise",
    ),
    ("RunInstances:0100", "SQL Server Enterprise"),
    ("RunInstances:0004", "SQL Server Standard"),
    ("RunInstances:0200", "SQL Server Web"),
    ("RunInstances:000g", "SUSE Linux"),
    ("RunInstances:0g00", "Ubuntu Pro"),
    ("RunInstances:0002", "Windows"),
    ("RunInstances:0800", "Windows BYOL"),
    ("RunInstances:0102", "Windows with SQL Server Enterprise"),
    ("RunInstances:0006", "Windows with SQL Server Standard"),
    ("RunInstances:0202", "Windows with SQL Server Web"),
];

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(details) = image.platform_details.as_deref().map(str::trim) else {
        return;
    };
    if details.is_empty() {
        return; // AMI004's business.
    }
    let mut reasons = Vec::new();
    let mut field = "PlatformDetails";

    let platform_windows = image
        .platform
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("windows"));
    let details_windows = details.starts_with("Windows");
    if platform_windows && !details_windows {
        reasons.push("Platform is `windows`".to_string());
    } else if details_windows && !platform_windows {
        reasons.push(format!(
            "Platform is {} but billing says Windows",
            shown(image.platform.as_deref())
        ));
        field = "Platform";
    }

    if let Some(code) = image.usage_operation.as_deref().map(str::trim) {
        let expected = BILLING.iter().find(|(c, _)| *c == code).map(|(_, d)| *d);
        let known = BILLING.iter().any(|(_, d)| *d == details);
        // Judged only when both values are in the table: a newer code or
        // value is AWS's, not a mismatch.
        if let Some(expected) = expected
            && known
            && expected != details
        {
            reasons.push(format!("UsageOperation `{code}` is billed as `{expected}`"));
            if reasons.len() == 1 {
                field = "UsageOperation";
            }
        }
    }

    if !reasons.is_empty() {
        cx.report(
            ptr![field],
            format!(
                "PlatformDetails `{details}` disagrees with the image: {}",
                reasons.join("; ")
            ),
        );
    }
}
