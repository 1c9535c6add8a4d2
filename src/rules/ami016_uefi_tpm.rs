use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags images that do not boot with UEFI (`BootMode` is not `uefi` or `uefi-preferred`)
    /// or do not support NitroTPM (`TpmSupport` is not `v2.0`). Off by default.
    ///
    /// ## Why is this bad?
    /// UEFI Secure Boot and NitroTPM give measured, verified boot: the instance can prove
    /// which boot chain it ran and keep keys sealed to it. Legacy BIOS images can do neither.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "BootMode": "legacy-bios" }
    /// ```
    /// Passes with `"BootMode": "uefi", "TpmSupport": "v2.0"`.
    ///
    /// ## Remediation
    /// Register the image with `--boot-mode uefi --tpm-support v2.0` (RegisterImage) from a
    /// UEFI-capable operating system build.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-boot.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/nitrotpm.html
    pub(crate) static NO_UEFI_TPM = {
        code: "AMI016",
        name: "no-uefi-tpm",
        severity: Severity::Info,
        default_enabled: false,
        summary: "Image does not boot with UEFI and NitroTPM",
        subject: Subject::Both,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let boot = image.boot_mode.as_deref();
    let tpm = image.tpm_support.as_deref();
    let uefi = matches!(boot, Some("uefi" | "uefi-preferred"));
    let has_tpm = tpm == Some("v2.0");
    if uefi && has_tpm {
        return;
    }
    let mut reasons = Vec::new();
    if !uefi {
        reasons.push(format!("BootMode is {}", shown(boot)));
    }
    if !has_tpm {
        reasons.push(format!("TpmSupport is {}", shown(tpm)));
    }
    let pointer = if uefi {
        ptr!["TpmSupport"]
    } else {
        ptr!["BootMode"]
    };
    cx.report(pointer, reasons.join(", "));
}
