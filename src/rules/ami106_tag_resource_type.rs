use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `TagSpecifications` entries of a RegisterImage or CreateImage request whose
    /// `ResourceType` is neither `image` nor `snapshot` (absent included).
    ///
    /// ## Why is this bad?
    /// These requests tag only the image and its snapshots; EC2 refuses any other resource
    /// type, and the image is not created.
    ///
    /// ## Example
    /// ```json
    /// { "Name": "web", "TagSpecifications": [
    ///   { "ResourceType": "instance", "Tags": [{ "Key": "Owner", "Value": "web-team" }] } ] }
    /// ```
    ///
    /// ## Remediation
    /// Use `"ResourceType": "image"` (and `"snapshot"` for the snapshots' tags).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TagSpecification.html
    pub(crate) static TAG_RESOURCE_TYPE = {
        code: "AMI106",
        name: "invalid-tag-resource-type",
        severity: Severity::High,
        default_enabled: true,
        summary: "Request tags a resource type other than image or snapshot",
        subject: Subject::Request,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(specs) = image
        .extra
        .get("TagSpecifications")
        .and_then(|v| v.as_array())
    else {
        return;
    };
    for (i, spec) in specs.iter().enumerate() {
        let kind = spec.get("ResourceType").and_then(|v| v.as_str());
        if matches!(kind, Some("image" | "snapshot")) {
            continue;
        }
        cx.report(
            ptr!["TagSpecifications", i, "ResourceType"],
            match kind {
                Some(kind) => {
                    format!("ResourceType `{kind}`: only `image` and `snapshot` can be tagged here")
                }
                None => "a tag specification without ResourceType: use `image` or `snapshot`"
                    .to_string(),
            },
        );
    }
}
