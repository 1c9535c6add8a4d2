//! SDK images into our model: everything the SDK gives, nothing it does not.
//! Fields the model does not name go to `extra` under their describe-images
//! keys, as the offline reader keeps them; a test lists the SDK's fields from
//! its own Debug output and fails on any this file does not convert, so an
//! SDK upgrade cannot drop a field silently.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{
    BlockDeviceMapping, Ebs, Image, ImageScope, ProductCode, ScanResults, StateReason, Tag,
    image_arn,
};

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// SDK enums keep unknown values as `Unknown(..)`: always go through `as_str`.
fn text<T: AsRef<str>>(v: Option<&T>) -> Option<String> {
    v.map(|v| v.as_ref().to_string())
}

/// A JSON object of the members that are present.
fn object<const N: usize>(members: [(&str, Option<Value>); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect(),
    )
}

/// A time as the AWS CLI prints a timestamp (`2026-05-01T00:00:00.000Z`), so
/// that a live scan's values read as an export's.
pub(super) fn cli_time(t: &aws_sdk_ec2::primitives::DateTime) -> Option<String> {
    let at = jiff::Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()?;
    Some(at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn time(t: Option<&aws_sdk_ec2::primitives::DateTime>) -> Option<Value> {
    t.and_then(cli_time).map(Value::from)
}

/// Our model of one SDK image. Fields the model has no slot for go to `extra`
/// under their describe-images key.
pub fn to_model(i: &aws_sdk_ec2::types::Image, account_id: &str, region: &str) -> Image {
    let mut extra = BTreeMap::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            extra.insert(key.to_string(), v);
        }
    };
    put("SourceImageId", i.source_image_id().map(Value::from));
    put(
        "SourceImageRegion",
        i.source_image_region().map(Value::from),
    );
    put("ImageAllowed", i.image_allowed().map(Value::from));
    put("FreeTierEligible", i.free_tier_eligible().map(Value::from));
    put(
        "PublicSsmParameterName",
        i.public_ssm_parameter_name().map(Value::from),
    );
    put(
        "ImageWatermarks",
        i.image_watermarks.as_ref().map(|marks| {
            marks
                .iter()
                .map(|w| {
                    object([
                        ("WatermarkKey", w.watermark_key().map(Value::from)),
                        (
                            "SourceImageRegion",
                            w.source_image_region().map(Value::from),
                        ),
                        ("SourceImageId", w.source_image_id().map(Value::from)),
                        (
                            "SourceImageCreationTime",
                            time(w.source_image_creation_time()),
                        ),
                        ("WatermarkCreationTime", time(w.watermark_creation_time())),
                    ])
                })
                .collect()
        }),
    );
    put(
        "InstanceTypeSpecification",
        i.instance_type_specification().map(|spec| {
            let types = |items: Option<&Vec<aws_sdk_ec2::types::InstanceTypeItem>>| {
                items.map(|items| {
                    items
                        .iter()
                        .map(|t| object([("InstanceType", t.instance_type().map(Value::from))]))
                        .collect()
                })
            };
            object([
                (
                    "SupportedInstanceTypes",
                    types(spec.supported_instance_types.as_ref()),
                ),
                (
                    "UnsupportedInstanceTypes",
                    types(spec.unsupported_instance_types.as_ref()),
                ),
            ])
        }),
    );
    let id = i.image_id().unwrap_or_default();
    Image {
        image_id: owned(i.image_id()),
        name: owned(i.name()),
        description: owned(i.description()),
        image_location: owned(i.image_location()),
        image_type: text(i.image_type()),
        state: text(i.state()),
        state_reason: i.state_reason().map(|r| StateReason {
            code: owned(r.code()),
            message: owned(r.message()),
        }),
        owner_id: owned(i.owner_id()),
        image_owner_alias: owned(i.image_owner_alias()),
        public: i.public(),
        architecture: text(i.architecture()),
        platform: text(i.platform()),
        platform_details: owned(i.platform_details()),
        usage_operation: owned(i.usage_operation()),
        creation_date: owned(i.creation_date()),
        deprecation_time: owned(i.deprecation_time()),
        imds_support: text(i.imds_support()),
        boot_mode: text(i.boot_mode()),
        tpm_support: text(i.tpm_support()),
        virtualization_type: text(i.virtualization_type()),
        hypervisor: text(i.hypervisor()),
        root_device_type: text(i.root_device_type()),
        root_device_name: owned(i.root_device_name()),
        ena_support: i.ena_support(),
        sriov_net_support: owned(i.sriov_net_support()),
        kernel_id: owned(i.kernel_id()),
        ramdisk_id: owned(i.ramdisk_id()),
        deregistration_protection: owned(i.deregistration_protection()),
        last_launched_time: owned(i.last_launched_time()),
        source_instance_id: owned(i.source_instance_id()),
        product_codes: i.product_codes.as_ref().map(|codes| {
            codes
                .iter()
                .map(|c| ProductCode {
                    product_code_id: owned(c.product_code_id()),
                    product_code_type: text(c.product_code_type()),
                })
                .collect()
        }),
        block_device_mappings: i.block_device_mappings.as_ref().map(|mappings| {
            mappings
                .iter()
                .map(|m| BlockDeviceMapping {
                    device_name: owned(m.device_name()),
                    virtual_name: owned(m.virtual_name()),
                    no_device: m.no_device().map(Value::from),
                    ebs: m.ebs().map(|e| {
                        let mut extra = BTreeMap::new();
                        if let Some(az) = e.availability_zone() {
                            extra.insert("AvailabilityZone".to_string(), Value::from(az));
                        }
                        let more = [
                            ("OutpostArn", e.outpost_arn().map(Value::from)),
                            (
                                "AvailabilityZoneId",
                                e.availability_zone_id().map(Value::from),
                            ),
                            (
                                "VolumeInitializationRate",
                                e.volume_initialization_rate().map(Value::from),
                            ),
                            ("EbsCardIndex", e.ebs_card_index().map(Value::from)),
                        ];
                        for (key, value) in more {
                            if let Some(value) = value {
                                extra.insert(key.to_string(), value);
                            }
                        }
                        Ebs {
                            encrypted: e.encrypted(),
                            kms_key_id: owned(e.kms_key_id()),
                            snapshot_id: owned(e.snapshot_id()),
                            volume_size: e.volume_size().map(i64::from),
                            volume_type: text(e.volume_type()),
                            delete_on_termination: e.delete_on_termination(),
                            iops: e.iops().map(i64::from),
                            throughput: e.throughput().map(i64::from),
                            snapshot: None,
                            extra,
                        }
                    }),
                    ..Default::default()
                })
                .collect()
        }),
        tags: i.tags.as_ref().map(|tags| {
            tags.iter()
                .map(|t| Tag {
                    key: t.key().unwrap_or_default().to_string(),
                    value: t.value().unwrap_or_default().to_string(),
                })
                .collect()
        }),
        launch_permissions: None,
        scan_results: i.scan_results().map(|r| {
            let time = |t: Option<&_>| t.and_then(cli_time);
            ScanResults {
                highest_finding_severity_label: r
                    .highest_finding_severity_label()
                    .map(|l| l.as_str().to_string()),
                finding_scan_date: time(r.finding_scan_date()),
                informational_fix_available_since: time(r.informational_fix_available_since()),
                low_fix_available_since: time(r.low_fix_available_since()),
                medium_fix_available_since: time(r.medium_fix_available_since()),
                high_fix_available_since: time(r.high_fix_available_since()),
                critical_fix_available_since: time(r.critical_fix_available_since()),
                extra: BTreeMap::new(),
            }
        }),
        references: None,
        ancestry: None,
        scope: Some(ImageScope {
            account_id: account_id.to_string(),
            region: region.to_string(),
            image_arn: image_arn(region, id),
        }),
        account_settings: None,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::primitives::DateTime;
    use aws_sdk_ec2::types::*;
    use serde_json::Value;

    use super::to_model;
    use crate::model::image_arn;

    /// The field names of an SDK struct, read from the Debug text of one
    /// built with nothing set (`Name { a: None, b: None }`): every field the
    /// SDK has, including those a newer SDK adds.
    fn sdk_fields(debug: &str) -> Vec<String> {
        debug
            .split(['{', ','])
            .filter_map(|part| {
                part.trim_end_matches([' ', '}'])
                    .trim()
                    .strip_suffix(": None")
            })
            .map(|name| {
                name.split('_')
                    .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                    .collect()
            })
            .collect()
    }

    /// Every SDK field missing from `value`'s keys.
    fn dropped(debug: &str, value: &Value) -> Vec<String> {
        let object = value.as_object().expect("an object");
        sdk_fields(debug)
            .into_iter()
            .filter(|key| !object.contains_key(key))
            .collect()
    }

    #[test]
    fn issue_18_every_field_the_sdk_returns_reaches_the_model() {
        let at = DateTime::from_secs(1_767_225_600);
        let ebs = EbsBlockDevice::builder()
            .delete_on_termination(true)
            .iops(3000)
            .snapshot_id("snap-0123456789abcdef0")
            .volume_size(8)
            .volume_type(VolumeType::Gp3)
            .kms_key_id("arn:aws:kms:eu-west-1:111122223333:key/k")
            .throughput(125)
            .outpost_arn("arn:aws:outposts:eu-west-1:111122223333:outpost/op-1")
            .availability_zone("eu-west-1a")
            .encrypted(true)
            .volume_initialization_rate(100)
            .availability_zone_id("euw1-az1")
            .ebs_card_index(0)
            .build();
        let mapping = BlockDeviceMapping::builder()
            .ebs(ebs)
            .no_device("")
            .device_name("/dev/xvda")
            .virtual_name("ephemeral0")
            .build();
        let watermark = ImageWatermark::builder()
            .watermark_key("111122223333:approved")
            .source_image_region("eu-west-1")
            .source_image_id("ami-0123456789abcdef0")
            .source_image_creation_time(at)
            .watermark_creation_time(at)
            .build();
        let scan = ScanResults::builder()
            .highest_finding_severity_label(SeverityLabel::from("high"))
            .finding_scan_date(at)
            .informational_fix_available_since(at)
            .low_fix_available_since(at)
            .medium_fix_available_since(at)
            .high_fix_available_since(at)
            .critical_fix_available_since(at)
            .build();
        let spec = InstanceTypeSpecification::builder()
            .supported_instance_types(InstanceTypeItem::builder().instance_type("t3.*").build())
            .unsupported_instance_types(InstanceTypeItem::builder().instance_type("t2.*").build())
            .build();
        let image = Image::builder()
            .platform_details("Linux/UNIX")
            .usage_operation("RunInstances")
            .block_device_mappings(mapping)
            .description("d")
            .ena_support(true)
            .hypervisor(HypervisorType::Xen)
            .image_owner_alias("amazon")
            .name("n")
            .root_device_name("/dev/xvda")
            .root_device_type(DeviceType::Ebs)
            .sriov_net_support("simple")
            .state_reason(StateReason::builder().code("c").message("m").build())
            .tags(Tag::builder().key("k").value("v").build())
            .virtualization_type(VirtualizationType::Hvm)
            .boot_mode(BootModeValues::Uefi)
            .tpm_support(TpmSupportValues::V20)
            .deprecation_time("2027-01-01T00:00:00.000Z")
            .imds_support(ImdsSupportValues::V20)
            .source_instance_id("i-0123456789abcdef0")
            .deregistration_protection("enabled")
            .last_launched_time("2026-01-01T00:00:00Z")
            .image_allowed(true)
            .source_image_id("ami-0123456789abcdef1")
            .source_image_region("eu-west-1")
            .free_tier_eligible(false)
            .public_ssm_parameter_name("/aws/service/x")
            .image_watermarks(watermark)
            .scan_results(scan)
            .instance_type_specification(spec)
            .image_id("ami-0123456789abcdef0")
            .image_location("111122223333/n")
            .state(ImageState::Available)
            .owner_id("111122223333")
            .creation_date("2026-01-01T00:00:00.000Z")
            .public(false)
            .product_codes(
                ProductCode::builder()
                    .product_code_id("p")
                    .product_code_type(ProductCodeValues::Marketplace)
                    .build(),
            )
            .architecture(ArchitectureValues::X8664)
            .image_type(ImageTypeValues::Machine)
            .kernel_id("aki-1")
            .ramdisk_id("ari-1")
            .platform(PlatformValues::Windows)
            .build();
        let model = serde_json::to_value(to_model(&image, "111122223333", "eu-west-1"))
            .expect("serialises");
        let m = &model["BlockDeviceMappings"][0];
        let checks = [
            (format!("{:?}", Image::builder().build()), &model),
            (format!("{:?}", BlockDeviceMapping::builder().build()), m),
            (
                format!("{:?}", EbsBlockDevice::builder().build()),
                &m["Ebs"],
            ),
            (
                format!("{:?}", ImageWatermark::builder().build()),
                &model["ImageWatermarks"][0],
            ),
            (
                format!("{:?}", ScanResults::builder().build()),
                &model["ScanResults"],
            ),
            (
                format!("{:?}", InstanceTypeSpecification::builder().build()),
                &model["InstanceTypeSpecification"],
            ),
            (
                format!("{:?}", InstanceTypeItem::builder().build()),
                &model["InstanceTypeSpecification"]["SupportedInstanceTypes"][0],
            ),
            (
                format!("{:?}", ProductCode::builder().build()),
                &model["ProductCodes"][0],
            ),
            (
                format!("{:?}", StateReason::builder().build()),
                &model["StateReason"],
            ),
            (format!("{:?}", Tag::builder().build()), &model["Tags"][0]),
        ];
        for (debug, value) in checks {
            assert!(
                !sdk_fields(&debug).is_empty(),
                "no fields read from {debug}"
            );
            assert_eq!(
                dropped(&debug, value),
                Vec::<String>::new(),
                "SDK fields that a live scan would drop (convert them in aws/convert.rs): {debug}"
            );
        }
        assert_eq!(model["ScanResults"]["HighestFindingSeverityLabel"], "high");
        assert_eq!(
            model["ScanResults"]["FindingScanDate"],
            "2026-01-01T00:00:00.000Z"
        );
        assert_eq!(model["Architecture"], "x86_64");
    }

    #[test]
    fn image_arns_follow_the_partition() {
        assert_eq!(
            image_arn("eu-west-1", "ami-1"),
            "arn:aws:ec2:eu-west-1::image/ami-1"
        );
        assert_eq!(
            image_arn("cn-north-1", "ami-1"),
            "arn:aws-cn:ec2:cn-north-1::image/ami-1"
        );
        assert_eq!(
            image_arn("us-gov-west-1", "ami-1"),
            "arn:aws-us-gov:ec2:us-gov-west-1::image/ami-1"
        );
    }
}
