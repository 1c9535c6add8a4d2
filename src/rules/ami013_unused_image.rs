use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, days_between, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images not launched for more than `--max-unused-days` days (default 180):
    /// `LastLaunchedTime` older than that, or no launch recorded at all for an image created
    /// more than that many days ago. Off by default.
    ///
    /// `LastLaunchedTime` comes from DescribeImages, or from DescribeImageAttribute with
    /// `scan --aws --attributes`; AWS records launches since 2017.
    ///
    /// An image that anything references (`AmilintReferences`, from `scan --aws
    /// --references`: an instance, a launch template, an SSM parameter, an Image Builder
    /// recipe) is in use whatever `LastLaunchedTime` says, and is never flagged; when the
    /// references are known and empty, the message says so.
    ///
    /// ## Why is this bad?
    /// Unused images still cost snapshot storage, still appear in launch menus and
    /// automation, and age without patches: the next person to launch one gets a stale
    /// system.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "CreationDate": "2024-01-10T09:00:00.000Z",
    ///   "LastLaunchedTime": "2024-02-01T10:00:00Z" }
    /// ```
    ///
    /// ## Remediation
    /// Deprecate the image (`aws ec2 enable-image-deprecation --image-id ami-0abc
    /// --deprecate-at …`), then deregister it and delete its snapshots; or, for images kept
    /// on purpose (disaster recovery), suppress the finding for them.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-last-launched-time.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
    pub(crate) static UNUSED_IMAGE = {
        code: "AMI013",
        name: "unused-image",
        severity: Severity::Low,
        default_enabled: false,
        summary: "Image has not been launched for a long time",
        owner_only: true,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI013]` (and `--max-unused-days`, which wins).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Images last launched more than this many days ago are flagged.
    #[serde(deserialize_with = "crate::rules::options::days")]
    pub max_unused_days: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_unused_days: 180,
        }
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    // Something still uses it: a launch template launches it tomorrow.
    if image.references.as_ref().is_some_and(|r| !r.is_empty()) {
        return;
    }
    let unreferenced = match image.references {
        Some(_) => "; nothing references it (DescribeImageReferences)",
        None => "",
    };
    let now = cx.settings.now;
    let limit = cx.options::<Options>().max_unused_days;
    if let Some(last) = cx.date("LastLaunchedTime", image.last_launched_time.as_deref()) {
        let days = days_between(last, now);
        if days > limit {
            cx.report(
                ptr!["LastLaunchedTime"],
                format!("last launched {days} days ago (limit {limit}){unreferenced}"),
            );
        }
        return;
    }
    if image.last_launched_time.is_none()
        && let Some(created) = cx.required_date("CreationDate", image.creation_date.as_deref())
    {
        let age = days_between(created, now);
        if age > limit {
            cx.report(
                ptr!["LastLaunchedTime"],
                format!(
                    "no launch recorded in the {age} days since it was created (limit {limit}){unreferenced}"
                ),
            );
        }
    }
}
