//! `declare_rule!`: a rule's `///` docs and meta, once, as a `static RuleMeta`.

/// Declares one rule: its `///` docs and meta become a `static RuleMeta`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        $vis:vis static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            severity: $severity:expr,
            default_enabled: $enabled:expr,
            summary: $summary:literal,
            $(subject: $subject:expr,)?
            $(owner_only: $owner_only:expr,)?
            $(requires_options: $requires_options:expr,)?
            $(compliance: [$($control:expr),* $(,)?],)?
            $(needs: $needs:expr,)?
            $(options: $options:ty,)?
            $(check: $check:ident)?
            $(account_check: $account_check:ident)?
            $(fleet_check: $fleet_check:ident)? $(,)?
        }
    ) => {
        $vis static $ident: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            code: $code,
            name: $name,
            severity: $severity,
            default_enabled: $enabled,
            summary: $summary,
            docs: concat!($($doc, "\n"),+),
            origin: $crate::rules::Origin::Builtin(
                declare_rule!(@check $(image $check)? $(account $account_check)? $(fleet $fleet_check)?)
            ),
            subject: declare_rule!(@or $crate::rules::Subject::Image $(, $subject)?),
            needs: declare_rule!(@or $crate::rules::Needs::Nothing $(, $needs)?),
            options: declare_rule!(@options $($options)?),
            owner_only: declare_rule!(@or false $(, $owner_only)?),
            requires_options: declare_rule!(@or false $(, $requires_options)?),
            compliance: declare_rule!(@or &[] $(, &[$($control),*])?),
        };
    };
    (@check image $check:ident) => { $crate::rules::Check::Image($check) };
    (@check account $check:ident) => { $crate::rules::Check::Account($check) };
    (@check fleet $check:ident) => { $crate::rules::Check::Fleet($check) };
    (@options) => { None };
    (@options $options:ty) => {
        Some(&$crate::rules::OptionsSpec {
            parse: $crate::rules::options::parse::<$options>,
            default: $crate::rules::options::default::<$options>,
        })
    };
    (@or $default:expr) => { $default };
    (@or $default:expr, $given:expr) => { $given };
}
pub(crate) use declare_rule;
