use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `State` is `failed`, `error` or `invalid`.
    ///
    /// ## Why is this bad?
    /// Such an image cannot be launched, yet it is still listed, may still be referenced by
    /// launch templates or pipelines, and its snapshots still cost money.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "State": "failed",
    ///   "StateReason": { "Code": "Client.InvalidSnapshot", "Message": "snapshot not found" } }
    /// ```
    ///
    /// ## Remediation
    /// Read `StateReason`, fix the build, then deregister the broken image
    /// (`aws ec2 deregister-image --image-id ami-0abc`) and delete leftover snapshots.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html
    pub(crate) static IMAGE_NOT_USABLE = {
        code: "AMI011",
        name: "image-not-usable",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Image is in a failed, error or invalid state",
        owner_only: true,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(state) = image.state.as_deref() else {
        return;
    };
    if matches!(state, "failed" | "error" | "invalid") {
        let reason = image
            .state_reason
            .as_ref()
            .and_then(|r| r.message.as_deref().or(r.code.as_deref()))
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        cx.report(ptr!["State"], format!("image state is `{state}`{reason}"));
    }
}
