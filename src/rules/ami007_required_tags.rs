use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images that lack a tag listed in `required_tags`, or whose tag value does not
    /// match the pattern given for it in `tag_values` (`[rules.AMI007]` in `amilint.toml`).
    /// Off until configured.
    ///
    /// ## Why is this bad?
    /// Tags are how an organisation knows who owns an image, who pays for it and where it
    /// may run. An untagged image is nobody's: nobody patches it, and nobody dares delete it.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "Tags": [ { "Key": "Environment", "Value": "production" } ] }
    /// ```
    /// with `required_tags = ["Owner"]` and `tag_values = { Environment = "^(prod|dev)$" }`.
    ///
    /// ## Remediation
    /// Tag the image: `aws ec2 create-tags --resources ami-0abc --tags Key=Owner,Value=team-a`,
    /// and have the build pipeline tag every image it registers.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html
    /// - https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html
    pub(crate) static MISSING_REQUIRED_TAGS = {
        code: "AMI007",
        name: "missing-required-tags",
        severity: Severity::Medium,
        default_enabled: false,
        summary: "Image lacks a required tag, or a tag value is not allowed",
        subject: Subject::Both,
        owner_only: true,
        requires_options: true,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI007]`: configuring it switches the rule on.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Tags every image must carry.
    pub required_tags: Vec<String>,
    /// Tag → pattern: when the tag is present, its value must match.
    #[serde(deserialize_with = "crate::rules::options::regex_map")]
    pub tag_values: Vec<(String, regex::Regex)>,
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let settings = cx.options::<Options>();
    let missing: Vec<&str> = settings
        .required_tags
        .iter()
        .filter(|key| image.tag(key).is_none_or(|v| v.trim().is_empty()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        cx.report(
            ptr!["Tags"],
            format!("missing required tag(s): {}", missing.join(", ")),
        );
    }
    for (key, pattern) in &settings.tag_values {
        let Some(tags) = &image.tags else { continue };
        if let Some((i, tag)) = tags.iter().enumerate().find(|(_, t)| &t.key == key)
            && !pattern.is_match(&tag.value)
        {
            cx.report(
                ptr!["Tags", i, "Value"],
                format!(
                    "tag {key}=`{}` does not match `{}`",
                    tag.value,
                    pattern.as_str()
                ),
            );
        }
    }
}
