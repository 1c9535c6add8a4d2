use crate::model::AccountSettings;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region whose instance metadata defaults do not require IMDSv2
    /// (GetInstanceMetadataDefaults `AccountLevel.HttpTokens` is `optional`, or absent: no
    /// account default).
    ///
    /// ## Why is this bad?
    /// Instances launched without an explicit IMDS setting take the account default, then
    /// the image's `ImdsSupport` (AMI001): with neither, IMDSv1 answers unauthenticated
    /// requests, the path of SSRF credential theft. The account default covers every image,
    /// including other owners' that do not set `ImdsSupport`.
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "InstanceMetadataDefaults": { "HttpTokens": "optional" } }
    /// ```
    ///
    /// ## Remediation
    /// `aws ec2 modify-instance-metadata-defaults --http-tokens required --region eu-west-1`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetInstanceMetadataDefaults.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceMetadataDefaults.html
    pub(crate) static IMDS_DEFAULT_NOT_REQUIRED = {
        code: "AMI206",
        name: "imds-default-not-required",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "The account's instance metadata defaults do not require IMDSv2",
        subject: Subject::Account,
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    let Some(defaults) = &settings.instance_metadata_defaults else {
        return;
    };
    let message = match defaults.http_tokens.as_deref() {
        Some("required") => return,
        Some(other) => format!(
            "the instance metadata default in {} is HttpTokens `{other}`: IMDSv1 answers unless the image or launch requires v2",
            settings.region
        ),
        None => format!(
            "no instance metadata default in {}: IMDSv1 answers unless the image or launch requires v2",
            settings.region
        ),
    };
    cx.report(ptr!["InstanceMetadataDefaults", "HttpTokens"], message);
    cx.fix(Fix::for_account(
        settings,
        vec![Action::RequireImdsV2ByDefault],
        None,
    ));
}
