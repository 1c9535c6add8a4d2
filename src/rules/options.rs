//! Rule options. A rule with settings declares a typed `Options` struct in
//! its own file (`#[serde(deny_unknown_fields, default)]`, with `Default`);
//! its `[rules.CODE]` table in amilint.toml deserialises into it through the
//! registry (`RuleMeta::options`), the command-line flags that set options
//! win over the file, and the check reads it with `cx.options()`.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{BUILTIN, RuleMeta};

/// One rule's options, typed by the rule (`cx.options::<Options>()`).
pub type AnyOptions = Arc<dyn Any + Send + Sync>;

/// How the registry makes a rule's options: from its table, or by default.
#[derive(Debug)]
pub struct OptionsSpec {
    pub parse: fn(ValueDeserializer<'_>) -> Result<AnyOptions, toml::de::Error>,
    pub default: fn() -> AnyOptions,
}

/// `OptionsSpec::parse` for the options type `T`.
pub fn parse<T: DeserializeOwned + Send + Sync + 'static>(
    de: ValueDeserializer<'_>,
) -> Result<AnyOptions, toml::de::Error> {
    T::deserialize(de).map(|options| Arc::new(options) as AnyOptions)
}

/// `OptionsSpec::default` for the options type `T`.
pub fn default<T: Default + Send + Sync + 'static>() -> AnyOptions {
    Arc::new(T::default())
}

/// Every rule's options for one scan: the defaults, unless set.
#[derive(Clone)]
pub struct RuleOptions(Vec<(&'static str, AnyOptions)>);

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions(
            BUILTIN
                .iter()
                .filter_map(|r| r.options.map(|spec| (r.code, (spec.default)())))
                .collect(),
        )
    }
}

impl fmt::Debug for RuleOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(code, _)| code))
            .finish()
    }
}

impl RuleOptions {
    pub fn get(&self, code: &str) -> Option<&(dyn Any + Send + Sync)> {
        self.0
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, options)| &**options)
    }

    pub fn set(&mut self, code: &'static str, options: AnyOptions) {
        match self.0.iter_mut().find(|(c, _)| *c == code) {
            Some(slot) => slot.1 = options,
            None => self.0.push((code, options)),
        }
    }
}

/// An option set on the command line (`--max-age-days 90`): it wins over the
/// rule's table in amilint.toml.
#[derive(Debug, Clone)]
pub struct Override {
    pub code: &'static str,
    pub key: &'static str,
    pub value: toml::Value,
    /// The flag, for messages.
    pub flag: &'static str,
}

/// Why a rule's options were refused.
#[derive(Debug)]
pub enum OptionsError {
    /// In the config file: the byte span, the key (`rules.AMI008.max_age_days`).
    Config {
        span: Range<usize>,
        key: String,
        message: String,
    },
    /// On the command line.
    Flag { flag: &'static str, message: String },
}

/// The options of `rule` from its table in amilint.toml (without `severity`
/// and `disable`, which every rule has) and the command-line `overrides`;
/// `None` when neither sets any.
pub fn resolve(
    rule: &'static RuleMeta,
    table: Option<&Spanned<DeTable<'_>>>,
    overrides: &[Override],
) -> Result<Option<AnyOptions>, OptionsError> {
    let overrides: Vec<&Override> = overrides.iter().filter(|o| o.code == rule.code).collect();
    let given = table.is_some_and(|t| !t.get_ref().is_empty());
    if !given && overrides.is_empty() {
        return Ok(None);
    }
    // An option of another rule, in this rule's table: say whose it is.
    if let Some(table) = table {
        for (key, value) in table.get_ref() {
            if let Some(owner) = owner_of(rule, key, value) {
                return Err(OptionsError::Config {
                    span: key.span(),
                    key: format!("rules.{}.{}", rule.code, key.get_ref()),
                    message: format!(
                        "`{}` is an option of {owner}, not of {}",
                        key.get_ref(),
                        rule.code
                    ),
                });
            }
        }
    }
    let Some(spec) = rule.options else {
        let key = table
            .and_then(|t| t.get_ref().iter().next())
            .map(|(k, _)| (k.get_ref().to_string(), k.span()));
        return Err(match key {
            Some((key, span)) => OptionsError::Config {
                span,
                key: format!("rules.{}.{key}", rule.code),
                message: format!("{} has no option `{key}` (it has no options)", rule.code),
            },
            None => OptionsError::Flag {
                flag: overrides[0].flag,
                message: format!("{} has no options", rule.code),
            },
        });
    };
    // Each part alone first, so that an error names where it is.
    let flags_text: String = overrides
        .iter()
        .map(|o| format!("{} = {}\n", o.key, o.value))
        .collect();
    let flags = DeTable::parse(&flags_text).map_err(|e| OptionsError::Flag {
        flag: overrides.first().map_or("", |o| o.flag),
        message: e.message().to_string(),
    })?;
    for o in &overrides {
        let mut one = DeTable::new();
        if let Some((k, v)) = flags.get_ref().iter().find(|(k, _)| k.get_ref() == o.key) {
            one.insert(k.clone(), v.clone());
        }
        (spec.parse)(de(one, 0..0)).map_err(|e| OptionsError::Flag {
            flag: o.flag,
            message: e.message().trim().to_string(),
        })?;
    }
    let mut merged = DeTable::new();
    let mut span = 0..0;
    if let Some(table) = table {
        span = table.span();
        (spec.parse)(de(table.get_ref().clone(), table.span())).map_err(|e| {
            let at = e.span().unwrap_or(table.span());
            let key = table
                .get_ref()
                .iter()
                .find(|(k, v)| k.span().contains(&at.start) || v.span().contains(&at.start))
                .map_or(String::new(), |(k, _)| format!(".{}", k.get_ref()));
            OptionsError::Config {
                span: at,
                key: format!("rules.{}{key}", rule.code),
                message: e.message().trim().to_string(),
            }
        })?;
        merged.extend(table.get_ref().clone());
    }
    merged.extend(flags.into_inner());
    (spec.parse)(de(merged, span))
        .map(Some)
        .map_err(|e| OptionsError::Flag {
            flag: overrides.first().map_or("", |o| o.flag),
            message: e.message().trim().to_string(),
        })
}

/// The other rule whose options take `key` (with its value), when this one's do not.
fn owner_of(
    rule: &RuleMeta,
    key: &Spanned<toml::de::DeString<'_>>,
    value: &Spanned<DeValue<'_>>,
) -> Option<&'static str> {
    let takes = |spec: &OptionsSpec| {
        let mut one = DeTable::new();
        one.insert(key.clone(), value.clone());
        (spec.parse)(de(one, 0..0)).is_ok()
    };
    if rule.options.is_some_and(takes) {
        return None;
    }
    BUILTIN
        .iter()
        .find(|other| other.options.is_some_and(takes))
        .map(|other| other.code)
}

fn de(table: DeTable<'_>, span: Range<usize>) -> ValueDeserializer<'_> {
    ValueDeserializer::from(Spanned::new(span, DeValue::Table(table)))
}

// Checked option types, for `#[serde(deserialize_with = …)]`: a bad value is
// an error at its place in amilint.toml, or names its flag.

/// A number of days: zero or more.
pub fn days<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
    let days = i64::deserialize(de)?;
    if days < 0 {
        return Err(serde::de::Error::custom("must not be negative"));
    }
    Ok(days)
}

/// A number of days, given: the option is set (an absent one keeps its default).
pub fn some_days<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    days(de).map(Some)
}

/// 12-digit AWS account ids.
pub fn account_ids<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let ids = Vec::<String>::deserialize(de)?;
    if let Some(bad) = ids.iter().find(|id| !crate::model::is_account_id(id)) {
        return Err(serde::de::Error::custom(format!(
            "`{bad}` is not a 12-digit AWS account id"
        )));
    }
    Ok(ids)
}

/// Organization or OU ARNs.
pub fn organization_arns<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let arns = Vec::<String>::deserialize(de)?;
    let ok = |arn: &str| {
        crate::remedy::valid::is_organization_arn(arn) || crate::remedy::valid::is_ou_arn(arn)
    };
    if let Some(bad) = arns.iter().find(|arn| !ok(arn)) {
        return Err(serde::de::Error::custom(format!(
            "`{bad}` is not an organization or OU ARN \
             (arn:aws:organizations::111122223333:organization/o-exampleorgid)"
        )));
    }
    Ok(arns)
}

/// A regular expression (bounded, see `crate::pattern`).
pub fn regex<'de, D: Deserializer<'de>>(de: D) -> Result<Option<regex::Regex>, D::Error> {
    let text = String::deserialize(de)?;
    crate::pattern::regex(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Tag → regular expression.
pub fn regex_map<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Vec<(String, regex::Regex)>, D::Error> {
    let map = std::collections::BTreeMap::<String, String>::deserialize(de)?;
    map.into_iter()
        .map(|(tag, text)| {
            crate::pattern::regex(&text)
                .map(|re| (tag.clone(), re))
                .map_err(|e| serde::de::Error::custom(format!("{tag}: {e}")))
        })
        .collect()
}

/// Globs, kept with their text.
pub fn globs<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Vec<(String, globset::GlobMatcher)>, D::Error> {
    Vec::<String>::deserialize(de)?
        .into_iter()
        .map(|text| {
            crate::pattern::glob(&text)
                .map(|glob| (text, glob))
                .map_err(serde::de::Error::custom)
        })
        .collect()
}
