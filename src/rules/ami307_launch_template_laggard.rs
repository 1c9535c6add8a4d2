use crate::model::WorkloadKind;
use crate::ptr;
use crate::rules::fleet::InUse;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a launch template whose `$Default` version names an image past its
    /// deprecation time while a newer image of the same name family (the name with
    /// its numbers set aside: `web-2025-01-05` and `web-2025-03-01`) and owner exists
    /// among the scanned images and is not deprecated: a rollout that did not reach
    /// the template.
    ///
    /// ## Why is this bad?
    /// Every instance the template launches starts on the old image, with the
    /// problems the new one fixed; the longer it lags, the likelier the old image is
    /// disabled or deregistered under it (AMI302, AMI301).
    ///
    /// ## Example
    /// ```json
    /// { "LaunchTemplateId": "lt-0abc", "DefaultVersion": true,
    ///   "LaunchTemplateData": { "ImageId": "ami-0old" } }
    /// ```
    ///
    /// ## Remediation
    /// Create a template version with the newer image and make it the default
    /// (`aws ec2 create-launch-template-version`, `modify-launch-template
    /// --default-version`).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-launch-template-versions.html
    pub(crate) static LAUNCH_TEMPLATE_LAGGARD = {
        code: "AMI307",
        name: "launch-template-laggard",
        severity: Severity::Low,
        default_enabled: true,
        summary: "Launch template's default version names a deprecated image though a newer one exists",
        subject: Subject::Fleet,
        fleet_check: check,
    }
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    let w = in_use.workload;
    let Some(newer) = in_use.newer else { return };
    if w.kind != WorkloadKind::LaunchTemplate || !w.default_version {
        return;
    }
    if in_use.deprecated_since(cx).is_some() {
        let message = format!(
            "{}: its $Default version launches {}, deprecated, while {newer} of the same family is newer and not deprecated",
            w.id,
            in_use.image_id()
        );
        cx.report(ptr!["ImageId"], message);
    }
}
