//! Actions as the AWS CLI commands shown in reports and as the API's input
//! documents.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::action::{Action, Grant};

/// An action as the AWS CLI command that makes it, the one that undoes it,
/// and the API's input document.
impl Action {
    /// The AWS CLI command, every word shell-quoted; `--region` when known.
    pub fn command(&self, image_id: &str, region: Option<&str>) -> String {
        match self {
            Action::RequireImdsV2 => ec2(
                "modify-image-attribute",
                image_id,
                &["--imds-support", "v2.0"],
                region,
            ),
            Action::EnableDeprecation { deprecate_at } => ec2(
                "enable-image-deprecation",
                image_id,
                &["--deprecate-at", deprecate_at],
                region,
            ),
            Action::RemoveLaunchPermission(grant) => ec2(
                "modify-image-attribute",
                image_id,
                &["--launch-permission", &shorthand("Remove", grant)],
                region,
            ),
            Action::EnableDeregistrationProtection => ec2(
                "enable-image-deregistration-protection",
                image_id,
                &["--with-cooldown"],
                region,
            ),
            Action::DisableImage => ec2("disable-image", image_id, &[], region),
            Action::RemoveCreateVolumePermission { snapshot_id, grant } => {
                snapshot_command("remove", snapshot_id, grant, region)
            }
            Action::EnableImageBlockPublicAccess => account_cli(
                "enable-image-block-public-access",
                &["--image-block-public-access-state", "block-new-sharing"],
                region,
            ),
            Action::EnableSnapshotBlockPublicAccess => account_cli(
                "enable-snapshot-block-public-access",
                &["--state", "block-all-sharing"],
                region,
            ),
            Action::EnableEbsEncryptionByDefault => {
                account_cli("enable-ebs-encryption-by-default", &[], region)
            }
            Action::EnableAllowedImages { audit_mode } => account_cli(
                "enable-allowed-images-settings",
                &[
                    "--allowed-images-settings-state",
                    if *audit_mode { "audit-mode" } else { "enabled" },
                ],
                region,
            ),
            Action::RequireImdsV2ByDefault => account_cli(
                "modify-instance-metadata-defaults",
                &["--http-tokens", "required"],
                region,
            ),
            Action::CopyEncrypted {
                name,
                source_region,
            } => {
                let mut args = vec!["--name", name.as_str(), "--encrypted"];
                if let Some(source) = source_region {
                    args.extend(["--source-region", source.as_str()]);
                }
                // copy-image names its source `--source-image-id`.
                cli("copy-image", ("--source-image-id", image_id), &args, region)
            }
        }
    }

    /// The command that undoes the change, for the change log.
    pub fn undo(&self, image_id: &str, region: Option<&str>) -> Option<String> {
        match self {
            Action::RequireImdsV2 | Action::CopyEncrypted { .. } => None,
            Action::EnableDeprecation { .. } => {
                Some(ec2("disable-image-deprecation", image_id, &[], region))
            }
            Action::RemoveLaunchPermission(grant) => Some(ec2(
                "modify-image-attribute",
                image_id,
                &["--launch-permission", &shorthand("Add", grant)],
                region,
            )),
            Action::RemoveCreateVolumePermission { snapshot_id, grant } => {
                Some(snapshot_command("add", snapshot_id, grant, region))
            }
            Action::EnableDeregistrationProtection => Some(ec2(
                "disable-image-deregistration-protection",
                image_id,
                &[],
                region,
            )),
            Action::DisableImage => Some(ec2("enable-image", image_id, &[], region)),
            Action::EnableImageBlockPublicAccess => Some(account_cli(
                "disable-image-block-public-access",
                &[],
                region,
            )),
            Action::EnableSnapshotBlockPublicAccess => Some(account_cli(
                "disable-snapshot-block-public-access",
                &[],
                region,
            )),
            Action::EnableEbsEncryptionByDefault => Some(account_cli(
                "disable-ebs-encryption-by-default",
                &[],
                region,
            )),
            Action::EnableAllowedImages { audit_mode: true } => {
                Some(account_cli("disable-allowed-images-settings", &[], region))
            }
            Action::EnableAllowedImages { audit_mode: false } => Some(account_cli(
                "enable-allowed-images-settings",
                &["--allowed-images-settings-state", "audit-mode"],
                region,
            )),
            Action::RequireImdsV2ByDefault => Some(account_cli(
                "modify-instance-metadata-defaults",
                &["--http-tokens", "no-preference"],
                region,
            )),
        }
    }

    /// The call's parameters as the API (and `aws … --cli-input-json`) takes them.
    pub fn input<'a>(&'a self, image_id: &'a str) -> Input<'a> {
        Input {
            action: self,
            image_id,
        }
    }
}

/// An action's parameters, serialised as the API's input document.
pub struct Input<'a> {
    action: &'a Action,
    image_id: &'a str,
}

impl Serialize for Input<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let id = self.image_id;
        let mut map = serializer.serialize_map(None)?;
        match self.action {
            Action::RequireImdsV2 => {
                map.serialize_entry("ImageId", id)?;
                map.serialize_entry("ImdsSupport", &One("Value", "v2.0"))?;
            }
            Action::EnableDeprecation { deprecate_at } => {
                map.serialize_entry("ImageId", id)?;
                map.serialize_entry("DeprecateAt", deprecate_at)?;
            }
            Action::RemoveLaunchPermission(grant) => {
                map.serialize_entry("ImageId", id)?;
                let remove = [One(grant.key(), grant.value())];
                map.serialize_entry("LaunchPermission", &One("Remove", remove))?;
            }
            Action::EnableDeregistrationProtection => {
                map.serialize_entry("ImageId", id)?;
                map.serialize_entry("WithCooldown", &true)?;
            }
            Action::DisableImage => {
                map.serialize_entry("ImageId", id)?;
            }
            Action::RemoveCreateVolumePermission { snapshot_id, grant } => {
                // The image is not a parameter of the call: it says which
                // finding the change fixes.
                map.serialize_entry("ImageId", id)?;
                map.serialize_entry("SnapshotId", snapshot_id)?;
                map.serialize_entry("Attribute", "createVolumePermission")?;
                map.serialize_entry("OperationType", "remove")?;
                let key = match grant {
                    Grant::Group(_) => "GroupNames",
                    _ => "UserIds",
                };
                map.serialize_entry(key, &[grant.value()])?;
            }
            Action::EnableImageBlockPublicAccess => {
                map.serialize_entry("ImageBlockPublicAccessState", "block-new-sharing")?;
            }
            Action::EnableSnapshotBlockPublicAccess => {
                map.serialize_entry("State", "block-all-sharing")?;
            }
            Action::EnableEbsEncryptionByDefault => {}
            Action::EnableAllowedImages { audit_mode } => {
                let state = if *audit_mode { "audit-mode" } else { "enabled" };
                map.serialize_entry("AllowedImagesSettingsState", state)?;
            }
            Action::RequireImdsV2ByDefault => {
                map.serialize_entry("HttpTokens", "required")?;
            }
            Action::CopyEncrypted {
                name,
                source_region,
            } => {
                map.serialize_entry("SourceImageId", id)?;
                if let Some(region) = source_region {
                    map.serialize_entry("SourceRegion", region)?;
                }
                map.serialize_entry("Name", name)?;
                map.serialize_entry("Encrypted", &true)?;
            }
        }
        map.end()
    }
}

/// `{"KEY": value}`.
struct One<'a, T>(&'a str, T);

impl<T: Serialize> Serialize for One<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

/// The CLI's shorthand for one launch-permission change: `Remove=[{Group=all}]`.
pub(crate) fn shorthand(verb: &str, grant: &Grant) -> String {
    format!("{verb}=[{{{}={}}}]", grant.key(), grant.value())
}

/// `aws ec2 modify-snapshot-attribute --snapshot-id ID --attribute
/// createVolumePermission --operation-type VERB --group-names all` (or
/// `--user-ids ACCOUNT`).
fn snapshot_command(verb: &str, snapshot_id: &str, grant: &Grant, region: Option<&str>) -> String {
    let who = match grant {
        Grant::Group(_) => "--group-names",
        _ => "--user-ids",
    };
    cli(
        "modify-snapshot-attribute",
        ("--snapshot-id", snapshot_id),
        &[
            "--attribute",
            "createVolumePermission",
            "--operation-type",
            verb,
            who,
            grant.value(),
        ],
        region,
    )
}

/// `aws ec2 OPERATION ARGS… [--region R]`: a call on the account's setting
/// in the region (the credentials say which account).
fn account_cli(operation: &str, args: &[&str], region: Option<&str>) -> String {
    let mut command = format!("aws ec2 {operation}");
    for arg in args
        .iter()
        .copied()
        .chain(region.map(|r| ["--region", r]).into_iter().flatten())
    {
        command.push(' ');
        command.push_str(&shell_word(arg));
    }
    command
}

/// `aws ec2 OPERATION --image-id ID ARGS… [--region R]`, every word shell-quoted.
pub(crate) fn ec2(operation: &str, image_id: &str, args: &[&str], region: Option<&str>) -> String {
    cli(operation, ("--image-id", image_id), args, region)
}

/// `aws ec2 OPERATION FLAG ID ARGS… [--region R]`, every word shell-quoted.
pub(crate) fn cli(
    operation: &str,
    (flag, image_id): (&str, &str),
    args: &[&str],
    region: Option<&str>,
) -> String {
    // Sized once: a command is built for most findings of a large scan.
    let mut command = String::with_capacity(160);
    command.push_str("aws ec2 ");
    command.push_str(operation);
    command.push(' ');
    command.push_str(flag);
    command.push(' ');
    command.push_str(&shell_word(image_id));
    for arg in args
        .iter()
        .copied()
        .chain(region.map(|r| ["--region", r]).into_iter().flatten())
    {
        command.push(' ');
        command.push_str(&shell_word(arg));
    }
    command
}

/// `text` as one POSIX shell word: as is when it is plainly safe, else in
/// single quotes (image ids and names come from exports and may be hostile).
pub fn shell_word(text: &str) -> Cow<'_, str> {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+".contains(&b));
    if safe {
        text.into()
    } else {
        format!("'{}'", text.replace('\'', "'\\''")).into()
    }
}
