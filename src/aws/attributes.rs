//! `scan --aws --attributes`: DescribeImageAttribute for every image, four
//! attributes each, on the bounded path of calls in flight. An image whose
//! calls failed is still linted, without those attributes (one error an
//! image, whatever number of its calls failed).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use aws_sdk_ec2::types::ImageAttributeName;
use tokio::task::JoinSet;

use super::connect::failure;
use super::sources::{Cx, Gathered};
use crate::error::FetchError;
use crate::model::{Image, LaunchPermission};

/// The attributes `--attributes` reads for every image.
const ATTRIBUTES: [ImageAttributeName; 4] = [
    ImageAttributeName::LaunchPermission,
    ImageAttributeName::LastLaunchedTime,
    ImageAttributeName::ImdsSupport,
    ImageAttributeName::DeregistrationProtection,
];

/// The image attributes source.
pub(super) async fn finish(images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let mut calls = JoinSet::new();
    for (index, image) in images.iter().enumerate() {
        for attribute in ATTRIBUTES {
            let client = cx.client.clone();
            let id = image.id().to_string();
            let limit = cx.limit.clone();
            calls.spawn(async move {
                let _slot = limit.acquire_owned().await;
                let out = client
                    .describe_image_attribute()
                    .image_id(&id)
                    .attribute(attribute.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        failure(format!("DescribeImageAttribute {}", attribute.as_str()), &e)
                    });
                (index, id, out)
            });
        }
    }
    let mut failed: BTreeMap<usize, (String, Vec<FetchError>)> = BTreeMap::new();
    while let Some(joined) = calls.join_next().await {
        cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
        cx.progress.attribute_calls.fetch_add(1, Ordering::Relaxed);
        let (index, id, out) = match joined {
            Ok(v) => v,
            Err(e) => {
                let why = FetchError::new("DescribeImageAttribute", format!("task failed: {e}"));
                into.attribute_errors.push((String::new(), why));
                continue;
            }
        };
        match out {
            Ok(out) => apply_attributes(&mut images[index], &out),
            Err(reason) => failed
                .entry(index)
                .or_insert((id, Vec::new()))
                .1
                .push(reason),
        }
    }
    // One error per image, whatever number of its calls failed.
    into.attribute_errors
        .extend(failed.into_values().map(|(id, mut reasons)| {
            let why = match reasons.len() {
                1 => reasons.remove(0),
                _ => FetchError {
                    code: reasons.iter().find_map(|r| r.code.clone()),
                    ..FetchError::new(
                        "",
                        reasons
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                },
            };
            (id, why.in_scope(&cx.scope.account_id, &cx.scope.region))
        }));
}

/// Adds what DescribeImageAttribute returned, under the describe-images keys.
/// A value DescribeImages already gave is kept.
fn apply_attributes(
    image: &mut Image,
    out: &aws_sdk_ec2::operation::describe_image_attribute::DescribeImageAttributeOutput,
) {
    let value = |v: Option<&aws_sdk_ec2::types::AttributeValue>| {
        v.and_then(|v| v.value())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(launched) = value(out.last_launched_time()) {
        image.last_launched_time.get_or_insert(launched);
    }
    if let Some(imds) = value(out.imds_support()) {
        image.imds_support.get_or_insert(imds);
    }
    if let Some(protection) = value(out.deregistration_protection()) {
        image.deregistration_protection.get_or_insert(protection);
    }
    // The response has launch permissions (maybe none) only when asked for them.
    if let Some(permissions) = &out.launch_permissions {
        image.launch_permissions = Some(
            permissions
                .iter()
                .map(|p| LaunchPermission {
                    group: p.group().map(|g| g.as_str().to_string()),
                    user_id: p.user_id().map(str::to_string),
                    organization_arn: p.organization_arn().map(str::to_string),
                    organizational_unit_arn: p.organizational_unit_arn().map(str::to_string),
                })
                .collect(),
        );
    }
}
