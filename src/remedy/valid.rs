//! What an action's values may be: the checks that keep a crafted report
//! from becoming a call or a command.

use crate::error::ActionError;
use crate::model::is_account_id;

/// `Ok` when `ok(value)`, else why, with the value quoted and escaped.
pub(crate) fn check(
    what: &'static str,
    value: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<(), ActionError> {
    if ok(value) {
        Ok(())
    } else {
        Err(ActionError::Value {
            what,
            value: value.chars().take(80).collect(),
        })
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

/// `snap-` and 8 or 17 lowercase hex digits.
pub fn is_snapshot_id(id: &str) -> bool {
    id.strip_prefix("snap-").is_some_and(|hex| {
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
