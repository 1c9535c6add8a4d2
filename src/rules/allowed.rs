//! The Allowed AMIs criteria judged on an image, as EC2 judges them
//! (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html):
//! the account's own images are always allowed; another's is allowed when it
//! meets one criterion; it meets a criterion when
//! it meets every part the criterion sets (providers, names, Marketplace
//! product codes, creation date, deprecation time), and a part with several
//! values when it meets one of them. What an image's data cannot tell (a
//! public image of an account without an owner alias may be a verified
//! provider's, which `amazon` allows; a watermark criterion) leaves the
//! verdict unknown, never "allowed" or "not allowed".

use jiff::Timestamp;

use crate::model::{Image, ImageCriterion};
use crate::rules::{days_between, parse_time};

/// What the criteria say of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Why not: what each criterion missed.
    NotAllowed(String),
    /// What could not be told.
    Unknown(&'static str),
}

/// Why the account of `settings` may not launch `image`: EC2's own answer
/// (`said`, DescribeImages `ImageAllowed` in that account) when there is
/// one, else the criteria's. `None`: allowed, or not known.
pub fn why_not(
    image: &Image,
    said: Option<bool>,
    settings: &crate::model::AccountSettings,
    now: Timestamp,
) -> Option<String> {
    match said {
        Some(true) => None,
        Some(false) => Some("ImageAllowed is false".to_string()),
        None => match verdict(
            settings.image_criteria.as_deref()?,
            image,
            &settings.account_id,
            now,
        ) {
            Verdict::NotAllowed(reason) => Some(format!(
                "the Allowed AMIs criteria of {} {} do not allow it ({reason})",
                settings.account_id, settings.region
            )),
            _ => None,
        },
    }
}

/// What enabling `criteria` does to one image in use in `account`: (1, 0)
/// blocked, (0, 1) not judged (`None`: the image is not known), (0, 0)
/// allowed.
pub fn blocks(
    criteria: &[ImageCriterion],
    image: Option<&Image>,
    account: &str,
    now: Timestamp,
) -> (u64, u64) {
    match image.map(|i| verdict(criteria, i, account, now)) {
        Some(Verdict::Allowed) => (0, 0),
        Some(Verdict::NotAllowed(_)) => (1, 0),
        Some(Verdict::Unknown(_)) | None => (0, 1),
    }
}

/// The criteria's verdict on `image`, in `account` (whose own images `none`
/// allows), at `now`.
pub fn verdict(
    criteria: &[ImageCriterion],
    image: &Image,
    account: &str,
    now: Timestamp,
) -> Verdict {
    // "The Allowed AMIs feature does not restrict the AMIs owned by your
    // account" (API_ReplaceImageCriteriaInAllowedImagesSettings).
    if image.owner_id.as_deref() == Some(account) {
        return Verdict::Allowed;
    }
    let mut unknown = None;
    let mut why = Vec::new();
    for (i, criterion) in criteria.iter().enumerate() {
        match meets(criterion, image, account, now) {
            Verdict::Allowed => return Verdict::Allowed,
            Verdict::Unknown(what) => unknown = unknown.or(Some(what)),
            Verdict::NotAllowed(reason) => why.push(format!("criterion {}: {reason}", i + 1)),
        }
    }
    match unknown {
        Some(what) => Verdict::Unknown(what),
        None if why.is_empty() => Verdict::Unknown("no criterion is set"),
        None => Verdict::NotAllowed(why.join("; ")),
    }
}

/// Whether `image` meets every part `c` sets: a part it misses decides at
/// once; a part that cannot be told leaves the verdict unknown unless
/// another part is missed.
fn meets(c: &ImageCriterion, image: &Image, account: &str, now: Timestamp) -> Verdict {
    if c.image_watermarks.is_some() {
        return Verdict::Unknown("a criterion with image watermarks");
    }
    let mut unknown = None;
    if !c.image_providers.is_empty() {
        match provider(&c.image_providers, image, account) {
            (true, _) => {}
            (false, Some(maybe)) => unknown = Some(maybe),
            (false, None) => {
                let providers = c.image_providers.join(", ");
                return Verdict::NotAllowed(format!("its provider is not one of {providers}"));
            }
        }
    }
    let name = image.name.as_deref().unwrap_or_default();
    if !c.image_names.is_empty() && !c.image_names.iter().any(|p| wildcard(p, name)) {
        let names = c.image_names.join(", ");
        return Verdict::NotAllowed(format!("its name matches none of {names}"));
    }
    let has_code = |code: &String| {
        image
            .product_codes
            .iter()
            .flatten()
            .any(|p| p.product_code_id.as_ref() == Some(code))
    };
    if !c.marketplace_product_codes.is_empty() && !c.marketplace_product_codes.iter().any(has_code)
    {
        return Verdict::NotAllowed("it has none of the Marketplace product codes".to_string());
    }
    if let Some(condition) = &c.creation_date_condition {
        let max = condition.maximum_days_since_created;
        match parse_time(image.creation_date.as_deref()) {
            Some(created) if days_between(created, now) > max => {
                let days = days_between(created, now);
                return Verdict::NotAllowed(format!("it is {days} days old (at most {max})"));
            }
            Some(_) => {}
            None => unknown = Some("an image without a readable CreationDate"),
        }
    }
    let deprecated = image
        .deprecation_time
        .as_deref()
        .filter(|t| !t.trim().is_empty());
    if let (Some(condition), Some(text)) = (&c.deprecation_time_condition, deprecated) {
        let max = condition.maximum_days_since_deprecated;
        match parse_time(Some(text)) {
            Some(at) if at <= now && days_between(at, now) > max => {
                let days = days_between(at, now);
                return Verdict::NotAllowed(format!(
                    "it was deprecated {days} days ago (at most {max})"
                ));
            }
            Some(_) => {}
            None => unknown = Some("an image without a readable DeprecationTime"),
        }
    }
    match unknown {
        Some(what) => Verdict::Unknown(what),
        None => Verdict::Allowed,
    }
}

/// Whether the image's provider is one of `providers`: (yes, or else what
/// cannot be told).
fn provider(providers: &[String], image: &Image, account: &str) -> (bool, Option<&'static str>) {
    let alias = image.image_owner_alias.as_deref();
    let owner = image.owner_id.as_deref();
    let mut maybe = None;
    for p in providers {
        let yes = match p.as_str() {
            "amazon" => {
                // A verified provider's public image has no owner alias to
                // tell it by.
                if alias.is_none() && image.public == Some(true) && owner != Some(account) {
                    maybe = Some("a public image that may be a verified provider's (`amazon`)");
                }
                alias == Some("amazon")
            }
            "aws-marketplace" | "aws-backup-vault" => alias == Some(p.as_str()),
            "none" => owner == Some(account),
            id => owner == Some(id),
        };
        if yes {
            return (true, None);
        }
    }
    (false, maybe)
}

/// An Allowed AMIs name pattern: `*` any run of characters, `?` any one,
/// everything else itself (`[` and `(` too: names may hold them).
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CreationDateCondition, DeprecationTimeCondition};

    fn image(extra: serde_json::Value) -> Image {
        let mut base = serde_json::json!({
            "ImageId": "ami-1", "Name": "web-2026-05", "OwnerId": "111122223333",
            "CreationDate": "2026-05-01T00:00:00.000Z", "Public": false,
        });
        for (k, v) in extra.as_object().expect("object") {
            base[k] = v.clone();
        }
        serde_json::from_value(base).expect("image")
    }

    #[test]
    fn issue_34_criteria_are_judged_as_ec2_judges_them() {
        let now: Timestamp = "2026-06-01T00:00:00Z".parse().expect("time");
        let own = ImageCriterion {
            image_providers: vec!["none".into()],
            image_names: vec!["web-*".into(), "db-20??".into()],
            creation_date_condition: Some(CreationDateCondition {
                maximum_days_since_created: 60,
            }),
            ..ImageCriterion::default()
        };
        let amazon = ImageCriterion {
            image_providers: vec!["amazon".into()],
            deprecation_time_condition: Some(DeprecationTimeCondition {
                maximum_days_since_deprecated: 0,
            }),
            ..ImageCriterion::default()
        };
        let criteria = [own, amazon];
        let judge = |extra| verdict(&criteria, &image(extra), "111122223333", now);
        // The account's own images: always allowed, whatever the criteria.
        assert_eq!(
            judge(serde_json::json!({"Name": "anything"})),
            Verdict::Allowed
        );
        // A partner's (listed by id in the first criterion's names test).
        let partner = |extra: serde_json::Value| {
            let mut all = serde_json::json!({"OwnerId": "444455556666"});
            for (k, v) in extra.as_object().expect("object") {
                all[k] = v.clone();
            }
            all
        };
        let by_id = ImageCriterion {
            image_providers: vec!["444455556666".into()],
            image_names: vec!["web-*".into(), "db-20??".into()],
            creation_date_condition: Some(CreationDateCondition {
                maximum_days_since_created: 60,
            }),
            ..ImageCriterion::default()
        };
        let partner_judge = |extra| {
            verdict(
                std::slice::from_ref(&by_id),
                &image(partner(extra)),
                "111122223333",
                now,
            )
        };
        assert_eq!(partner_judge(serde_json::json!({})), Verdict::Allowed);
        assert_eq!(
            partner_judge(serde_json::json!({"Name": "db-2025"})),
            Verdict::Allowed,
            "? is one character"
        );
        assert!(matches!(
            partner_judge(serde_json::json!({"Name": "app-1"})),
            Verdict::NotAllowed(why) if why.contains("name")
        ));
        assert!(matches!(
            partner_judge(serde_json::json!({"CreationDate": "2025-01-01T00:00:00.000Z"})),
            Verdict::NotAllowed(why) if why.contains("days old")
        ));
        assert!(matches!(
            verdict(
                &criteria,
                &image(partner(serde_json::json!({}))),
                "111122223333",
                now
            ),
            Verdict::NotAllowed(_)
        ));
        // Another account's image: the second criterion (amazon) decides.
        let amazon_image =
            serde_json::json!({"OwnerId": "137112412989", "ImageOwnerAlias": "amazon"});
        assert_eq!(judge(amazon_image.clone()), Verdict::Allowed);
        let mut deprecated = amazon_image;
        deprecated["DeprecationTime"] = "2026-05-01T00:00:00.000Z".into();
        assert!(matches!(judge(deprecated), Verdict::NotAllowed(_)));
        // A public image of an account without an alias may be a verified
        // provider's: not told.
        assert!(matches!(
            judge(serde_json::json!({"OwnerId": "679593333241", "Public": true})),
            Verdict::Unknown(_)
        ));
        assert!(matches!(
            judge(serde_json::json!({"OwnerId": "679593333241"})),
            Verdict::NotAllowed(_)
        ));
        assert!(matches!(
            verdict(
                &[],
                &image(partner(serde_json::json!({}))),
                "111122223333",
                now
            ),
            Verdict::Unknown(_)
        ));
        assert!(wildcard("a[1]*(x)", "a[1]-build(x)"));
        assert!(!wildcard("a?c", "ac"));
    }
}
