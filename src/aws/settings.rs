//! The account's guardrails in one region: six EC2 `Get…` calls, at once.
//! Each answer's value is kept as the API gives it; a call that fails leaves
//! its value unread (`None`) and is reported.

use std::sync::atomic::Ordering;

use aws_sdk_ec2::Client;

use super::connect::{Progress, failure};
use super::fetch::Scope;
use super::sources::{Cx, Gathered};
use crate::error::FetchError;
use crate::model::{
    AccountSettings, CreationDateCondition, DeprecationTimeCondition, Image, ImageCriterion,
    InstanceMetadataDefaults,
};

/// The calls made per account × region.
pub const CALLS: u64 = 6;

/// Each call (as IAM names it) and the account rules that judge what it
/// reads: a refused call leaves them not assessed in that scope.
pub const CALL_RULES: [(&str, &[&str]); 6] = [
    ("ec2:GetImageBlockPublicAccessState", &["AMI201"]),
    ("ec2:GetSnapshotBlockPublicAccessState", &["AMI202"]),
    ("ec2:GetEbsEncryptionByDefault", &["AMI203"]),
    ("ec2:GetEbsDefaultKmsKeyId", &["AMI204"]),
    ("ec2:GetAllowedImagesSettings", &["AMI205"]),
    ("ec2:GetInstanceMetadataDefaults", &["AMI206"]),
];

/// Why a call was refused for good, as a note says it — the caller may not
/// make it, or the endpoint does not have it — or `None` for any other
/// failure (throttling, a timeout, a server error: an error of the scan).
pub fn refused(error: &FetchError) -> Option<&'static str> {
    Some(match error.code.as_deref()? {
        "UnauthorizedOperation" => "denied (UnauthorizedOperation)",
        "AccessDenied" => "denied (AccessDenied)",
        "AccessDeniedException" => "denied (AccessDeniedException)",
        "InvalidAction" => "not supported by the endpoint (InvalidAction)",
        "UnsupportedOperation" => "not supported by the endpoint (UnsupportedOperation)",
        "NotImplemented" => "not supported by the endpoint (NotImplemented)",
        _ => return None,
    })
}

/// The guardrails source (`--guardrails`): the settings read, a call
/// refused for good a refusal (its rules not assessed), any other failure
/// an error.
pub(super) async fn finish(_images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let (settings, failed) = fetch(cx.client, cx.scope, cx.progress).await;
    for error in failed {
        match CALL_RULES
            .iter()
            .find(|(call, _)| call.strip_prefix("ec2:") == Some(error.operation.as_str()))
        {
            Some(&(operation, rules)) => into.failed(operation, rules, error),
            None => into.enrichment_errors.push(error),
        }
    }
    into.settings = Some(settings);
}

/// Reads the guardrails of `scope`: the settings (what could be read) and
/// the calls that failed (`refused` tells those refused for good).
async fn fetch(
    client: &Client,
    scope: &Scope,
    progress: &Progress,
) -> (AccountSettings, Vec<FetchError>) {
    progress.api_calls.fetch_add(CALLS, Ordering::Relaxed);
    let (image_bpa, snapshot_bpa, encryption, key, allowed, imds) = tokio::join!(
        client.get_image_block_public_access_state().send(),
        client.get_snapshot_block_public_access_state().send(),
        client.get_ebs_encryption_by_default().send(),
        client.get_ebs_default_kms_key_id().send(),
        client.get_allowed_images_settings().send(),
        client.get_instance_metadata_defaults().send(),
    );
    let mut failed = Vec::new();
    let mut settings = AccountSettings {
        account_id: scope.account_id.clone(),
        region: scope.region.clone(),
        ..AccountSettings::default()
    };
    let mut fail = |e: FetchError| failed.push(e.in_scope(&scope.account_id, &scope.region));
    match image_bpa {
        Ok(out) => settings.image_block_public_access_state = out.image_block_public_access_state,
        Err(e) => fail(failure("GetImageBlockPublicAccessState", &e)),
    }
    match snapshot_bpa {
        Ok(out) => {
            settings.snapshot_block_public_access_state = out.state.map(|s| s.as_str().to_string())
        }
        Err(e) => fail(failure("GetSnapshotBlockPublicAccessState", &e)),
    }
    match encryption {
        Ok(out) => settings.ebs_encryption_by_default = out.ebs_encryption_by_default,
        Err(e) => fail(failure("GetEbsEncryptionByDefault", &e)),
    }
    match key {
        Ok(out) => settings.ebs_default_kms_key_id = out.kms_key_id,
        Err(e) => fail(failure("GetEbsDefaultKmsKeyId", &e)),
    }
    match allowed {
        Ok(out) => {
            settings.allowed_images_settings_state = out.state;
            settings.image_criteria = Some(
                out.image_criteria
                    .unwrap_or_default()
                    .into_iter()
                    .map(criterion)
                    .collect(),
            );
        }
        Err(e) => fail(failure("GetAllowedImagesSettings", &e)),
    }
    match imds {
        // An answer without AccountLevel: no default is set (an empty object).
        Ok(out) => {
            let level = out.account_level;
            settings.instance_metadata_defaults = Some(match level {
                Some(l) => InstanceMetadataDefaults {
                    http_tokens: l.http_tokens.map(|v| v.as_str().to_string()),
                    http_put_response_hop_limit: l.http_put_response_hop_limit.map(i64::from),
                    http_endpoint: l.http_endpoint.map(|v| v.as_str().to_string()),
                    instance_metadata_tags: l
                        .instance_metadata_tags
                        .map(|v| v.as_str().to_string()),
                    http_tokens_enforced: l.http_tokens_enforced.map(|v| v.as_str().to_string()),
                    managed_by: l.managed_by.map(|v| v.as_str().to_string()),
                },
                None => InstanceMetadataDefaults::default(),
            })
        }
        Err(e) => fail(failure("GetInstanceMetadataDefaults", &e)),
    }
    (settings, failed)
}

/// An Allowed AMIs criterion as our model keeps it.
pub(super) fn criterion(c: aws_sdk_ec2::types::ImageCriterion) -> ImageCriterion {
    let watermarks = c.image_watermarks.filter(|w| !w.is_empty()).map(|w| {
        w.iter()
            .map(|m| {
                serde_json::json!({
                    "WatermarkKey": m.watermark_key,
                    "SourceImageRegion": m.source_image_region,
                    "MaximumDaysSinceSourceImageCreated": m.maximum_days_since_source_image_created,
                    "MaximumDaysSinceWatermarkCreated": m.maximum_days_since_watermark_created,
                })
            })
            .collect()
    });
    ImageCriterion {
        image_providers: c.image_providers.unwrap_or_default(),
        image_names: c.image_names.unwrap_or_default(),
        marketplace_product_codes: c.marketplace_product_codes.unwrap_or_default(),
        creation_date_condition: c
            .creation_date_condition
            .and_then(|d| d.maximum_days_since_created)
            .map(|days| CreationDateCondition {
                maximum_days_since_created: i64::from(days),
            }),
        deprecation_time_condition: c
            .deprecation_time_condition
            .and_then(|d| d.maximum_days_since_deprecated)
            .map(|days| DeprecationTimeCondition {
                maximum_days_since_deprecated: i64::from(days),
            }),
        image_watermarks: watermarks,
    }
}
