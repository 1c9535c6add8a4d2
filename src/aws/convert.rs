//! SDK images into our model: everything the SDK gives, nothing it does not.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{
    BlockDeviceMapping, Ebs, Image, ImageScope, ProductCode, StateReason, Tag, image_arn,
};

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// SDK enums keep unknown values as `Unknown(..)`: always go through `as_str`.
fn text<T: AsRef<str>>(v: Option<&T>) -> Option<String> {
    v.map(|v| v.as_ref().to_string())
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
                        if let Some(arn) = e.outpost_arn() {
                            extra.insert("OutpostArn".to_string(), Value::from(arn));
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
        scope: Some(ImageScope {
            account_id: account_id.to_string(),
            region: region.to_string(),
            image_arn: image_arn(region, id),
        }),
        extra,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::image_arn;

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
