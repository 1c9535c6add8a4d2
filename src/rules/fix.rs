//! Fixes as data. A rule states the EC2 calls that fix its finding
//! (`Action`s); everything else is derived from them: the AWS CLI commands
//! shown in reports, the `--cli-input-json` documents in the JSON report, the
//! undo commands in `amilint fix`'s log, and what `amilint fix` sends.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::model::{Image, is_account_id};

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
        if let Some(why) = actions
            .iter()
            .find_map(|a| a.validate(image.id(), region).err())
        {
            return Fix {
                actions: Vec::new(),
                commands: Vec::new(),
                note: Some(format!("no fix shown: {why}").into()),
                reversible: false,
            };
        }
        let commands = actions
            .iter()
            .map(|a| a.command(image.id(), region))
            .collect();
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
    /// CopyImage with `Encrypted=true`: makes a new image, so `amilint fix`
    /// only shows it; moving users to the copy is a person's job.
    CopyEncrypted {
        name: String,
        source_region: Option<String>,
    },
}

impl Action {
    /// The EC2 API operation.
    pub fn operation(&self) -> &'static str {
        match self {
            Action::RequireImdsV2 | Action::RemoveLaunchPermission(_) => "ModifyImageAttribute",
            Action::EnableDeprecation { .. } => "EnableImageDeprecation",
            Action::EnableDeregistrationProtection => "EnableImageDeregistrationProtection",
            Action::CopyEncrypted { .. } => "CopyImage",
        }
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
    pub fn validate(&self, image_id: &str, region: Option<&str>) -> Result<(), String> {
        check("image id", image_id, is_image_id)?;
        if let Some(region) = region {
            check("region", region, is_region)?;
        }
        match self {
            Action::RequireImdsV2 | Action::EnableDeregistrationProtection => Ok(()),
            Action::EnableDeprecation { deprecate_at } => check("DeprecateAt", deprecate_at, |t| {
                t.parse::<jiff::Timestamp>().is_ok()
            }),
            Action::RemoveLaunchPermission(grant) => match grant {
                Grant::Group(v) => check("launch permission group", v, |v| v == "all"),
                Grant::UserId(v) => check("account id", v, is_account_id),
                Grant::OrganizationArn(v) => check("organization ARN", v, is_organization_arn),
                Grant::OrganizationalUnitArn(v) => check("OU ARN", v, is_ou_arn),
            },
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
            Action::EnableDeregistrationProtection => Some(ec2(
                "disable-image-deregistration-protection",
                image_id,
                &[],
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

    /// Reads an action back from a JSON report: (image id, action). Only the
    /// exact shapes amilint writes are accepted, so a tampered report cannot
    /// make `amilint fix` send anything else.
    pub fn parse(operation: &str, input: &Value) -> Result<(String, Action), String> {
        let Some(members) = input.as_object() else {
            return Err(format!("{operation}: the input is not an object"));
        };
        let only = |allowed: &[&str]| -> Result<(), String> {
            match members.keys().find(|k| !allowed.contains(&k.as_str())) {
                Some(k) => Err(format!(
                    "{operation}: `{k}` is not a parameter amilint fix sends"
                )),
                None => Ok(()),
            }
        };
        let text = |key: &str| -> Result<String, String> {
            members
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("{operation}: `{key}` is missing or not a string"))
        };
        let is_true = |key: &str| -> Result<(), String> {
            match members.get(key) {
                Some(Value::Bool(true)) => Ok(()),
                _ => Err(format!("{operation}: `{key}` must be true")),
            }
        };
        let action = match operation {
            "ModifyImageAttribute" if members.contains_key("ImdsSupport") => {
                only(&["ImageId", "ImdsSupport"])?;
                if members["ImdsSupport"] != serde_json::json!({"Value": "v2.0"}) {
                    return Err(format!(
                        "{operation}: ImdsSupport must be {{\"Value\": \"v2.0\"}}"
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
                        return Err(format!(
                            "{operation}: expected ImdsSupport, or LaunchPermission.Remove of one grantee"
                        ));
                    }
                }
            }
            "EnableImageDeprecation" => {
                only(&["ImageId", "DeprecateAt"])?;
                let at = text("DeprecateAt")?;
                if at.parse::<jiff::Timestamp>().is_err() {
                    return Err(format!("{operation}: DeprecateAt `{at}` is not a time"));
                }
                Action::EnableDeprecation { deprecate_at: at }
            }
            "EnableImageDeregistrationProtection" => {
                only(&["ImageId", "WithCooldown"])?;
                is_true("WithCooldown")?;
                Action::EnableDeregistrationProtection
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
                    .map_err(|why| format!("{operation}: {why}"))?;
                return Ok((id, action));
            }
            other => {
                return Err(format!(
                    "`{other}` is not an operation amilint fix makes (it never deregisters or deletes)"
                ));
            }
        };
        let id = text("ImageId")?;
        action
            .validate(&id, None)
            .map_err(|why| format!("{operation}: {why}"))?;
        Ok((id, action))
    }
}

/// `Ok` when `ok(value)`, else why, with the value quoted and escaped.
fn check(what: &str, value: &str, ok: impl Fn(&str) -> bool) -> Result<(), String> {
    if ok(value) {
        Ok(())
    } else {
        let shown: String = value.chars().take(80).collect();
        Err(format!("the {what} {shown:?} is not one AWS forms"))
    }
}

fn all(text: &str, ok: impl Fn(u8) -> bool) -> bool {
    text.bytes().all(ok)
}

fn lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `ami-` and 8 or 17 lowercase hex digits.
pub fn is_image_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|hex| {
        matches!(hex.len(), 8 | 17)
            && all(hex, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-4`: lowercase words joined by
/// `-`, ending in a number.
pub fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.len() <= 5
        && region.len() <= 32
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && all(p, |b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && all(n, |b| b.is_ascii_digit()))
}

/// `arn:PARTITION:organizations::ACCOUNT:` and the rest, returned.
fn organizations_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("organizations::")?;
    let (account, rest) = rest.split_once(':')?;
    (partition.starts_with("aws")
        && all(partition, |b| b.is_ascii_lowercase() || b == b'-')
        && is_account_id(account))
    .then_some(rest)
}

/// `o-` and 10 to 32 lowercase letters or digits (Organizations' pattern).
fn is_organization_id(id: &str) -> bool {
    id.strip_prefix("o-")
        .is_some_and(|s| (10..=32).contains(&s.len()) && all(s, lower_alnum))
}

/// `arn:aws:organizations::111122223333:organization/o-exampleorgid`.
pub fn is_organization_arn(arn: &str) -> bool {
    organizations_arn(arn)
        .and_then(|rest| rest.strip_prefix("organization/"))
        .is_some_and(is_organization_id)
}

/// `arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456`.
pub fn is_ou_arn(arn: &str) -> bool {
    organizations_arn(arn)
        .and_then(|rest| rest.strip_prefix("ou/"))
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(org, ou)| {
            is_organization_id(org)
                && ou.strip_prefix("ou-").is_some_and(|ou| {
                    ou.split_once('-').is_some_and(|(root, id)| {
                        (4..=32).contains(&root.len())
                            && all(root, lower_alnum)
                            && (8..=32).contains(&id.len())
                            && all(id, lower_alnum)
                    })
                })
        })
}

/// CopyImage's `Name`: 3 to 128 letters, digits, spaces and `()[]./-'@_`.
pub fn is_image_name(name: &str) -> bool {
    (3..=128).contains(&name.len())
        && all(name, |b| {
            b.is_ascii_alphanumeric() || b" ()[]./-'@_".contains(&b)
        })
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
fn shorthand(verb: &str, grant: &Grant) -> String {
    format!("{verb}=[{{{}={}}}]", grant.key(), grant.value())
}

/// `aws ec2 OPERATION --image-id ID ARGS… [--region R]`, every word shell-quoted.
fn ec2(operation: &str, image_id: &str, args: &[&str], region: Option<&str>) -> String {
    cli(operation, ("--image-id", image_id), args, region)
}

/// `aws ec2 OPERATION FLAG ID ARGS… [--region R]`, every word shell-quoted.
fn cli(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_16_a_crafted_grantee_never_becomes_a_grant() {
        let hostile = Action::RemoveLaunchPermission(Grant::UserId(
            "999988887777}],Add=[{Group=all".to_string(),
        ));
        let err = hostile
            .validate("ami-0123456789abcdef0", None)
            .expect_err("refused");
        assert!(err.contains("account id"), "{err}");
        let image = Image {
            image_id: Some("ami-0123456789abcdef0".to_string()),
            ..Image::default()
        };
        let fix = Fix::new(&image, vec![hostile], None);
        assert!(fix.actions.is_empty() && fix.commands.is_empty());
        assert!(
            fix.note
                .as_deref()
                .is_some_and(|n| n.starts_with("no fix shown"))
        );
        // Reading a report holding such a value back is refused too.
        let input = serde_json::json!({"ImageId": "ami-0123456789abcdef0",
            "LaunchPermission": {"Remove": [{"UserId": "1}],Add=[{Group=all"}]}});
        assert!(Action::parse("ModifyImageAttribute", &input).is_err());
        let input = serde_json::json!({"ImageId": "ami-1 --region x",
            "WithCooldown": true});
        assert!(Action::parse("EnableImageDeregistrationProtection", &input).is_err());
        for bad in ["all ", "All", "all}],Add=[{Group=all"] {
            let g = Action::RemoveLaunchPermission(Grant::Group(bad.to_string()));
            assert!(g.validate("ami-0123456789abcdef0", None).is_err(), "{bad}");
        }
        for (ok, id) in [
            (true, "ami-12345678"),
            (true, "ami-0123456789abcdef0"),
            (false, "ami-1"),
            (false, "ami-0123456789ABCDEF0"),
        ] {
            assert_eq!(is_image_id(id), ok, "{id}");
        }
        for (ok, r) in [
            (true, "eu-west-1"),
            (true, "us-gov-west-1"),
            (true, "ap-southeast-4"),
            (false, "eu-west-1 "),
            (false, "eu"),
            (false, "x-1"),
        ] {
            assert_eq!(is_region(r), ok, "{r}");
        }
        assert!(is_ou_arn(
            "arn:aws:organizations::111122223333:ou/o-abcdefghij/ou-ab12-cdef3456"
        ));
        assert!(!is_ou_arn(
            "arn:aws:organizations::111122223333:ou/o-abc/ou-x"
        ));
        assert!(is_organization_arn(
            "arn:aws-us-gov:organizations::111122223333:organization/o-abcdefghij"
        ));
    }

    fn every_action() -> Vec<Action> {
        vec![
            Action::RequireImdsV2,
            Action::EnableDeprecation {
                deprecate_at: "2027-11-22T00:00:00Z".to_string(),
            },
            Action::RemoveLaunchPermission(Grant::Group("all".to_string())),
            Action::RemoveLaunchPermission(Grant::UserId("999988887777".to_string())),
            Action::RemoveLaunchPermission(Grant::OrganizationArn(
                "arn:aws:organizations::111122223333:organization/o-abcdefghij".to_string(),
            )),
            Action::RemoveLaunchPermission(Grant::OrganizationalUnitArn(
                "arn:aws:organizations::111122223333:ou/o-abcdefghij/ou-ab12-cdef3456".to_string(),
            )),
            Action::EnableDeregistrationProtection,
            Action::CopyEncrypted {
                name: "web 'v2'".to_string(),
                source_region: Some("eu-west-1".to_string()),
            },
            Action::CopyEncrypted {
                name: "web".to_string(),
                source_region: None,
            },
        ]
    }

    #[test]
    fn commands_quote_hostile_text() {
        assert_eq!(shell_word("ami-0abc1234"), "ami-0abc1234");
        assert_eq!(shell_word("Remove=[{Group=all}]"), "'Remove=[{Group=all}]'");
        assert_eq!(shell_word("a'b"), "'a'\\''b'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(
            Action::RequireImdsV2.command("ami-1; rm -rf / $(x) `y`", None),
            "aws ec2 modify-image-attribute --image-id 'ami-1; rm -rf / $(x) `y`' --imds-support v2.0"
        );
        let copy = Action::CopyEncrypted {
            name: "web 'v2'".to_string(),
            source_region: Some("eu-west-1".to_string()),
        };
        assert_eq!(
            copy.command("ami-11111111", Some("eu-west-1")),
            "aws ec2 copy-image --source-image-id ami-11111111 --name 'web '\\''v2'\\''' --encrypted --source-region eu-west-1 --region eu-west-1"
        );
    }

    #[test]
    fn inputs_read_back_as_the_same_action() {
        for action in every_action() {
            let input = serde_json::to_value(action.input("ami-0abc1234")).expect("serialises");
            let back = Action::parse(action.operation(), &input);
            assert_eq!(
                back,
                Ok(("ami-0abc1234".to_string(), action.clone())),
                "{input}"
            );
        }
    }

    #[test]
    fn inputs_are_the_api_shapes() {
        let remove = Action::RemoveLaunchPermission(Grant::Group("all".to_string()));
        assert_eq!(
            serde_json::to_value(remove.input("ami-11111111")).expect("serialises"),
            serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"Group": "all"}]}})
        );
        assert_eq!(
            serde_json::to_value(Action::RequireImdsV2.input("ami-11111111")).expect("serialises"),
            serde_json::json!({"ImageId": "ami-11111111", "ImdsSupport": {"Value": "v2.0"}})
        );
    }

    #[test]
    fn only_the_shapes_amilint_writes_are_read() {
        let bad = [
            (
                "DeregisterImage",
                serde_json::json!({"ImageId": "ami-11111111"}),
            ),
            (
                "DeleteSnapshot",
                serde_json::json!({"SnapshotId": "snap-1"}),
            ),
            (
                "ModifyImageAttribute",
                serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Add": [{"Group": "all"}]}}),
            ),
            (
                "ModifyImageAttribute",
                serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"UserId": "1"}, {"UserId": "2"}]}}),
            ),
            (
                "ModifyImageAttribute",
                serde_json::json!({"ImageId": "ami-11111111", "Description": {"Value": "x"}}),
            ),
            (
                "ModifyImageAttribute",
                serde_json::json!({"ImageId": "ami-11111111", "ImdsSupport": {"Value": "v1.0"}}),
            ),
            (
                "EnableImageDeprecation",
                serde_json::json!({"ImageId": "ami-11111111", "DeprecateAt": "soon"}),
            ),
            (
                "EnableImageDeregistrationProtection",
                serde_json::json!({"ImageId": "ami-11111111", "WithCooldown": false}),
            ),
            (
                "EnableImageDeprecation",
                serde_json::json!(["ami-11111111"]),
            ),
        ];
        for (operation, input) in bad {
            assert!(
                Action::parse(operation, &input).is_err(),
                "{operation} {input} was accepted"
            );
        }
    }

    #[test]
    fn undo_reverses_each_reversible_action() {
        for action in every_action() {
            let undo = action.undo("ami-11111111", Some("eu-west-1"));
            assert_eq!(
                undo.is_some(),
                action.reversible() && action.in_place(),
                "{action:?}"
            );
        }
        let remove = Action::RemoveLaunchPermission(Grant::UserId("999988887777".to_string()));
        assert_eq!(
            remove.undo("ami-11111111", None).as_deref(),
            Some(
                "aws ec2 modify-image-attribute --image-id ami-11111111 --launch-permission 'Add=[{UserId=999988887777}]'"
            )
        );
    }
}
