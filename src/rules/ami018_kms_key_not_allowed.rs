use crate::model::Image;
use crate::rules::{Cx, Needs, Severity, declare_rule, snapshots};

declare_rule! {
    /// ## What it does
    /// Flags EBS mappings whose snapshot is encrypted with a KMS key that matches none of
    /// the `allowed_kms_keys` globs (`[rules.AMI018]` in `amilint.toml`; `*` matches
    /// anything, `/` included). The key comes from the snapshot (`AmilintSnapshot.KmsKeyId`,
    /// from DescribeSnapshots: `scan --aws --snapshots` or `--snapshots-file`):
    /// DescribeImages never returns a mapping's key. Without snapshot data the rule is not
    /// run on the image (the report says so); a snapshot without a key, or one that is not
    /// visible, is not judged. Unencrypted mappings are AMI003's business. Off until
    /// configured.
    ///
    /// ## Why is this bad?
    /// An image whose snapshot is encrypted with the AWS managed `aws/ebs` key cannot be
    /// shared or copied across accounts; a key in an account you do not control can be
    /// disabled by someone else, which makes the image unlaunchable.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "BlockDeviceMappings": [ { "DeviceName": "/dev/xvda",
    ///   "Ebs": { "Encrypted": true, "SnapshotId": "snap-0abc", "AmilintSnapshot": {
    ///     "Status": "found", "Encrypted": true,
    ///     "KmsKeyId": "arn:aws:kms:us-east-1:999999999999:key/abc" } } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Copy the image with an allowed key and retire the old one:
    /// `aws ec2 copy-image --source-image-id ami-0abc --source-region us-east-1 --name … --encrypted --kms-key-id <allowed key ARN>`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html
    pub(crate) static KMS_KEY_NOT_ALLOWED = {
        code: "AMI018",
        name: "kms-key-not-allowed",
        severity: Severity::Medium,
        default_enabled: false,
        summary: "EBS snapshot is encrypted with a KMS key outside the allowlist",
        owner_only: true,
        requires_options: true,
        needs: Needs::SnapshotData,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI018]`: configuring it switches the rule on.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Globs of allowed KMS key ARNs, kept with their text.
    #[serde(deserialize_with = "crate::rules::options::globs")]
    pub allowed_kms_keys: Vec<(String, globset::GlobMatcher)>,
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let allowed = &cx.options::<Options>().allowed_kms_keys;
    if allowed.is_empty() {
        return;
    }
    let outside: Vec<_> = snapshots(image)
        .filter_map(|m| {
            let facts = m.found().filter(|f| f.encrypted == Some(true))?;
            // Only a key the snapshot names is judged: an absent key is no claim.
            let key = facts.kms_key_id.as_deref()?;
            (!allowed.iter().any(|(_, glob)| glob.is_match(key))).then(|| (m, key.to_string()))
        })
        .collect();
    for (m, key) in outside {
        cx.report(
            m.pointer().push("KmsKeyId"),
            format!(
                "{}: the snapshot's KMS key {key} is not on the allowlist",
                m.device
            ),
        );
    }
}
