//! `scan --aws --references` and `--ancestry`: who uses each image
//! (DescribeImageReferences, ten images a call, pages followed) and where it
//! comes from (GetImageAncestry, one call an image), on the bounded path the
//! attribute calls use.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_ec2::Client;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connect::{Progress, every_page, failure};
use super::convert::cli_time;
use super::fetch::Scope;
use super::sources::{Cx, Finishing, Gathered, Source};
use crate::error::FetchError;
use crate::model::{AncestryEntry, Image, ImageReference};

/// Images per DescribeImageReferences call: the API takes 1 to 10
/// (API_DescribeImageReferences, `ImageId.N`).
pub const BATCH: usize = 10;

/// The most pages one batch may take before it is taken for a list that
/// never ends.
const MAX_PAGES: u64 = 10_000;

/// The reference calls of a scope in flight: each gives its batch of image
/// ids, the pages it took, and what it found.
type ReferenceCalls = JoinSet<(
    Vec<String>,
    (u64, Result<Vec<(String, ImageReference)>, FetchError>),
)>;

/// The references source (`--references`): a page's references are asked
/// for while the next page comes.
#[derive(Default)]
pub(super) struct References {
    calls: ReferenceCalls,
}

impl Source for References {
    fn page(&mut self, images: &[Image], cx: &Cx<'_>) {
        let ids = images.iter().map(|i| i.id().to_string());
        ask_references(ids, cx.client, cx.limit, &mut self.calls);
    }

    fn finish<'a>(
        self: Box<Self>,
        images: &'a mut [Image],
        into: &'a mut Gathered,
        cx: &'a Cx<'a>,
    ) -> Finishing<'a> {
        Box::pin(async move {
            let failed = references(images, self.calls, cx.scope, cx.progress).await;
            into.enrichment_errors.extend(failed);
        })
    }
}

/// The ancestry source (`--ancestry`): only for the images a rule reads it
/// on, machine images linted as owned.
pub(super) async fn finish_ancestry(images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let wanted = |image: &Image| {
        image.is_linted_type() && cx.opts.linted.as_ref().is_none_or(|o| o.owns(image))
    };
    let failed = ancestry(images, wanted, cx.client, cx.scope, cx.progress, cx.limit);
    into.attribute_errors.extend(failed.await);
}

/// Starts DescribeImageReferences for `ids`, `BATCH` a call, on the
/// attribute path's limit (called per page, so they overlap the listing).
fn ask_references(
    ids: impl Iterator<Item = String>,
    client: &Client,
    limit: &Arc<Semaphore>,
    calls: &mut ReferenceCalls,
) {
    let ids: Vec<String> = ids.collect();
    for batch in ids.chunks(BATCH) {
        let (client, limit, batch) = (client.clone(), limit.clone(), batch.to_vec());
        calls.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let out = describe_references(&client, &batch).await;
            (batch, out)
        });
    }
}

/// Gives every image its references (`[]` when nothing uses it), once the
/// calls have ended. Images of a batch whose call failed keep none
/// (unknown), and the failure is returned.
async fn references(
    images: &mut [Image],
    mut calls: ReferenceCalls,
    scope: &Scope,
    progress: &Progress,
) -> Vec<FetchError> {
    let mut found: BTreeMap<String, Vec<ImageReference>> = BTreeMap::new();
    let mut errors = Vec::new();
    while let Some(joined) = calls.join_next().await {
        let (batch, (pages, out)) = match joined {
            Ok(v) => v,
            Err(e) => {
                errors.push(FetchError::new(
                    "DescribeImageReferences",
                    format!("task failed: {e}"),
                ));
                continue;
            }
        };
        progress.api_calls.fetch_add(pages, Ordering::Relaxed);
        match out {
            Ok(references) => {
                for id in batch {
                    found.entry(id).or_default();
                }
                for (id, reference) in references {
                    found.entry(id).or_default().push(reference);
                }
            }
            Err(reason) => errors.push(reason),
        }
    }
    for image in images.iter_mut() {
        image.references = found.remove(image.id());
    }
    errors
        .into_iter()
        .map(|e| e.in_scope(&scope.account_id, &scope.region))
        .collect()
}

/// DescribeImageReferences for one batch, every page: (pages asked, the
/// references found as (image id, reference)).
async fn describe_references(
    client: &Client,
    ids: &[String],
) -> (u64, Result<Vec<(String, ImageReference)>, FetchError>) {
    every_page("DescribeImageReferences", MAX_PAGES, |token| async move {
        let page = client
            .describe_image_references()
            .set_image_ids(Some(ids.to_vec()))
            .include_all_resource_types(true)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| failure("DescribeImageReferences", &e))?;
        let found = page
            .image_references()
            .iter()
            .filter_map(|r| {
                let reference = ImageReference {
                    resource_type: r
                        .resource_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    arn: r.arn().unwrap_or_default().to_string(),
                };
                Some((r.image_id()?.to_string(), reference))
            })
            .collect();
        Ok((found, page.next_token().map(str::to_string)))
    })
    .await
}

/// Gives every image its ancestry (GetImageAncestry). An image whose call
/// failed keeps none (unknown), and the failure is returned with its id.
async fn ancestry(
    images: &mut [Image],
    wanted: impl Fn(&Image) -> bool,
    client: &Client,
    scope: &Scope,
    progress: &Progress,
    limit: &Arc<Semaphore>,
) -> Vec<(String, FetchError)> {
    let mut calls = JoinSet::new();
    for (index, image) in images.iter().enumerate().filter(|(_, i)| wanted(i)) {
        let (client, limit, id) = (client.clone(), limit.clone(), image.id().to_string());
        calls.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let out = client.get_image_ancestry().image_id(&id).send().await;
            (index, id, out)
        });
    }
    let mut errors = Vec::new();
    while let Some(joined) = calls.join_next().await {
        progress.api_calls.fetch_add(1, Ordering::Relaxed);
        progress.attribute_calls.fetch_add(1, Ordering::Relaxed);
        let (index, id, out) = match joined {
            Ok(v) => v,
            Err(e) => {
                let why = FetchError::new("GetImageAncestry", format!("task failed: {e}"));
                errors.push((String::new(), why));
                continue;
            }
        };
        match out {
            Ok(out) => {
                images[index].ancestry = Some(
                    out.image_ancestry_entries()
                        .iter()
                        .map(|e| AncestryEntry {
                            image_id: e.image_id().map(str::to_string),
                            source_image_id: e.source_image_id().map(str::to_string),
                            source_image_region: e.source_image_region().map(str::to_string),
                            image_owner_alias: e.image_owner_alias().map(str::to_string),
                            creation_date: e.creation_date().and_then(cli_time),
                            owner_id: None,
                            name: None,
                        })
                        .collect(),
                );
            }
            Err(e) => errors.push((id, failure("GetImageAncestry", &e))),
        }
    }
    if let Err(e) = describe_roots(images, client, scope, progress).await {
        errors.push((String::new(), e));
    }
    errors
        .into_iter()
        .map(|(id, e)| (id, e.in_scope(&scope.account_id, &scope.region)))
        .collect()
}

/// Adds the owner and name of each chain's root (an entry with no source)
/// from DescribeImages in the root's region (an `image-id` filter, so an
/// image it cannot see is simply not returned). A root it cannot see keeps
/// only what GetImageAncestry gave.
async fn describe_roots(
    images: &mut [Image],
    client: &Client,
    scope: &Scope,
    progress: &Progress,
) -> Result<(), FetchError> {
    let mut by_region: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for chain in images.iter().filter_map(|i| i.ancestry.as_deref()) {
        let Some((root, before)) = chain.split_last() else {
            continue;
        };
        let (Some(id), None) = (&root.image_id, &root.source_image_id) else {
            continue;
        };
        let region = before
            .last()
            .and_then(|e| e.source_image_region.clone())
            .unwrap_or_else(|| scope.region.clone());
        by_region.entry(region).or_default().insert(id.clone());
    }
    let mut known: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for (region, ids) in by_region {
        let regional = Client::from_conf(
            client
                .config()
                .to_builder()
                .region(aws_sdk_ec2::config::Region::new(region))
                .build(),
        );
        let ids: Vec<String> = ids.into_iter().collect();
        for batch in ids.chunks(ROOT_BATCH) {
            progress.api_calls.fetch_add(1, Ordering::Relaxed);
            let out = regional
                .describe_images()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("image-id")
                        .set_values(Some(batch.to_vec()))
                        .build(),
                )
                .include_deprecated(true)
                .include_disabled(true)
                .send()
                .await
                .map_err(|e| failure("DescribeImages (ancestry roots)", &e))?;
            for image in out.images() {
                if let Some(id) = image.image_id() {
                    known.insert(
                        id.to_string(),
                        (
                            image.owner_id().map(str::to_string),
                            image.name().map(str::to_string),
                        ),
                    );
                }
            }
        }
    }
    for chain in images.iter_mut().filter_map(|i| i.ancestry.as_mut()) {
        if let Some(root) = chain.last_mut()
            && let Some((owner, name)) = root.image_id.as_ref().and_then(|id| known.get(id))
        {
            root.owner_id = owner.clone();
            root.name = name.clone();
        }
    }
    Ok(())
}

/// Root images per DescribeImages call (an `image-id` filter's values).
const ROOT_BATCH: usize = 200;
