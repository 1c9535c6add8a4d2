use crate::model::Image;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, declare_rule};

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
    /// (`aws ec2 disable-image --image-id ami-0abc`; `aws ec2 enable-image` undoes it, but
    /// not its launch permissions) or deregister it and delete its snapshots. An image that
    /// nothing references (`--references`) and nobody shares (`--attributes`) gets
    /// DisableImage as its fix: `amilint fix --rule AMI009`.
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
        // Known unreferenced (DescribeImageReferences): nothing on record
        // launches it, so it can be disabled. Known not shared (not public,
        // no launch permission): EnableImage gives back all it had (a
        // disabled image loses its launch permissions for good).
        let unreferenced = image.references.as_ref().is_some_and(Vec::is_empty);
        let private = image.public == Some(false)
            && image.launch_permissions.as_ref().is_some_and(Vec::is_empty);
        cx.report(
            ptr!["DeprecationTime"],
            format!(
                "image was deprecated at {} and is still available{}",
                image.deprecation_time.as_deref().unwrap_or_default(),
                if unreferenced {
                    "; nothing references it (DescribeImageReferences): disable it"
                } else {
                    ""
                }
            ),
        );
        if unreferenced && private {
            cx.fix(Fix::new(image, vec![Action::DisableImage], None));
        }
    }
}
