use super::ami018_kms_key_not_allowed::{KMS_KEY_NOT_ALLOWED, Options};
use crate::model::AccountSettings;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region whose default KMS key for EBS encryption
    /// (GetEbsDefaultKmsKeyId `KmsKeyId`) matches none of AMI018's `allowed_kms_keys` globs
    /// (`[rules.AMI018]` in `amilint.toml`; the one allowlist for image and default keys).
    /// Off until that allowlist is set.
    ///
    /// ## Why is this bad?
    /// Every volume encrypted by default — and every image made from one — gets this key.
    /// The AWS managed `alias/aws/ebs` key cannot be shared with other accounts, so such
    /// images cannot be shared or copied across accounts; a key someone else controls can
    /// be disabled under you.
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "EbsDefaultKmsKeyId": "alias/aws/ebs" }
    /// ```
    ///
    /// ## Remediation
    /// `aws ec2 modify-ebs-default-kms-key-id --kms-key-id <an allowed key ARN> --region eu-west-1`
    /// (amilint cannot choose the key for you: no exact fix is shown).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetEbsDefaultKmsKeyId.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html
    pub(crate) static EBS_DEFAULT_KEY_NOT_ALLOWED = {
        code: "AMI204",
        name: "ebs-default-key-not-allowed",
        severity: Severity::Medium,
        default_enabled: false,
        summary: "The default EBS encryption key is outside the KMS key allowlist",
        subject: Subject::Account,
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    let allowed = &cx
        .options_of::<Options>(&KMS_KEY_NOT_ALLOWED)
        .allowed_kms_keys;
    let Some(key) = settings.ebs_default_kms_key_id.as_deref() else {
        return;
    };
    if allowed.is_empty() || allowed.iter().any(|(_, glob)| glob.is_match(key)) {
        return;
    }
    cx.report(
        ptr!["EbsDefaultKmsKeyId"],
        format!(
            "the default EBS encryption key in {} is {key}, which is not on the allowlist",
            settings.region
        ),
    );
}
