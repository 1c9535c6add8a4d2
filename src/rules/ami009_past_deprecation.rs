use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images that are still `available` although their `DeprecationTime` is at or
    /// before the scan's now.
    ///
    /// ## Why is this bad?
    /// A deprecated image has reached the end of life its owner gave it, yet it can still be
    /// launched by anyone who knows its id, and launch templates that pin it keep using it.
    /// Keeping it around also keeps paying for its snapshots.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "State": "available", "DeprecationTime": "2023-01-01T00:00:00.000Z" }
    /// ```
    ///
    /// ## Remediation
    /// Move remaining users to a current image, then disable the image
    /// (`aws ec2 disable-image --image-id ami-0abc`) or deregister it and delete its snapshots.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html
    pub(crate) static PAST_DEPRECATION_DATE = {
        code: "AMI009",
        name: "past-deprecation-date",
        severity: Severity::Low,
        default_enabled: true,
        summary: "Image is past its deprecation date but still available",
        owner_only: true,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.state.as_deref() != Some("available") {
        return;
    }
    let Some(deprecated) = cx.date("DeprecationTime", image.deprecation_time.as_deref()) else {
        return;
    };
    if deprecated <= cx.settings.now {
        cx.report(
            ptr!["DeprecationTime"],
            format!(
                "image was deprecated at {} and is still available",
                image.deprecation_time.as_deref().unwrap_or_default()
            ),
        );
    }
}
