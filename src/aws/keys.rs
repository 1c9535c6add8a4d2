//! Who manages the KMS keys of shared images' snapshots (with `--snapshots`):
//! KMS DescribeKey once per distinct key of a found, encrypted snapshot
//! behind an image that is public or has launch permissions (the attributes
//! source runs first). An image shared with other accounts whose snapshots
//! use an AWS managed key (`aws/ebs`) cannot be launched by them (AMI028).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use aws_sdk_kms::Client;
use aws_sdk_kms::config::Region;

use super::connect::failure;
use super::sources::{Cx, Gathered};
use crate::model::Image;

/// The rules that judge what DescribeKey reads.
const RULES: &[&str] = &["AMI028"];

/// The key managers source (`--snapshots`, after the snapshots source).
pub(super) async fn finish(images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let keys: BTreeSet<String> = images
        .iter()
        .filter(|i| i.shared())
        .flat_map(|i| i.block_device_mappings.iter().flatten())
        .filter_map(|m| m.ebs.as_ref()?.snapshot.as_ref())
        .filter(|f| f.encrypted == Some(true))
        .filter_map(|f| f.kms_key_id.clone())
        .collect();
    if keys.is_empty() {
        return;
    }
    let client = Client::from_conf(
        aws_sdk_kms::config::Builder::from(cx.config)
            .region(Region::new(cx.scope.region.clone()))
            .build(),
    );
    let mut managers = BTreeMap::new();
    for key in keys {
        cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
        match client.describe_key().key_id(&key).send().await {
            Ok(out) => {
                let manager = out.key_metadata.and_then(|m| m.key_manager);
                if let Some(manager) = manager {
                    managers.insert(key, manager.as_str().to_string());
                }
            }
            Err(e) => {
                let error =
                    failure("DescribeKey", &e).in_scope(&cx.scope.account_id, &cx.scope.region);
                into.failed("kms:DescribeKey", RULES, error);
                // One refusal or failure stands for the scope's keys.
                return;
            }
        }
    }
    for image in images.iter_mut() {
        for mapping in image.block_device_mappings.iter_mut().flatten() {
            if let Some(facts) = mapping.ebs.as_mut().and_then(|e| e.snapshot.as_mut())
                && let Some(key) = &facts.kms_key_id
            {
                facts.kms_key_manager = managers.get(key).cloned();
            }
        }
    }
}
