//! The actions: fixes as data. A rule states the EC2 calls that fix its finding
//! (`Action`s); everything else is derived from them: the AWS CLI commands
//! shown in reports, the `--cli-input-json` documents in the JSON report, the
//! undo commands in `amilint fix`'s log, and what `amilint fix` sends.

use std::borrow::Cow;

use serde_json::Value;

use super::valid::*;
use crate::error::ActionError;
use crate::model::{AccountSettings, Image, is_account_id};

/// The exact fix for one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// The EC2 calls, in order.
    pub actions: Vec<Action>,
    /// Each action as an AWS CLI command for this image, shell-quoted.
    pub commands: Vec<String>,
    /// What to know before running them (most notes are fixed text: no copy per finding).
    pub note: Option<Cow<'static, str>>,
    /// Whether every change can be undone (`false` for IMDSv2).
    pub reversible: bool,
}

impl Fix {
    /// The fix made of `actions` for `image`. Every value that would go into a
    /// command or an API document is checked against the API's own pattern
    /// first (`Action::validate`); an export can hold anything, and a value
    /// such as `123}],Add=[{Group=all` would turn a removal into a grant. A
    /// fix with a value that fails is not shown: its finding stays, and the
    /// note says why there is no fix.
    pub fn new(image: &Image, actions: Vec<Action>, note: Option<Cow<'static, str>>) -> Fix {
        let region = image.scope.as_ref().map(|s| s.region.as_str());
        Fix::of(image.id(), region, actions, note)
    }

    /// The fix made of `actions` for an account's settings in one region.
    pub fn for_account(
        settings: &AccountSettings,
        actions: Vec<Action>,
        note: Option<Cow<'static, str>>,
    ) -> Fix {
        Fix::of(&settings.id(), Some(&settings.region), actions, note)
    }

    /// The fix made of `actions` for the subject `id` (an image id, or
    /// `ACCOUNT/REGION`) in `region`.
    fn of(
        id: &str,
        region: Option<&str>,
        actions: Vec<Action>,
        note: Option<Cow<'static, str>>,
    ) -> Fix {
        if let Some(why) = actions.iter().find_map(|a| a.validate(id, region).err()) {
            return Fix {
                actions: Vec::new(),
                commands: Vec::new(),
                note: Some(format!("no fix shown: {why}").into()),
                reversible: false,
            };
        }
        let commands = actions.iter().map(|a| a.command(id, region)).collect();
        let reversible = actions.iter().all(Action::reversible);
        Fix {
            actions,
            commands,
            note,
            reversible,
        }
    }
}

/// One grantee of a launch permission.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// `all`: every AWS account (a public image).
    Group(String),
    UserId(String),
    OrganizationArn(String),
    OrganizationalUnitArn(String),
}

impl Grant {
    /// The API's member name.
    pub fn key(&self) -> &'static str {
        match self {
            Grant::Group(_) => "Group",
            Grant::UserId(_) => "UserId",
            Grant::OrganizationArn(_) => "OrganizationArn",
            Grant::OrganizationalUnitArn(_) => "OrganizationalUnitArn",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Grant::Group(v)
            | Grant::UserId(v)
            | Grant::OrganizationArn(v)
            | Grant::OrganizationalUnitArn(v) => v,
        }
    }
}

/// One EC2 call that fixes (part of) a finding. Never a deregistration or a
/// deletion: there is no such action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// ModifyImageAttribute `ImdsSupport=v2.0`. Cannot be undone.
    RequireImdsV2,
    /// EnableImageDeprecation at this RFC 3339 time.
    EnableDeprecation { deprecate_at: String },
    /// ModifyImageAttribute `LaunchPermission.Remove` of one grantee.
    RemoveLaunchPermission(Grant),
    /// EnableImageDeregistrationProtection with the 24-hour cooldown.
    EnableDeregistrationProtection,
    /// DisableImage: no new launch of the image, and no account it was
    /// shared with sees it; EnableImage undoes it. Planned only for an image
    /// past its deprecation that nothing references, and sent only if
    /// nothing does at that moment.
    DisableImage,
    /// ModifySnapshotAttribute `createVolumePermission` `remove` of one
    /// grantee (`Group` `all` or a `UserId`) of a snapshot behind the image.
    RemoveCreateVolumePermission { snapshot_id: String, grant: Grant },
    /// CopyImage with `Encrypted=true`: makes a new image, so `amilint fix`
    /// only shows it; moving users to the copy is a person's job.
    CopyEncrypted {
        name: String,
        source_region: Option<String>,
    },
    // The account's guardrails in one region: the subject is `ACCOUNT/REGION`.
    /// EnableImageBlockPublicAccess `block-new-sharing`.
    EnableImageBlockPublicAccess,
    /// EnableSnapshotBlockPublicAccess `block-all-sharing`.
    EnableSnapshotBlockPublicAccess,
    /// EnableEbsEncryptionByDefault.
    EnableEbsEncryptionByDefault,
    /// EnableAllowedImagesSettings: `audit-mode` (from `disabled`: nothing is
    /// blocked yet, ImageAllowed shows what would be) or `enabled` (from
    /// `audit-mode`).
    EnableAllowedImages { audit_mode: bool },
    /// ModifyInstanceMetadataDefaults `HttpTokens=required`.
    RequireImdsV2ByDefault,
}

impl Action {
    /// The EC2 API operation.
    pub fn operation(&self) -> &'static str {
        match self {
            Action::RequireImdsV2 | Action::RemoveLaunchPermission(_) => "ModifyImageAttribute",
            Action::EnableDeprecation { .. } => "EnableImageDeprecation",
            Action::EnableDeregistrationProtection => "EnableImageDeregistrationProtection",
            Action::DisableImage => "DisableImage",
            Action::CopyEncrypted { .. } => "CopyImage",
            Action::RemoveCreateVolumePermission { .. } => "ModifySnapshotAttribute",
            Action::EnableImageBlockPublicAccess => "EnableImageBlockPublicAccess",
            Action::EnableSnapshotBlockPublicAccess => "EnableSnapshotBlockPublicAccess",
            Action::EnableEbsEncryptionByDefault => "EnableEbsEncryptionByDefault",
            Action::EnableAllowedImages { .. } => "EnableAllowedImagesSettings",
            Action::RequireImdsV2ByDefault => "ModifyInstanceMetadataDefaults",
        }
    }

    /// Whether the call changes an account's setting in a region (its
    /// subject is `ACCOUNT/REGION`), not an image.
    pub fn on_account(&self) -> bool {
        matches!(
            self,
            Action::EnableImageBlockPublicAccess
                | Action::EnableSnapshotBlockPublicAccess
                | Action::EnableEbsEncryptionByDefault
                | Action::EnableAllowedImages { .. }
                | Action::RequireImdsV2ByDefault
        )
    }

    /// Whether the change can make a launch that works today fail: a launch
    /// permission removed (the grantee's launches, its Auto Scaling groups),
    /// an image disabled (a launch by its id that nothing on record makes),
    /// Allowed AMIs enabled (every image outside the criteria).
    pub fn can_block_launches(&self) -> bool {
        matches!(
            self,
            Action::RemoveLaunchPermission(_)
                | Action::DisableImage
                | Action::EnableAllowedImages { audit_mode: false }
        )
    }

    pub fn reversible(&self) -> bool {
        !matches!(self, Action::RequireImdsV2)
    }

    /// Whether `amilint fix` makes this change (it changes the image in
    /// place); a copy is left to people.
    pub fn in_place(&self) -> bool {
        !matches!(self, Action::CopyEncrypted { .. })
    }

    /// Checks every value of this call for `image_id` (and `region`) against
    /// the EC2 API's pattern for it: image ids `ami-` and 8 or 17 hex digits,
    /// account ids 12 digits, the group `all`, organization and OU ARNs as
    /// Organizations forms them, regions as AWS names them, image names as
    /// CopyImage allows (3–128 characters of its set), a time for
    /// `DeprecateAt`. Only checked values reach a command or an API call.
    pub fn validate(&self, image_id: &str, region: Option<&str>) -> Result<(), ActionError> {
        if self.on_account() {
            // `ACCOUNT/REGION`, and the call goes to that region.
            let region = region.unwrap_or_default();
            check("region", region, is_region)?;
            return check("account and region", image_id, |subject| {
                subject
                    .split_once('/')
                    .is_some_and(|(account, r)| is_account_id(account) && r == region)
            });
        }
        check("image id", image_id, is_image_id)?;
        if let Some(region) = region {
            check("region", region, is_region)?;
        }
        match self {
            Action::RequireImdsV2
            | Action::EnableDeregistrationProtection
            | Action::DisableImage => Ok(()),
            Action::EnableImageBlockPublicAccess
            | Action::EnableSnapshotBlockPublicAccess
            | Action::EnableEbsEncryptionByDefault
            | Action::EnableAllowedImages { .. }
            | Action::RequireImdsV2ByDefault => Ok(()),
            Action::EnableDeprecation { deprecate_at } => check("DeprecateAt", deprecate_at, |t| {
                t.parse::<jiff::Timestamp>().is_ok()
            }),
            Action::RemoveLaunchPermission(grant) => match grant {
                Grant::Group(v) => check("launch permission group", v, |v| v == "all"),
                Grant::UserId(v) => check("account id", v, is_account_id),
                Grant::OrganizationArn(v) => check("organization ARN", v, is_organization_arn),
                Grant::OrganizationalUnitArn(v) => check("OU ARN", v, is_ou_arn),
            },
            Action::RemoveCreateVolumePermission { snapshot_id, grant } => {
                check("snapshot id", snapshot_id, is_snapshot_id)?;
                match grant {
                    Grant::Group(v) => check("create volume permission group", v, |v| v == "all"),
                    Grant::UserId(v) => check("account id", v, is_account_id),
                    Grant::OrganizationArn(v) | Grant::OrganizationalUnitArn(v) => {
                        check("create volume permission grantee", v, |_| false)
                    }
                }
            }
            Action::CopyEncrypted {
                name,
                source_region,
            } => {
                check("image name", name, is_image_name)?;
                match source_region {
                    Some(r) => check("source region", r, is_region),
                    None => Ok(()),
                }
            }
        }
    }

    /// Reads an action back from a JSON report: (image id, action); the id
    /// is `None` for an account's setting (the finding names the account and
    /// region). Only the exact shapes amilint writes are accepted, so a
    /// tampered report cannot make `amilint fix` send anything else.
    pub fn parse(operation: &str, input: &Value) -> Result<(Option<String>, Action), ActionError> {
        let Some(members) = input.as_object() else {
            return Err(shape(operation, "the input is not an object".to_string()));
        };
        let only = |allowed: &[&str]| -> Result<(), ActionError> {
            match members.keys().find(|k| !allowed.contains(&k.as_str())) {
                Some(k) => Err(shape(
                    operation,
                    format!("`{k}` is not a parameter amilint fix sends"),
                )),
                None => Ok(()),
            }
        };
        let text = |key: &str| -> Result<String, ActionError> {
            members
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| shape(operation, format!("`{key}` is missing or not a string")))
        };
        let is_true = |key: &str| -> Result<(), ActionError> {
            match members.get(key) {
                Some(Value::Bool(true)) => Ok(()),
                _ => Err(shape(operation, format!("`{key}` must be true"))),
            }
        };
        let exactly = |key: &str, value: &str| -> Result<(), ActionError> {
            only(&[key])?;
            match members.get(key).and_then(Value::as_str) {
                Some(v) if v == value => Ok(()),
                _ => Err(shape(operation, format!("`{key}` must be `{value}`"))),
            }
        };
        let account_action = match operation {
            "EnableImageBlockPublicAccess" => {
                exactly("ImageBlockPublicAccessState", "block-new-sharing")?;
                Some(Action::EnableImageBlockPublicAccess)
            }
            "EnableSnapshotBlockPublicAccess" => {
                exactly("State", "block-all-sharing")?;
                Some(Action::EnableSnapshotBlockPublicAccess)
            }
            "EnableEbsEncryptionByDefault" => {
                only(&[])?;
                Some(Action::EnableEbsEncryptionByDefault)
            }
            "EnableAllowedImagesSettings" => {
                only(&["AllowedImagesSettingsState"])?;
                match text("AllowedImagesSettingsState")?.as_str() {
                    "audit-mode" => Some(Action::EnableAllowedImages { audit_mode: true }),
                    "enabled" => Some(Action::EnableAllowedImages { audit_mode: false }),
                    _ => {
                        return Err(shape(
                            operation,
                            "`AllowedImagesSettingsState` must be `audit-mode` or `enabled`"
                                .to_string(),
                        ));
                    }
                }
            }
            "ModifyInstanceMetadataDefaults" => {
                exactly("HttpTokens", "required")?;
                Some(Action::RequireImdsV2ByDefault)
            }
            _ => None,
        };
        if let Some(action) = account_action {
            return Ok((None, action));
        }
        let action = match operation {
            "ModifyImageAttribute" if members.contains_key("ImdsSupport") => {
                only(&["ImageId", "ImdsSupport"])?;
                if members["ImdsSupport"] != serde_json::json!({"Value": "v2.0"}) {
                    return Err(shape(
                        operation,
                        "ImdsSupport must be {\"Value\": \"v2.0\"}".to_string(),
                    ));
                }
                Action::RequireImdsV2
            }
            "ModifyImageAttribute" => {
                only(&["ImageId", "LaunchPermission"])?;
                let grant = members
                    .get("LaunchPermission")
                    .and_then(|l| l.as_object())
                    .filter(|l| l.len() == 1)
                    .and_then(|l| l.get("Remove"))
                    .and_then(Value::as_array)
                    .filter(|r| r.len() == 1)
                    .and_then(|r| r[0].as_object())
                    .filter(|g| g.len() == 1)
                    .and_then(|g| g.iter().next())
                    .and_then(|(k, v)| Some((k.as_str(), v.as_str()?.to_string())));
                match grant {
                    Some(("Group", v)) if v == "all" => {
                        Action::RemoveLaunchPermission(Grant::Group(v))
                    }
                    Some(("UserId", v)) => Action::RemoveLaunchPermission(Grant::UserId(v)),
                    Some(("OrganizationArn", v)) => {
                        Action::RemoveLaunchPermission(Grant::OrganizationArn(v))
                    }
                    Some(("OrganizationalUnitArn", v)) => {
                        Action::RemoveLaunchPermission(Grant::OrganizationalUnitArn(v))
                    }
                    _ => {
                        return Err(shape(
                            operation,
                            "expected ImdsSupport, or LaunchPermission.Remove of one grantee"
                                .to_string(),
                        ));
                    }
                }
            }
            "ModifySnapshotAttribute" => {
                only(&[
                    "ImageId",
                    "SnapshotId",
                    "Attribute",
                    "OperationType",
                    "GroupNames",
                    "UserIds",
                ])?;
                if text("Attribute")? != "createVolumePermission"
                    || text("OperationType")? != "remove"
                {
                    return Err(shape(
                        operation,
                        "only Attribute createVolumePermission with OperationType remove"
                            .to_string(),
                    ));
                }
                let one = |key: &str| {
                    members
                        .get(key)
                        .and_then(Value::as_array)
                        .filter(|values| values.len() == 1)
                        .and_then(|values| values[0].as_str())
                        .map(str::to_string)
                };
                let grant = match (one("GroupNames"), one("UserIds")) {
                    (Some(group), None) if members.len() == 5 => Grant::Group(group),
                    (None, Some(user)) if members.len() == 5 => Grant::UserId(user),
                    _ => {
                        return Err(shape(
                            operation,
                            "expected exactly one of GroupNames or UserIds, with one value"
                                .to_string(),
                        ));
                    }
                };
                Action::RemoveCreateVolumePermission {
                    snapshot_id: text("SnapshotId")?,
                    grant,
                }
            }
            "EnableImageDeprecation" => {
                only(&["ImageId", "DeprecateAt"])?;
                let at = text("DeprecateAt")?;
                if at.parse::<jiff::Timestamp>().is_err() {
                    return Err(shape(
                        operation,
                        format!("DeprecateAt `{at}` is not a time"),
                    ));
                }
                Action::EnableDeprecation { deprecate_at: at }
            }
            "EnableImageDeregistrationProtection" => {
                only(&["ImageId", "WithCooldown"])?;
                is_true("WithCooldown")?;
                Action::EnableDeregistrationProtection
            }
            "DisableImage" => {
                only(&["ImageId"])?;
                Action::DisableImage
            }
            "CopyImage" => {
                only(&["SourceImageId", "SourceRegion", "Name", "Encrypted"])?;
                is_true("Encrypted")?;
                let source_region = match members.get("SourceRegion") {
                    None => None,
                    Some(_) => Some(text("SourceRegion")?),
                };
                let id = text("SourceImageId")?;
                let action = Action::CopyEncrypted {
                    name: text("Name")?,
                    source_region,
                };
                action
                    .validate(&id, None)
                    .map_err(|why| shape(operation, format!("{why}")))?;
                return Ok((Some(id), action));
            }
            other => {
                return Err(shape(
                    other,
                    "not an operation amilint fix makes (it never deregisters or deletes)"
                        .to_string(),
                ));
            }
        };
        let id = text("ImageId")?;
        action
            .validate(&id, None)
            .map_err(|why| shape(operation, format!("{why}")))?;
        Ok((Some(id), action))
    }
}

/// A report's action that is not one amilint writes.
fn shape(operation: &str, message: String) -> ActionError {
    ActionError::Shape {
        operation: operation.to_string(),
        message,
    }
}
