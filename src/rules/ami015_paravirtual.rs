use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `VirtualizationType` is `paravirtual`.
    ///
    /// ## Why is this bad?
    /// Paravirtual (PV) images only run on previous-generation instance types, which AWS is
    /// retiring; they cannot use current instance families, ENA networking or NVMe storage.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "VirtualizationType": "paravirtual" }
    /// ```
    ///
    /// ## Remediation
    /// Rebuild the workload on an HVM image of a current operating system release.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/virtualization_types.html
    pub(crate) static PARAVIRTUAL_IMAGE = {
        code: "AMI015",
        name: "paravirtual-image",
        severity: Severity::Low,
        default_enabled: true,
        summary: "Image uses paravirtual virtualization",
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.virtualization_type.as_deref() == Some("paravirtual") {
        cx.report(
            ptr!["VirtualizationType"],
            "image is paravirtual: it runs only on previous-generation instance types",
        );
    }
}
