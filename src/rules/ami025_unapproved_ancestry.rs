use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Needs, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose ancestry (GetImageAncestry: the images it was copied or created
    /// from, `scan --aws --ancestry`, kept as `AmilintAncestry`) does not start from an
    /// approved source: the oldest image of the chain must be owned by one of
    /// `allowed_root_owners` (account ids, or owner aliases such as `amazon`), or have a
    /// name matching one of `allowed_root_names`, or an id matching one of
    /// `allowed_root_images` (globs). The root's owner id and name come from DescribeImages
    /// (GetImageAncestry gives only an alias): a root amilint cannot see is judged by its
    /// alias and id alone. A chain that stops at an image whose source EC2 no longer knows
    /// (a deregistered or unshared parent) has no known root and is flagged. Off until
    /// configured; without ancestry data the rule is skipped (the report says so).
    ///
    /// ## Why is this bad?
    /// An image built from an unknown or unvetted base inherits whatever that base holds:
    /// the "golden image" policy only means something if every image descends from one.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "AmilintAncestry": [
    ///   { "ImageId": "ami-0abc", "SourceImageId": "ami-0def", "SourceImageRegion": "eu-west-1" },
    ///   { "ImageId": "ami-0def", "ImageOwnerAlias": "aws-marketplace" } ] }
    /// ```
    ///
    /// ## Remediation
    /// Rebuild the image from an approved base (your golden image, or an AWS-provided image),
    /// or add its true root to the allowlist if it is approved.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetImageAncestry.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-ancestry.html
    pub(crate) static UNAPPROVED_ANCESTRY = {
        code: "AMI025",
        name: "unapproved-ancestry",
        severity: Severity::Medium,
        default_enabled: false,
        summary: "Image does not descend from an approved source image",
        owner_only: true,
        requires_options: true,
        compliance: [
            crate::rules::compliance::cis_compute("2.1.3", "Ensure Only Approved AMIs (Images) are Used").part("the ancestry of the scanned images, not which images instances launch"),
        ],
        needs: Needs::Ancestry,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI025]`: configuring it switches the rule on.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Owners an ancestry may start from: account ids, or aliases (`amazon`,
    /// `aws-marketplace`, …).
    pub allowed_root_owners: Vec<String>,
    /// Globs of image names an ancestry may start from (`golden-base-*`).
    #[serde(deserialize_with = "crate::rules::options::globs")]
    pub allowed_root_names: Vec<(String, globset::GlobMatcher)>,
    /// Globs of image ids an ancestry may start from.
    #[serde(deserialize_with = "crate::rules::options::globs")]
    pub allowed_root_images: Vec<(String, globset::GlobMatcher)>,
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(chain) = image.ancestry.as_deref().filter(|c| !c.is_empty()) else {
        return;
    };
    let options = cx.options::<Options>();
    if options.allowed_root_owners.is_empty()
        && options.allowed_root_names.is_empty()
        && options.allowed_root_images.is_empty()
    {
        return;
    }
    let last = chain.len() - 1;
    let root = &chain[last];
    let root_id = root.image_id.as_deref().unwrap_or("?");
    if let Some(parent) = &root.source_image_id {
        cx.report(
            ptr!["AmilintAncestry", last, "SourceImageId"],
            format!(
                "the ancestry stops at {root_id}: its source image {parent} is not known to EC2 any more, so the root cannot be checked"
            ),
        );
        return;
    }
    let by_owner = [&root.image_owner_alias, &root.owner_id]
        .into_iter()
        .flatten()
        .any(|owner| options.allowed_root_owners.contains(owner));
    let by_name = root.name.as_deref().is_some_and(|name| {
        options
            .allowed_root_names
            .iter()
            .any(|(_, glob)| glob.is_match(name))
    });
    let by_id = options
        .allowed_root_images
        .iter()
        .any(|(_, glob)| glob.is_match(root_id));
    if !by_owner && !by_name && !by_id {
        let owner = [
            root.image_owner_alias
                .as_deref()
                .map(|a| format!("owner alias {a}")),
            root.owner_id.as_deref().map(|o| format!("owner {o}")),
            root.name.as_deref().map(|n| format!("name {n}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let owner = if owner.is_empty() {
            String::new()
        } else {
            format!(" ({owner})")
        };
        cx.report(
            ptr!["AmilintAncestry", last],
            format!(
                "descends from {root_id}{owner} through {} image(s): not an approved source",
                last
            ),
        );
    }
}
