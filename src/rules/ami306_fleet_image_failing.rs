use crate::ptr;
use crate::rules::fleet::InUse;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an instance, launch template version or Auto Scaling group that launches
    /// from one of the scan's own images with a finding (that counts: not waived, not
    /// in the baseline) at or above `level` (default `high`).
    ///
    /// ## Why is this bad?
    /// A finding on an image nobody uses can wait; the same finding on an image a
    /// hundred instances run is the one to fix first. This rule puts the image's
    /// problem on the workloads that carry it.
    ///
    /// ## Example
    /// ```json
    /// { "InstanceId": "i-0abc", "ImageId": "ami-0abc (AMI003: unencrypted EBS snapshot)" }
    /// ```
    ///
    /// ## Remediation
    /// Fix the image (its own findings say how), then roll the workload onto the
    /// fixed image.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIs.html
    pub(crate) static FLEET_IMAGE_FAILING = {
        code: "AMI306",
        name: "fleet-image-failing",
        severity: Severity::High,
        default_enabled: true,
        summary: "Workload launches from an own image with findings at or above a level",
        subject: Subject::Fleet,
        options: Options,
        fleet_check: check,
    }
}

/// `[rules.AMI306]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// The least severe finding on the image that counts.
    pub level: Severity,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            level: Severity::High,
        }
    }
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    let Some(worst) = in_use.worst.filter(|_| in_use.owned) else {
        return;
    };
    if worst >= cx.options::<Options>().level {
        cx.report(
            ptr!["ImageId"],
            format!(
                "{} launches from {}, which has a {worst} finding",
                in_use.subject(),
                in_use.image_id()
            ),
        );
    }
}
