use crate::model::AccountSettings;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region whose block public access for AMIs is not
    /// `block-new-sharing` (GetImageBlockPublicAccessState `ImageBlockPublicAccessState`,
    /// read by every live scan; offline from `--settings-file`).
    ///
    /// ## Why is this bad?
    /// With it `unblocked`, one `modify-image-attribute --launch-permission Add=[{Group=all}]`
    /// (a script, a console click) makes an image — and what is baked into it — public.
    /// Block public access refuses every new public share in the region; images already
    /// public stay so (AMI006 finds them).
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "ImageBlockPublicAccessState": "unblocked" }
    /// ```
    ///
    /// ## Remediation
    /// `aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing --region eu-west-1`,
    /// in every region (or through an organisation's declarative policy).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetImageBlockPublicAccessState.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImageBlockPublicAccess.html
    pub(crate) static IMAGE_BLOCK_PUBLIC_ACCESS_OFF = {
        code: "AMI201",
        name: "image-block-public-access-off",
        severity: Severity::High,
        default_enabled: true,
        summary: "Block public access for AMIs is off in the region",
        subject: Subject::Account,
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    let Some(state) = settings.image_block_public_access_state.as_deref() else {
        return;
    };
    if state == "block-new-sharing" {
        return;
    }
    cx.report(
        ptr!["ImageBlockPublicAccessState"],
        format!(
            "block public access for AMIs is `{state}` in {}: any image can be made public",
            settings.region
        ),
    );
    cx.fix(Fix::for_account(
        settings,
        vec![Action::EnableImageBlockPublicAccess],
        None,
    ));
}
