use crate::model::{Ebs, Image};
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags EBS mappings of a RegisterImage or CreateImage request whose parameters are out
    /// of range for the volume type (`gp2` when `VolumeType` is absent):
    /// `VolumeSize` (GiB) gp2/gp3 1–16,384, io1 4–16,384, io2 4–65,536, st1/sc1 125–16,384,
    /// standard 1–1,024; `Iops` required for io1 and io2 (io1 100–64,000, io2 100–256,000),
    /// 3,000–16,000 for gp3, not allowed for other types; `Throughput` (MiB/s) only for gp3,
    /// 125–1,000.
    ///
    /// ## Why is this bad?
    /// EC2 refuses the request, or the instances launched from the image fail to start
    /// their volumes.
    ///
    /// ## Example
    /// ```json
    /// { "Name": "db", "BlockDeviceMappings": [
    ///   { "DeviceName": "/dev/xvda", "Ebs": { "VolumeType": "io2", "VolumeSize": 100 } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Give io1/io2 volumes an `Iops` value, keep `Throughput` for gp3, and keep sizes and
    /// rates within the type's limits.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html
    pub(crate) static VOLUME_PARAMETERS = {
        code: "AMI104",
        name: "volume-parameters-out-of-range",
        severity: Severity::High,
        default_enabled: true,
        summary: "Requested EBS volume parameters are out of range for the volume type",
        subject: Subject::Request,
        check: check,
    }
}

/// What a volume type allows.
struct Limits {
    /// Size in GiB.
    size: (i64, i64),
    iops_required: bool,
    /// `None`: IOPS cannot be given.
    iops: Option<(i64, i64)>,
    throughput: bool,
}

fn limits(kind: &str) -> Option<Limits> {
    let (size, iops_required, iops, throughput) = match kind {
        "gp2" => ((1, 16_384), false, None, false),
        "gp3" => ((1, 16_384), false, Some((3_000, 16_000)), true),
        "io1" => ((4, 16_384), true, Some((100, 64_000)), false),
        "io2" => ((4, 65_536), true, Some((100, 256_000)), false),
        "st1" | "sc1" => ((125, 16_384), false, None, false),
        "standard" => ((1, 1_024), false, None, false),
        _ => return None,
    };
    Some(Limits {
        size,
        iops_required,
        iops,
        throughput,
    })
}

fn problems(ebs: &Ebs) -> Vec<(&'static str, String)> {
    let kind = ebs.volume_type.as_deref().unwrap_or("gp2");
    let Some(Limits {
        size: (min, max),
        iops_required,
        iops: iops_range,
        throughput: throughput_ok,
    }) = limits(kind)
    else {
        return vec![(
            "VolumeType",
            format!("VolumeType `{kind}` is not an EBS volume type"),
        )];
    };
    let mut out = Vec::new();
    if let Some(size) = ebs.volume_size
        && !(min..=max).contains(&size)
    {
        out.push((
            "VolumeSize",
            format!("VolumeSize {size} GiB is outside {min}–{max} for {kind}"),
        ));
    }
    match (ebs.iops, iops_range) {
        (None, _) if iops_required => out.push(("Iops", format!("Iops is required for {kind}"))),
        (Some(iops), None) => {
            out.push(("Iops", format!("Iops ({iops}) is not allowed for {kind}")))
        }
        (Some(iops), Some((lo, hi))) if !(lo..=hi).contains(&iops) => {
            out.push((
                "Iops",
                format!("Iops {iops} is outside {lo}–{hi} for {kind}"),
            ));
        }
        _ => {}
    }
    match ebs.throughput {
        Some(t) if !throughput_ok => {
            out.push((
                "Throughput",
                format!("Throughput ({t}) is only for gp3, not {kind}"),
            ));
        }
        Some(t) if !(125..=1_000).contains(&t) => {
            out.push((
                "Throughput",
                format!("Throughput {t} MiB/s is outside 125–1000 for gp3"),
            ));
        }
        _ => {}
    }
    out
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    for (i, mapping) in image.block_device_mappings.iter().flatten().enumerate() {
        let Some(ebs) = &mapping.ebs else { continue };
        let found = problems(ebs);
        let Some((field, _)) = found.first() else {
            continue;
        };
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        cx.report(
            ptr!["BlockDeviceMappings", i, "Ebs", *field],
            format!(
                "{}: {}",
                mapping.device_name.as_deref().unwrap_or("(no device name)"),
                messages.join("; ")
            ),
        );
    }
}
