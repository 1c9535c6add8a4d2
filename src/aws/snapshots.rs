//! `scan --aws --snapshots`: the snapshot behind every EBS mapping of a
//! scope's images. DescribeSnapshots for their ids (a `snapshot-id` filter of
//! up to `BATCH` ids a call, pages followed), then DescribeSnapshotAttribute
//! `createVolumePermission` for each snapshot the scanned account owns, on
//! the bounded path the image attributes use. API calls: snapshot pages +
//! owned snapshots.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, SnapshotAttributeName};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connect::{Progress, every_page, failure};
use super::fetch::Scope;
use super::sources::{Cx, Gathered};
use crate::error::FetchError;
use crate::model::{CreateVolumePermission, Image, SnapshotFacts, SnapshotStatus};

/// Snapshot ids per DescribeSnapshots call. A filter takes up to 200 values
/// (and, unlike `SnapshotIds`, fails on none of them being absent, and pages).
pub const BATCH: usize = 200;

/// The most pages one batch may take before it is taken for a list that
/// never ends.
const MAX_PAGES: u64 = 1_000;

/// The snapshots source (`--snapshots`).
pub(super) async fn finish(images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let failed = fetch(images, cx.client, cx.scope, cx.progress, cx.limit).await;
    into.enrichment_errors.extend(failed);
}

/// Gives every EBS mapping of `images` what was learnt of its snapshot.
/// Returns the calls that failed; the snapshots they asked about keep no
/// data (never a guess).
async fn fetch(
    images: &mut [Image],
    client: &Client,
    scope: &Scope,
    progress: &Progress,
    limit: &Arc<Semaphore>,
) -> Vec<FetchError> {
    let ids: BTreeSet<String> = images
        .iter()
        .flat_map(|i| i.block_device_mappings.iter().flatten())
        .filter_map(|m| m.ebs.as_ref()?.snapshot_id.clone())
        .filter(|id| !id.trim().is_empty())
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let mut errors = Vec::new();
    let mut found: BTreeMap<String, SnapshotFacts> = BTreeMap::new();
    // Ids whose batch failed: unknown, not missing.
    let mut unknown: HashSet<String> = HashSet::new();

    let mut calls = JoinSet::new();
    for batch in ids.chunks(BATCH) {
        let (client, limit, batch) = (client.clone(), limit.clone(), batch.to_vec());
        calls.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let out = describe(&client, &batch).await;
            (batch, out)
        });
    }
    while let Some(joined) = calls.join_next().await {
        let (batch, (pages, out)) = match joined {
            Ok(v) => v,
            Err(e) => {
                errors.push(FetchError::new(
                    "DescribeSnapshots",
                    format!("task failed: {e}"),
                ));
                continue;
            }
        };
        progress.api_calls.fetch_add(pages, Ordering::Relaxed);
        match out {
            Ok(snapshots) => found.extend(snapshots),
            Err(reason) => {
                errors.push(reason);
                unknown.extend(batch);
            }
        }
    }

    // Who may create volumes from the scanned account's snapshots.
    let owned: Vec<String> = found
        .iter()
        .filter(|(_, f)| f.owner_id.as_deref() == Some(scope.account_id.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    let mut calls = JoinSet::new();
    for id in owned {
        let (client, limit) = (client.clone(), limit.clone());
        calls.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let out = client
                .describe_snapshot_attribute()
                .snapshot_id(&id)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await;
            (id, out)
        });
    }
    while let Some(joined) = calls.join_next().await {
        progress.api_calls.fetch_add(1, Ordering::Relaxed);
        progress.attribute_calls.fetch_add(1, Ordering::Relaxed);
        let (id, out) = match joined {
            Ok(v) => v,
            Err(e) => {
                errors.push(FetchError::new(
                    "DescribeSnapshotAttribute",
                    format!("task failed: {e}"),
                ));
                continue;
            }
        };
        match out {
            Ok(out) => {
                let grants = out
                    .create_volume_permissions()
                    .iter()
                    .map(|p| CreateVolumePermission {
                        group: p.group().map(|g| g.as_str().to_string()),
                        user_id: p.user_id().map(str::to_string),
                    })
                    .collect();
                if let Some(facts) = found.get_mut(&id) {
                    facts.create_volume_permissions = Some(grants);
                }
            }
            Err(e) => errors.push(failure(
                format!("DescribeSnapshotAttribute createVolumePermission {id}"),
                &e,
            )),
        }
    }

    for image in images.iter_mut() {
        // The image's owner reads its own snapshots: absent there is gone.
        let owners_account = image.owner_id.as_deref() == Some(scope.account_id.as_str());
        for mapping in image.block_device_mappings.iter_mut().flatten() {
            let Some(ebs) = &mut mapping.ebs else {
                continue;
            };
            let Some(id) = ebs.snapshot_id.as_deref() else {
                continue;
            };
            ebs.snapshot = match found.get(id) {
                Some(facts) => Some(facts.clone()),
                None if unknown.contains(id) || id.trim().is_empty() => None,
                None => Some(SnapshotFacts {
                    status: if owners_account {
                        SnapshotStatus::NotFound
                    } else {
                        SnapshotStatus::NotVisible
                    },
                    ..SnapshotFacts::default()
                }),
            };
        }
    }
    errors
        .into_iter()
        .map(|e| e.in_scope(&scope.account_id, &scope.region))
        .collect()
}

/// DescribeSnapshots for one batch of ids, every page: (pages asked, the
/// snapshots found by id).
async fn describe(
    client: &Client,
    ids: &[String],
) -> (u64, Result<Vec<(String, SnapshotFacts)>, FetchError>) {
    every_page("DescribeSnapshots", MAX_PAGES, |token| async move {
        let page = client
            .describe_snapshots()
            .filters(
                Filter::builder()
                    .name("snapshot-id")
                    .set_values(Some(ids.to_vec()))
                    .build(),
            )
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| failure("DescribeSnapshots", &e))?;
        let found = page
            .snapshots()
            .iter()
            .filter_map(|s| {
                let facts = SnapshotFacts {
                    status: SnapshotStatus::Found,
                    owner_id: s.owner_id().map(str::to_string),
                    encrypted: s.encrypted(),
                    kms_key_id: s.kms_key_id().map(str::to_string),
                    kms_key_manager: None,
                    volume_size: s.volume_size().map(i64::from),
                    state: s.state().map(|v| v.as_str().to_string()),
                    create_volume_permissions: None,
                    origin: None,
                };
                Some((s.snapshot_id()?.to_string(), facts))
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await
}
