use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags encrypted EBS mappings whose `KmsKeyId` matches none of the `allowed_kms_keys`
    /// globs (`[rules.AMI018]` in `amilint.toml`; `*` matches anything, `/` included), and
    /// encrypted mappings with no `KmsKeyId` at all (the AWS managed key). Unencrypted
    /// mappings are AMI003's business. Off until configured.
    ///
    /// ## Why is this bad?
    /// The AWS managed `aws/ebs` key cannot be shared, so such images cannot be shared or
    /// copied across accounts; a key in an account you do not control can be disabled by
    /// someone else, which makes the image unlaunchable.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "BlockDeviceMappings": [ { "DeviceName": "/dev/xvda",
    ///   "Ebs": { "Encrypted": true, "KmsKeyId": "arn:aws:kms:us-east-1:999999999999:key/abc" } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Copy the image with an allowed key and retire the old one:
    /// `aws ec2 copy-image --source-image-id ami-0abc --source-region us-east-1 --name … --encrypted --kms-key-id <allowed key ARN>`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html
    pub(crate) static KMS_KEY_NOT_ALLOWED = {
        code: "AMI018",
        name: "kms-key-not-allowed",
        severity: Severity::Medium,
        default_enabled: false,
        summary: "EBS snapshot is encrypted with a KMS key outside the allowlist",
        options: Options,
        check: check,
    }
}

/// `[rules.AMI018]`: configuring it switches the rule on.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// Globs of allowed KMS key ARNs, kept with their text.
    #[serde(deserialize_with = "crate::rules::options::globs")]
    pub allowed_kms_keys: Vec<(String, globset::GlobMatcher)>,
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let allowed = &cx.options::<Options>().allowed_kms_keys;
    if allowed.is_empty() {
        return;
    }
    let Some(mappings) = &image.block_device_mappings else {
        return;
    };
    let mut found = Vec::new();
    for (i, mapping) in mappings.iter().enumerate() {
        let Some(ebs) = &mapping.ebs else { continue };
        if ebs.encrypted != Some(true) {
            continue;
        }
        let device = mapping.device_name.as_deref().unwrap_or("?");
        match &ebs.kms_key_id {
            Some(key) if allowed.iter().any(|(_, glob)| glob.is_match(key)) => {}
            Some(key) => found.push((
                ptr!["BlockDeviceMappings", i, "Ebs", "KmsKeyId"],
                format!("{device}: KMS key {key} is not on the allowlist"),
            )),
            None => found.push((
                ptr!["BlockDeviceMappings", i, "Ebs"],
                format!("{device}: encrypted without a KmsKeyId (the AWS managed key)"),
            )),
        }
    }
    for (at, message) in found {
        cx.report(at, message);
    }
}
