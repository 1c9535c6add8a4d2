use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `PlatformDetails` billing field is absent, empty or only whitespace.
    ///
    /// ## Why is this bad?
    /// `PlatformDetails` and `UsageOperation` decide how instances launched from the image
    /// are billed and which licence they carry. Without them, cost reports cannot attribute
    /// the image's operating system and licence audits have nothing to check against.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "PlatformDetails": "" }
    /// ```
    /// Passes with `"PlatformDetails": "Linux/UNIX"`.
    ///
    /// ## Remediation
    /// Rebuild the image from an instance (CreateImage) or copy it (CopyImage): both keep the
    /// billing information of the source. RegisterImage from a snapshot only sets it when
    /// you pass `--billing-products` or start from an image that had it.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/billing-info-fields.html
    pub(crate) static MISSING_BILLING_DETAILS = {
        code: "AMI004",
        name: "missing-billing-details",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Image has no billing platform details",
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let message = match image.platform_details.as_deref() {
        None => "PlatformDetails is absent: billing and licence are unknown",
        Some(v) if v.trim().is_empty() => {
            "PlatformDetails is empty: billing and licence are unknown"
        }
        Some(_) => return,
    };
    cx.report(ptr!["PlatformDetails"], message);
}
