use crate::model::Image;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, declare_rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags images whose `DeregistrationProtection` is absent or `disabled`. Off by default:
    /// turn it on with `--select AMI014` for golden images.
    ///
    /// ## Why is this bad?
    /// Without deregistration protection, one mistaken or malicious `DeregisterImage` call
    /// removes an image that fleets and launch templates depend on.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "DeregistrationProtection": "disabled" }
    /// ```
    /// Passes with `"DeregistrationProtection": "enabled-with-cooldown"`.
    ///
    /// ## Remediation
    /// `aws ec2 enable-image-deregistration-protection --image-id ami-0abc --with-cooldown`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deregistration-protection.html
    pub(crate) static NO_DEREGISTRATION_PROTECTION = {
        code: "AMI014",
        name: "no-deregistration-protection",
        severity: Severity::Low,
        default_enabled: false,
        summary: "Image has no deregistration protection",
        owner_only: true,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let value = image.deregistration_protection.as_deref();
    let protected = value.is_some_and(|v| !v.trim().is_empty() && !v.starts_with("disabled"));
    if !protected {
        cx.report(
            ptr!["DeregistrationProtection"],
            format!("DeregistrationProtection is {}", shown(value)),
        );
        cx.fix(Fix::new(
            image,
            vec![Action::EnableDeregistrationProtection],
            None,
        ));
    }
}
