use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, RequestKind, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a CreateImage request with `NoReboot: true`.
    ///
    /// ## Why is this bad?
    /// Without a reboot EC2 snapshots the volumes of a running instance: writes still in
    /// the page cache are lost and the file systems in the image may need repair or be
    /// inconsistent. AWS does not guarantee file-system integrity in that case.
    ///
    /// ## Example
    /// ```json
    /// { "InstanceId": "i-0abc", "Name": "web", "NoReboot": true }
    /// ```
    ///
    /// ## Remediation
    /// Leave `NoReboot` out (or `false`), or stop the instance first; if downtime is not
    /// possible, flush and freeze the file systems (`fsfreeze`) around the call.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html
    pub(crate) static NO_REBOOT = {
        code: "AMI103",
        name: "create-image-without-reboot",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "CreateImage request skips the reboot (NoReboot)",
        subject: Subject::Request,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if cx.request == Some(RequestKind::Create)
        && image.extra.get("NoReboot").and_then(|v| v.as_bool()) == Some(true)
    {
        cx.report(ptr!["NoReboot"],
            "NoReboot is true: the image is taken from a running instance, file-system integrity is not guaranteed",
        );
    }
}
