use crate::model::AccountSettings;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region where EBS encryption by default is off
    /// (GetEbsEncryptionByDefault `EbsEncryptionByDefault` is `false`).
    ///
    /// ## Why is this bad?
    /// Without it, a volume made from an unencrypted snapshot — and so every instance of an
    /// unencrypted image, and every image made from such an instance — is unencrypted
    /// unless each launch asks otherwise. With it on, new volumes are always encrypted
    /// (AMI003 finds the images that are not).
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "EbsEncryptionByDefault": false }
    /// ```
    ///
    /// ## Remediation
    /// `aws ec2 enable-ebs-encryption-by-default --region eu-west-1`; choose the key with
    /// `aws ec2 modify-ebs-default-kms-key-id` (AMI204 checks it).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetEbsEncryptionByDefault.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html
    pub(crate) static EBS_ENCRYPTION_BY_DEFAULT_OFF = {
        code: "AMI203",
        name: "ebs-encryption-by-default-off",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "EBS encryption by default is off in the region",
        subject: Subject::Account,
        compliance: [
            crate::rules::compliance::cis_compute("2.2.1", "Ensure EBS volume encryption is enabled"),
            crate::rules::compliance::fsbp("EC2.7", "EBS default encryption should be enabled"),
            crate::rules::compliance::nist("SC-28(1)", "Cryptographic Protection").part("EBS encryption by default in the scanned regions, not every store of data at rest"),
        ],
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    if settings.ebs_encryption_by_default != Some(false) {
        return;
    }
    cx.report(
        ptr!["EbsEncryptionByDefault"],
        format!(
            "EBS encryption by default is off in {}: volumes from unencrypted snapshots are unencrypted",
            settings.region
        ),
    );
    cx.fix(Fix::for_account(
        settings,
        vec![Action::EnableEbsEncryptionByDefault],
        None,
    ));
}
