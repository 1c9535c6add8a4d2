//! The Recycle Bin's retention rules of one account × region (with the
//! guardrails): ListRules for AMIs (`EC2_IMAGE`) and for EBS snapshots
//! (`EBS_SNAPSHOT`), then GetRule of each rule listed — only GetRule tells a
//! Region-level rule (no resource tags) from a tag-level one. A refused
//! call leaves its resource type's rules unread and their rule not assessed.

use std::sync::atomic::Ordering;

use aws_sdk_rbin::Client;
use aws_sdk_rbin::config::Region;
use aws_sdk_rbin::types::ResourceType;

use super::connect::failure;
use super::sources::{Cx, Gathered};
use crate::error::FetchError;
use crate::model::{AccountSettings, Image, ResourceTag, RetentionPeriod, RetentionRule};

/// Each resource type and the account rule that judges its retention rules.
const KINDS: [(&str, &[&str]); 2] = [("EC2_IMAGE", &["AMI207"]), ("EBS_SNAPSHOT", &["AMI208"])];

/// The most ListRules pages one resource type may take (a region holds at
/// most a few hundred rules).
const MAX_PAGES: usize = 1_000;

/// The Recycle Bin source: adds the rules to the scope's settings (after the
/// guardrails source, which makes them).
pub(super) async fn finish(_images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let client = Client::from_conf(
        aws_sdk_rbin::config::Builder::from(cx.config)
            .region(Region::new(cx.scope.region.clone()))
            .build(),
    );
    let (images, snapshots) = tokio::join!(
        rules(&client, KINDS[0].0, cx),
        rules(&client, KINDS[1].0, cx)
    );
    let settings = into.settings.get_or_insert_with(|| AccountSettings {
        account_id: cx.scope.account_id.clone(),
        region: cx.scope.region.clone(),
        ..AccountSettings::default()
    });
    let mut failed = Vec::new();
    for (read, into_field, (_, rules)) in [
        (images, &mut settings.recycle_bin_image_rules, KINDS[0]),
        (
            snapshots,
            &mut settings.recycle_bin_snapshot_rules,
            KINDS[1],
        ),
    ] {
        match read {
            Ok(read) => *into_field = Some(read),
            Err((operation, error)) => failed.push((operation, rules, error)),
        }
    }
    for (operation, rules, error) in failed {
        into.failed(operation, rules, error);
    }
}

/// The retention rules of one resource type, or the call that failed (as
/// IAM names it) and why.
async fn rules(
    client: &Client,
    kind: &str,
    cx: &Cx<'_>,
) -> Result<Vec<RetentionRule>, (&'static str, FetchError)> {
    let fail = |operation: &'static str, error: FetchError| {
        (
            operation,
            error.in_scope(&cx.scope.account_id, &cx.scope.region),
        )
    };
    let mut ids = Vec::new();
    let mut token = None;
    for page in 1.. {
        if page > MAX_PAGES {
            let why = format!("more than {MAX_PAGES} pages of {kind} rules");
            return Err(fail("rbin:ListRules", FetchError::new("ListRules", why)));
        }
        cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
        let out = client
            .list_rules()
            .resource_type(ResourceType::from(kind))
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| fail("rbin:ListRules", failure("ListRules", &e)))?;
        ids.extend(out.rules().iter().filter_map(|r| r.identifier.clone()));
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut rules = Vec::with_capacity(ids.len());
    for id in ids {
        cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
        let out = client
            .get_rule()
            .identifier(id)
            .send()
            .await
            .map_err(|e| fail("rbin:GetRule", failure("GetRule", &e)))?;
        let tags = |tags: Option<Vec<aws_sdk_rbin::types::ResourceTag>>| -> Vec<ResourceTag> {
            tags.unwrap_or_default()
                .into_iter()
                .map(|t| ResourceTag {
                    resource_tag_key: t.resource_tag_key,
                    resource_tag_value: t.resource_tag_value,
                })
                .collect()
        };
        rules.push(RetentionRule {
            identifier: out.identifier.unwrap_or_default(),
            description: out.description,
            retention_period: out.retention_period.map(|p| RetentionPeriod {
                retention_period_value: i64::from(p.retention_period_value),
                retention_period_unit: p.retention_period_unit.as_str().to_string(),
            }),
            resource_tags: tags(out.resource_tags),
            exclude_resource_tags: tags(out.exclude_resource_tags),
            status: out.status.map(|s| s.as_str().to_string()),
            lock_state: out.lock_state.map(|s| s.as_str().to_string()),
            lock_end_time: out.lock_end_time.map(|t| t.to_string()),
            lock_configuration: out.lock_configuration.and_then(|c| {
                let delay = c.unlock_delay?;
                Some(serde_json::json!({"UnlockDelay": {
                    "UnlockDelayValue": delay.unlock_delay_value,
                    "UnlockDelayUnit": delay.unlock_delay_unit.as_str(),
                }}))
            }),
            rule_arn: out.rule_arn,
        });
    }
    Ok(rules)
}
