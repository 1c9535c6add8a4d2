use std::collections::BTreeMap;

use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Needs, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a disabled image (`State` `disabled`) that something still references: an
    /// instance, a launch template, an SSM parameter or an Image Builder recipe
    /// (DescribeImageReferences, `scan --aws --references`).
    ///
    /// ## Why is this bad?
    /// A disabled image cannot be launched: every launch template, Auto Scaling group or
    /// pipeline that names it fails at its next launch — a scale-out in the middle of an
    /// incident, a replacement of an unhealthy instance. Disabling is the safe way to
    /// retire an image only once nothing uses it.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "State": "disabled",
    ///   "AmilintReferences": [{ "ResourceType": "ec2:LaunchTemplate",
    ///     "Arn": "arn:aws:ec2:eu-west-1:111122223333:launch-template/lt-0abc" }] }
    /// ```
    ///
    /// ## Remediation
    /// Point what references it at a current image (a new launch template version, the SSM
    /// parameter's new value), or enable the image again until then
    /// (`aws ec2 enable-image --image-id ami-0abc`; its launch permissions, removed when it
    /// was disabled, must be granted again).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageReferences.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImage.html
    pub(crate) static DISABLED_IMAGE_IN_USE = {
        code: "AMI027",
        name: "disabled-image-in-use",
        severity: Severity::High,
        default_enabled: true,
        summary: "Image is disabled but something still references it",
        owner_only: true,
        needs: Needs::DisabledImageReferences,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.state.as_deref() != Some("disabled") {
        return;
    }
    let Some(references) = image.references.as_ref().filter(|r| !r.is_empty()) else {
        return;
    };
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for r in references {
        *by_type.entry(r.resource_type.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = by_type.iter().map(|(t, n)| format!("{n} {t}")).collect();
    cx.report(
        ptr!["State"],
        format!(
            "image is disabled and still referenced ({}): their next launch fails",
            kinds.join(", ")
        ),
    );
}
