use crate::model::Image;
use crate::rules::{Cx, Needs, Severity, declare_rule, snapshots};

declare_rule! {
    /// ## What it does
    /// Flags an image shared with other accounts (public, or a launch permission) whose
    /// snapshot is encrypted with an AWS managed KMS key (`aws/ebs`: KMS DescribeKey
    /// `KeyManager` is `AWS`; `AmilintSnapshot.KmsKeyManager`, read by `scan --aws
    /// --snapshots`).
    ///
    /// ## Why is this bad?
    /// An AWS managed key's policy cannot be changed to let other accounts use it, so the
    /// accounts the image is shared with cannot create its volumes: their launches fail,
    /// though the share looks fine. An image meant to be shared needs its snapshots under a
    /// customer managed key whose policy grants those accounts.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "LaunchPermissions": [{ "UserId": "444455556666" }],
    ///   "BlockDeviceMappings": [{ "DeviceName": "/dev/xvda", "Ebs": {
    ///     "SnapshotId": "snap-0abc", "Encrypted": true,
    ///     "AmilintSnapshot": { "Status": "found", "Encrypted": true,
    ///       "KmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/…",
    ///       "KmsKeyManager": "AWS" } } }] }
    /// ```
    ///
    /// ## Remediation
    /// Copy the image with a customer managed key (`aws ec2 copy-image --encrypted
    /// --kms-key-id arn:aws:kms:…`), grant the accounts in that key's policy, share the
    /// copy, and stop sharing the original.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
    /// - https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
    pub(crate) static SHARED_WITH_AWS_MANAGED_KEY = {
        code: "AMI028",
        name: "shared-with-aws-managed-key",
        severity: Severity::High,
        default_enabled: true,
        summary: "Image is shared but its snapshot's key is AWS managed: the accounts cannot launch it",
        owner_only: true,
        needs: Needs::SharedImageKeys,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if !image.shared() {
        return;
    }
    let whom = if image.public == Some(true) {
        "public".to_string()
    } else {
        let n = image.launch_permissions.as_ref().map_or(0, Vec::len);
        format!(
            "shared ({n} launch permission{})",
            if n == 1 { "" } else { "s" }
        )
    };
    for m in snapshots(image) {
        let Some(facts) = m.found() else {
            continue;
        };
        if facts.encrypted == Some(true) && facts.kms_key_manager.as_deref() == Some("AWS") {
            cx.report(
                m.pointer().push("KmsKeyManager"),
                format!(
                    "image is {whom}, but snapshot {} ({}) is encrypted with an AWS managed key ({}): the other accounts cannot launch it",
                    m.snapshot_id,
                    m.device,
                    facts.kms_key_id.as_deref().unwrap_or("?")
                ),
            );
        }
    }
}
