use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `Name` does not match the regular expression `pattern`
    /// (`[rules.AMI017]` in `amilint.toml`; it must match the whole name only if anchored
    /// with `^…$`). Images without a name are flagged too. Off until configured.
    ///
    /// ## Why is this bad?
    /// A naming convention lets people and scripts tell an image's owner, system and build
    /// date from its name; images off the convention are usually hand-made and untracked.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "Name": "My Test Image (copy)" }
    /// ```
    /// with `pattern = "^[a-z0-9-]+-\\d{8}$"`.
    ///
    /// ## Remediation
    /// Image names cannot be changed: register or copy the image under a conforming name
    /// (`aws ec2 copy-image --name payments-al2023-20261102 …`) and deregister the old one,
    /// and set the name in the build pipeline.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
    pub(crate) static NAMING_CONVENTION = {
        code: "AMI017",
        name: "naming-convention",
        severity: Severity::Low,
        default_enabled: false,
        summary: "Image name does not follow the naming convention",
        subject: Subject::Both,
        owner_only: true,
        requires_options: true,
        compliance: [
            crate::rules::compliance::cis_compute("2.1.1", "Ensure Consistent Naming Convention is used for Organizational AMI"),
        ],
        options: Options,
        check: check,
    }
}

/// `[rules.AMI017]`: configuring it switches the rule on.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// The pattern image names must match; none: the rule finds nothing.
    #[serde(deserialize_with = "crate::rules::options::regex")]
    pub pattern: Option<regex::Regex>,
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(pattern) = &cx.options::<Options>().pattern else {
        return;
    };
    match &image.name {
        Some(name) if pattern.is_match(name) => {}
        Some(name) => {
            let message = format!("name `{name}` does not match `{}`", pattern.as_str());
            cx.report(ptr!["Name"], message);
        }
        None => cx.report(ptr!["Name"], "image has no name"),
    }
}
