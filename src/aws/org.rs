//! `scan --aws --org`: the organisation's ACTIVE accounts, through AWS
//! Organizations (ListAccounts; under `--org-unit`s, ListAccountsForParent
//! and ListOrganizationalUnitsForParent, recursively). Called from the
//! management account or a delegated administrator.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::Account;

use super::connect::{Progress, every_page, failure};
use crate::error::FetchError;

/// The most pages one listing may take (20 accounts a page on AWS).
const MAX_PAGES: u64 = 10_000;

/// How deep OUs nest under a root at most (AWS Organizations quotas: five
/// levels), and how many OUs one walk reads at most (an organisation holds at
/// most 2,000 by default): past either, the endpoint is inventing OUs, and
/// the walk stops with an error instead of going on for ever.
const MAX_OU_DEPTH: usize = 5;
const MAX_OUS: usize = 10_000;

/// The ids of the organisation's ACTIVE accounts (all, or those under
/// `units`), sorted, each once. `region`: any region of the partition.
pub async fn active_accounts(
    config: &aws_config::SdkConfig,
    region: &str,
    units: &[String],
    progress: &Progress,
) -> Result<Vec<String>, FetchError> {
    // Organizations has one endpoint per partition, in this region.
    let home = match crate::model::partition(region) {
        "aws-cn" => "cn-northwest-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    };
    let client = Client::from_conf(
        aws_sdk_organizations::config::Builder::from(config)
            .region(aws_sdk_organizations::config::Region::new(home))
            .build(),
    );
    let mut found = BTreeSet::new();
    if units.is_empty() {
        let listed = all_pages("Organizations ListAccounts", progress, |token| {
            let request = client.list_accounts().set_next_token(token);
            async move {
                let page = request
                    .send()
                    .await
                    .map_err(|e| failure("Organizations ListAccounts", &e))?;
                Ok((
                    page.accounts().to_vec(),
                    page.next_token().map(str::to_string),
                ))
            }
        })
        .await;
        found.extend(listed?.iter().filter_map(active_id));
        return Ok(found.into_iter().collect());
    }
    // Each OU, then the OUs under it, each once (a parent listed twice is read once).
    let mut pending: Vec<(String, usize)> = units.iter().map(|u| (u.clone(), 0)).collect();
    let mut seen = BTreeSet::new();
    while let Some((parent, depth)) = pending.pop() {
        if !seen.insert(parent.clone()) {
            continue;
        }
        if depth > MAX_OU_DEPTH || seen.len() > MAX_OUS {
            return Err(FetchError::new(
                "Organizations ListOrganizationalUnitsForParent",
                format!(
                    "more than {MAX_OU_DEPTH} levels or {MAX_OUS} OUs under {} (at {parent}): AWS allows five levels of OUs under a root; the endpoint keeps answering with new child OUs, so the walk stopped",
                    units.join(", ")
                ),
            ));
        }
        let operation = format!("Organizations ListAccountsForParent {parent}");
        let listed = all_pages(&operation, progress, |token| {
            let request = client
                .list_accounts_for_parent()
                .parent_id(&parent)
                .set_next_token(token);
            let operation = operation.clone();
            async move {
                let page = request.send().await.map_err(|e| failure(operation, &e))?;
                Ok((
                    page.accounts().to_vec(),
                    page.next_token().map(str::to_string),
                ))
            }
        })
        .await;
        found.extend(listed?.iter().filter_map(active_id));

        let operation = format!("Organizations ListOrganizationalUnitsForParent {parent}");
        let children = all_pages(&operation, progress, |token| {
            let request = client
                .list_organizational_units_for_parent()
                .parent_id(&parent)
                .set_next_token(token);
            let operation = operation.clone();
            async move {
                let page = request.send().await.map_err(|e| failure(operation, &e))?;
                let ids = page
                    .organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_string))
                    .collect::<Vec<_>>();
                Ok((ids, page.next_token().map(str::to_string)))
            }
        })
        .await;
        pending.extend(children?.into_iter().map(|child| (child, depth + 1)));
    }
    Ok(found.into_iter().collect())
}

/// Every page of one listing, each page counted as an API call.
async fn all_pages<T, F, Fut>(
    operation: &str,
    progress: &Progress,
    page: F,
) -> Result<Vec<T>, FetchError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), FetchError>>,
{
    let (pages, listed) = every_page(operation, MAX_PAGES, page).await;
    progress.api_calls.fetch_add(pages, Ordering::Relaxed);
    listed
}

/// The id of an account that can be scanned: ACTIVE by its `State` (the
/// newer member) or, when absent, its `Status`. Suspended, closing and
/// pending-activation accounts cannot be entered.
fn active_id(account: &Account) -> Option<String> {
    let active = match account.state() {
        Some(state) => state.as_str() == "ACTIVE",
        None => account.status().is_some_and(|s| s.as_str() == "ACTIVE"),
    };
    account
        .id()
        .filter(|id| active && crate::model::is_account_id(id))
        .map(str::to_string)
}
