//! The calls of `amilint fix` through aws-sdk-ec2: with `DryRun=true` to
//! check permissions, or for real. SDK types stay in this file.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::RequestId;
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::{
    AllowedImagesSettingsEnabledState, AttributeValue, ImageAttributeName,
    ImageBlockPublicAccessEnabledState, LaunchPermission, LaunchPermissionModifications,
    MetadataDefaultHttpTokensState, OperationType, PermissionGroup, SnapshotAttributeName,
    SnapshotBlockPublicAccessState,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connect::{Connection, assume_role, caller_account, describe, ec2_client, sdk_config};
use crate::model::partition;
use crate::output::progress::Progress;
use crate::remedy::{Action, Grant};
use crate::remedy::{Call, NOT_SENT_STOPPED, NOT_SENT_UNLOGGED, Outcome};

/// How to reach the API, and how hard to try.
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// `--region`: for calls whose report gave none.
    pub region: Option<String>,
    /// Assume `arn:…:iam::ACCOUNT:role/NAME` for calls with a known account.
    pub role_name: Option<String>,
    pub concurrency: usize,
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
}

/// The region calls without one go to: `--region`, else the profile's or
/// AWS_REGION. Loads the SDK configuration once.
pub async fn default_region(opts: &SendOptions) -> Option<String> {
    if opts.region.is_some() {
        return opts.region.clone();
    }
    base(opts).await.region().map(|r| r.to_string())
}

async fn base(opts: &SendOptions) -> aws_config::SdkConfig {
    sdk_config(&Connection {
        profile: opts.profile.as_deref(),
        endpoint_url: opts.endpoint_url.as_deref(),
        region: opts.region.as_deref(),
        max_attempts: opts.max_attempts,
        attempt_timeout: opts.attempt_timeout,
    })
    .await
}

/// Writes a call's intent to the change log before it is sent; an error
/// stops the run (the call and every later one are not sent).
pub type Ahead = Arc<dyn Fn(usize) -> std::io::Result<()> + Send + Sync>;

/// Sends every call (each with a region), `concurrency` images at a time;
/// `ahead` (with `--apply`) is told of each change right before it is sent,
/// once its state has been read again; `done` hears each outcome as it
/// arrives (the change log is written from there). Once `stop` is set, no
/// new call starts. Outcomes come back in the calls' order.
pub async fn send(
    calls: &[Call],
    opts: &SendOptions,
    dry_run: bool,
    stop: &Arc<AtomicBool>,
    ahead: Option<Ahead>,
    mut done: impl FnMut(usize, &Outcome),
) -> Vec<Outcome> {
    let base = base(opts).await;
    // One task per image: an image's calls go one after the other, in order
    // (EC2 may refuse concurrent changes to one image); images in parallel.
    let mut by_image: BTreeMap<ImageKey<'_>, Vec<usize>> = BTreeMap::new();
    for (i, call) in calls.iter().enumerate() {
        let key = (
            call.image_id.as_str(),
            call.account_id.as_deref(),
            call.region.as_deref(),
        );
        by_image.entry(key).or_default().push(i);
    }
    // Without --role-name every call goes out with the base credentials: a
    // finding of another account is refused, never sent to the wrong one.
    let base_account = match (
        &opts.role_name,
        calls.iter().find(|c| c.account_id.is_some()),
    ) {
        (None, Some(call)) => {
            let region = call.region.clone().unwrap_or_default();
            let sts = base
                .to_builder()
                .region(aws_config::Region::new(region))
                .build();
            Some(caller_account(&sts, &Progress::default()).await)
        }
        _ => None,
    };
    // One configuration per account (an assumed role), one client per region.
    let mut configs: BTreeMap<Option<String>, aws_config::SdkConfig> = BTreeMap::new();
    let mut clients: BTreeMap<(Option<String>, String), Client> = BTreeMap::new();
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let (report, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    let mut refused: Vec<(usize, Outcome)> = Vec::new();
    for indices in by_image.into_values() {
        let first = &calls[indices[0]];
        let region = first.region.clone().unwrap_or_default();
        if let (Some(base_account), Some(account)) = (&base_account, &first.account_id) {
            let why = match base_account {
                Ok(own) if own == account => None,
                Ok(own) => Some(format!(
                    "not sent: the finding is in account {account}, the credentials are account {own} (pass --role-name, or that account's credentials)"
                )),
                Err(e) => Some(format!(
                    "not sent: the finding is in account {account}, and the credentials' account is unknown ({e})"
                )),
            };
            if let Some(why) = why {
                refused.extend(indices.iter().map(|&i| (i, Outcome::Failed(why.clone()))));
                continue;
            }
        }
        // With --role-name, the role in the image's account; else the base credentials.
        let account = opts.role_name.as_ref().and(first.account_id.clone());
        if !configs.contains_key(&account) {
            let config = match (&account, &opts.role_name) {
                (Some(id), Some(name)) => {
                    let role = format!("arn:{}:iam::{id}:role/{name}", partition(&region));
                    // STS needs a region too: the account's first image's.
                    let base = base
                        .to_builder()
                        .region(aws_config::Region::new(region.clone()))
                        .build();
                    assume_role(&base, &role).await
                }
                _ => base.clone(),
            };
            configs.insert(account.clone(), config);
        }
        let client = clients
            .entry((account.clone(), region.clone()))
            .or_insert_with(|| ec2_client(&configs[&account], &region))
            .clone();
        let config = configs[&account].clone();
        let mine: Vec<(usize, Call)> = indices.iter().map(|&i| (i, calls[i].clone())).collect();
        let limit = limit.clone();
        let report = report.clone();
        let stop = stop.clone();
        let ahead = ahead.clone();
        tasks.spawn(async move {
            let _slot = limit.acquire_owned().await;
            for (i, call) in mine {
                // Once stopped (Ctrl-C), calls in flight finish; no new one starts.
                let outcome = if stop.load(Ordering::SeqCst) {
                    Outcome::Held(NOT_SENT_STOPPED)
                } else {
                    let ahead = ahead.as_ref().map(|write| {
                        let write = write.clone();
                        let stop = stop.clone();
                        move || {
                            let written = write(i);
                            if written.is_err() {
                                stop.store(true, Ordering::SeqCst);
                            }
                            written
                        }
                    });
                    one(&client, &config, &call, dry_run, ahead).await
                };
                let _ = report.send((i, outcome));
            }
        });
    }
    drop(report);
    let mut outcomes = vec![None; calls.len()];
    // Refused calls were not sent: no change, nothing for the log.
    for (i, outcome) in refused {
        outcomes[i] = Some(outcome);
    }
    // Ends when every task has ended (each holds a sender); a task that
    // panicked leaves its calls empty, reported as failed below.
    while let Some((i, outcome)) = reports.recv().await {
        done(i, &outcome);
        outcomes[i] = Some(outcome);
    }
    while tasks.join_next().await.is_some() {}
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Failed("the call's task failed".to_string())))
        .collect()
}

/// Whether anything references the image now (DescribeImageReferences,
/// every resource type): an image in use is never disabled.
async fn referenced(client: &Client, id: &str) -> Result<bool, String> {
    let out = client
        .describe_image_references()
        .image_ids(id)
        .include_all_resource_types(true)
        .send()
        .await
        .map_err(|e| format!("DescribeImageReferences: {}", describe(&e)))?;
    Ok(!out.image_references().is_empty())
}

/// An image: its id, account and region.
type ImageKey<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// The state a call changes, read again right before the call: `Ok(None)`
/// when it is still what the report found (the call goes), `Ok(Some(why))`
/// when it has changed since (the call is not sent), `Err` when it cannot be
/// read (the call is not sent either: amilint never changes what it has not
/// just read).
async fn still_needed(
    client: &Client,
    config: &aws_config::SdkConfig,
    call: &Call,
) -> Result<Option<&'static str>, String> {
    let id = call.image_id.as_str();
    let image = || async {
        let out = client
            .describe_images()
            .image_ids(id)
            .include_deprecated(true)
            .include_disabled(true)
            .send()
            .await
            .map_err(|e| format!("DescribeImages: {}", describe(&e)))?;
        out.images()
            .iter()
            .find(|i| i.image_id() == Some(id))
            .cloned()
            .ok_or_else(|| {
                format!("DescribeImages: {id} is not there (deregistered since the report?)")
            })
    };
    Ok(match &call.action {
        Action::RequireImdsV2 => image()
            .await?
            .imds_support()
            .is_some_and(|v| v.as_str() == "v2.0")
            .then_some("ImdsSupport is v2.0 already: nothing to change"),
        Action::EnableDeprecation { .. } => image()
            .await?
            .deprecation_time()
            .is_some_and(|t| !t.trim().is_empty())
            .then_some("DeprecationTime was set since the report: left as it is"),
        Action::EnableDeregistrationProtection => image()
            .await?
            .deregistration_protection()
            .is_some_and(|p| p.starts_with("enabled"))
            .then_some("deregistration protection is on already: nothing to change"),
        Action::DisableImage => {
            if image()
                .await?
                .state()
                .is_some_and(|s| s.as_str() != "available")
            {
                Some("the image is no longer available: nothing to disable")
            } else if referenced(client, id).await? {
                Some("something references the image now (DescribeImageReferences): left enabled")
            } else {
                None
            }
        }
        Action::RemoveLaunchPermission(grant) => {
            let out = client
                .describe_image_attribute()
                .image_id(id)
                .attribute(ImageAttributeName::LaunchPermission)
                .send()
                .await
                .map_err(|e| format!("DescribeImageAttribute: {}", describe(&e)))?;
            let held = out.launch_permissions().iter().any(|p| match grant {
                Grant::Group(g) => p.group().is_some_and(|v| v.as_str() == g),
                Grant::UserId(u) => p.user_id() == Some(u.as_str()),
                Grant::OrganizationArn(a) => p.organization_arn() == Some(a.as_str()),
                Grant::OrganizationalUnitArn(a) => p.organizational_unit_arn() == Some(a.as_str()),
            });
            (!held).then_some("the launch permission is no longer there: nothing to remove")
        }
        Action::RemoveCreateVolumePermission { snapshot_id, grant } => {
            let out = client
                .describe_snapshot_attribute()
                .snapshot_id(snapshot_id)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await
                .map_err(|e| format!("DescribeSnapshotAttribute: {}", describe(&e)))?;
            let held = out.create_volume_permissions().iter().any(|p| match grant {
                Grant::Group(g) => p.group().is_some_and(|v| v.as_str() == g),
                Grant::UserId(u) => p.user_id() == Some(u.as_str()),
                Grant::OrganizationArn(_) | Grant::OrganizationalUnitArn(_) => false,
            });
            (!held).then_some("the create-volume permission is no longer there: nothing to remove")
        }
        Action::CopyEncrypted { .. } => None,
        Action::EnableImageBlockPublicAccess => client
            .get_image_block_public_access_state()
            .send()
            .await
            .map_err(|e| format!("GetImageBlockPublicAccessState: {}", describe(&e)))?
            .image_block_public_access_state()
            .is_some_and(|s| s == "block-new-sharing")
            .then_some("block public access for images is on already: nothing to change"),
        Action::EnableSnapshotBlockPublicAccess => client
            .get_snapshot_block_public_access_state()
            .send()
            .await
            .map_err(|e| format!("GetSnapshotBlockPublicAccessState: {}", describe(&e)))?
            .state()
            .is_some_and(|s| s.as_str() == "block-all-sharing")
            .then_some(
                "block public access for snapshots is block-all-sharing already: nothing to change",
            ),
        Action::EnableEbsEncryptionByDefault => client
            .get_ebs_encryption_by_default()
            .send()
            .await
            .map_err(|e| format!("GetEbsEncryptionByDefault: {}", describe(&e)))?
            .ebs_encryption_by_default()
            .unwrap_or(false)
            .then_some("EBS encryption by default is on already: nothing to change"),
        Action::EnableAllowedImages { audit_mode } => {
            let out = client
                .get_allowed_images_settings()
                .send()
                .await
                .map_err(|e| format!("GetAllowedImagesSettings: {}", describe(&e)))?;
            // Audit mode only from `disabled`; `enabled` only from audit mode,
            // and only when the criteria block nothing the fleet uses now.
            match (out.state(), audit_mode) {
                (Some("disabled"), true) => None,
                (Some("audit-mode"), false) => {
                    let criteria: Vec<_> = out
                        .image_criteria()
                        .iter()
                        .cloned()
                        .map(super::settings::criterion)
                        .collect();
                    let scope = (
                        call.account_id.as_deref().unwrap_or_default(),
                        call.region.as_deref().unwrap_or_default(),
                    );
                    let now = jiff::Timestamp::now();
                    let impact =
                        super::fleet::impact(config, client, scope, &criteria, now).await?;
                    (impact.blocked + impact.unknown > 0).then_some(
                        "the criteria would block (or cannot judge) images the fleet uses now: left in audit mode (scan with --fleet: AMI304 names them)",
                    )
                }
                (Some("audit-mode"), true) => {
                    Some("Allowed AMIs is in audit mode already: nothing to change")
                }
                (Some("enabled"), _) => {
                    Some("Allowed AMIs is enabled now: audit mode would loosen it; left as it is")
                }
                _ => Some(
                    "Allowed AMIs is not in the state the report found: left as it is; scan again",
                ),
            }
        }
        Action::RequireImdsV2ByDefault => client
            .get_instance_metadata_defaults()
            .send()
            .await
            .map_err(|e| format!("GetInstanceMetadataDefaults: {}", describe(&e)))?
            .account_level()
            .and_then(|l| l.http_tokens())
            .is_some_and(|t| t.as_str() == "required")
            .then_some("the account's IMDS default requires tokens already: nothing to change"),
    })
}

/// One call, and what its answer means: the state it changes is read again
/// first (`still_needed`).
/// With `ahead`, the change log announces the call before it is sent; when
/// it cannot, the call is not sent.
async fn one(
    client: &Client,
    config: &aws_config::SdkConfig,
    call: &Call,
    dry_run: bool,
    ahead: Option<impl FnOnce() -> std::io::Result<()>>,
) -> Outcome {
    match still_needed(client, config, call).await {
        Ok(None) => {}
        Ok(Some(why)) => return Outcome::Held(why),
        Err(reason) => {
            return Outcome::Failed(format!("not sent: reading the state first: {reason}"));
        }
    }
    if let Some(write) = ahead
        && write().is_err()
    {
        return Outcome::Held(NOT_SENT_UNLOGGED);
    }
    let id = call.image_id.as_str();
    let answer: Result<Option<String>, Refusal> = match &call.action {
        Action::RequireImdsV2 => client
            .modify_image_attribute()
            .image_id(id)
            .imds_support(AttributeValue::builder().value("v2.0").build())
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::RemoveLaunchPermission(grant) => {
            let permission = LaunchPermission::builder();
            let permission = match grant {
                Grant::Group(group) => permission.group(PermissionGroup::from(group.as_str())),
                Grant::UserId(user) => permission.user_id(user),
                Grant::OrganizationArn(arn) => permission.organization_arn(arn),
                Grant::OrganizationalUnitArn(arn) => permission.organizational_unit_arn(arn),
            };
            client
                .modify_image_attribute()
                .image_id(id)
                .launch_permission(
                    LaunchPermissionModifications::builder()
                        .remove(permission.build())
                        .build(),
                )
                .dry_run(dry_run)
                .send()
                .await
                .map(|out| out.request_id().map(str::to_string))
                .map_err(refusal)
        }
        Action::EnableDeprecation { deprecate_at } => {
            let at = match DateTime::from_str(deprecate_at, DateTimeFormat::DateTime) {
                Ok(at) => at,
                Err(e) => return Outcome::Failed(format!("DeprecateAt `{deprecate_at}`: {e}")),
            };
            client
                .enable_image_deprecation()
                .image_id(id)
                .deprecate_at(at)
                .dry_run(dry_run)
                .send()
                .await
                .map(|out| out.request_id().map(str::to_string))
                .map_err(refusal)
        }
        Action::EnableDeregistrationProtection => client
            .enable_image_deregistration_protection()
            .image_id(id)
            .with_cooldown(true)
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::DisableImage => client
            .disable_image()
            .image_id(id)
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::RemoveCreateVolumePermission { snapshot_id, grant } => {
            // The form `aws ec2 modify-snapshot-attribute --operation-type
            // remove --group-names all` (or `--user-ids`) sends, as the report shows.
            let request = client
                .modify_snapshot_attribute()
                .snapshot_id(snapshot_id)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .operation_type(OperationType::Remove);
            let request = match grant {
                Grant::Group(group) => request.group_names(group),
                Grant::UserId(user) => request.user_ids(user),
                Grant::OrganizationArn(_) | Grant::OrganizationalUnitArn(_) => {
                    return Outcome::Failed(
                        "a snapshot's create-volume permission names only accounts".to_string(),
                    );
                }
            };
            request
                .dry_run(dry_run)
                .send()
                .await
                .map(|out| out.request_id().map(str::to_string))
                .map_err(refusal)
        }
        Action::CopyEncrypted { .. } => {
            return Outcome::Failed("CopyImage is not a call amilint fix makes".to_string());
        }
        // The account's settings, in the client's region.
        Action::EnableImageBlockPublicAccess => client
            .enable_image_block_public_access()
            .image_block_public_access_state(ImageBlockPublicAccessEnabledState::from(
                "block-new-sharing",
            ))
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::EnableSnapshotBlockPublicAccess => client
            .enable_snapshot_block_public_access()
            .state(SnapshotBlockPublicAccessState::from("block-all-sharing"))
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::EnableEbsEncryptionByDefault => client
            .enable_ebs_encryption_by_default()
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::EnableAllowedImages { audit_mode } => client
            .enable_allowed_images_settings()
            .allowed_images_settings_state(AllowedImagesSettingsEnabledState::from(
                if *audit_mode { "audit-mode" } else { "enabled" },
            ))
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
        Action::RequireImdsV2ByDefault => client
            .modify_instance_metadata_defaults()
            .http_tokens(MetadataDefaultHttpTokensState::from("required"))
            .dry_run(dry_run)
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(refusal),
    };
    match (answer, dry_run) {
        (Ok(request_id), false) => Outcome::Applied { request_id },
        (Ok(_), true) => Outcome::Failed(
            "the endpoint answered success to a DryRun call: it may have made the change"
                .to_string(),
        ),
        (Err(r), true) if r.code.as_deref() == Some("DryRunOperation") => Outcome::Permitted,
        (Err(r), _) if r.denied() => Outcome::Denied(r.text),
        (Err(r), _) => Outcome::Failed(r.text),
    }
}

/// An error answer: EC2's code when there is one, and the words for it.
struct Refusal {
    code: Option<String>,
    text: String,
}

impl Refusal {
    fn denied(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException")
        )
    }
}

fn refusal<E>(err: SdkError<E, HttpResponse>) -> Refusal
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Refusal {
        code: err.code().map(str::to_string),
        text: describe(&err),
    }
}
