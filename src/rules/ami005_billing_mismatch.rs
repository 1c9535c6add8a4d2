use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags images whose `PlatformDetails` is present but disagrees with the rest of the
    /// image: with `Platform` (`windows`), with the `UsageOperation` billing code, or with an
    /// operating system named in `Name` or `Description` (Windows, Red Hat/RHEL, SUSE/SLES,
    /// SQL Server).
    ///
    /// ## Why is this bad?
    /// Billing follows `PlatformDetails`/`UsageOperation`, not what is installed. An image
    /// registered from a snapshot (RegisterImage) loses the billing code of the image it came
    /// from: a Windows or RHEL image that bills as `Linux/UNIX` runs unlicensed, which is a
    /// licence breach, and instances launched from it may fail to activate. The RegisterImage
    /// documentation warns about exactly this.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "Name": "Windows_Server-2022-English-Full-Base",
    ///   "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances" }
    /// ```
    ///
    /// ## Remediation
    /// Recreate the image from a correctly licensed instance (CreateImage) or copy the
    /// original image (CopyImage), which keep the billing code; do not RegisterImage from a
    /// snapshot of a licensed image. Then deregister the mislabelled image.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/billing-info-fields.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
    pub(crate) static BILLING_PLATFORM_MISMATCH = {
        code: "AMI005",
        name: "billing-platform-mismatch",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Billing platform details disagree with the image's platform",
        check: check,
    }
}

/// Licence families that show up in billing fields and image names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Windows,
    RedHat,
    Suse,
    UbuntuPro,
    SqlServer,
}

impl Family {
    const ALL: [Family; 5] = [
        Family::Windows,
        Family::RedHat,
        Family::Suse,
        Family::UbuntuPro,
        Family::SqlServer,
    ];

    fn label(self) -> &'static str {
        match self {
            Family::Windows => "Windows",
            Family::RedHat => "Red Hat",
            Family::Suse => "SUSE",
            Family::UbuntuPro => "Ubuntu Pro",
            Family::SqlServer => "SQL Server",
        }
    }

    /// Whether a `PlatformDetails` value, in lower case, names this family.
    fn in_details(self, d: &str) -> bool {
        match self {
            Family::Windows => d.contains("windows"),
            Family::RedHat => d.contains("red hat"),
            Family::Suse => d.contains("suse"),
            Family::UbuntuPro => d.contains("ubuntu pro"),
            Family::SqlServer => d.contains("sql server"),
        }
    }

    /// Whether free text (a name or description) names this family as a word.
    fn in_text(self, words: &[&str]) -> bool {
        let has = |w: &str| words.contains(&w);
        let pair =
            |a: &str, b: &dyn Fn(&str) -> bool| words.windows(2).any(|p| p[0] == a && b(p[1]));
        match self {
            Family::Windows => has("windows"),
            Family::RedHat => has("rhel") || has("redhat") || pair("red", &|w| w == "hat"),
            Family::Suse => has("suse") || has("sles"),
            Family::UbuntuPro => pair("ubuntu", &|w| w == "pro"),
            Family::SqlServer => {
                has("sqlserver")
                    || pair("sql", &|w| {
                        w == "server"
                            || (w.len() == 4
                                && w.starts_with("20")
                                && w.bytes().all(|b| b.is_ascii_digit()))
                    })
            }
        }
    }
}

/// The licence families a `UsageOperation` billing code stands for, from the
/// "AMI billing information fields" table. `None` for codes we do not know.
fn families_of_code(code: &str) -> Option<&'static [Family]> {
    use Family::*;
    Some(match code {
        "RunInstances" => &[],
        "RunInstances:00g0" | "RunInstances:0010" | "RunInstances:1010" => &[RedHat],
        "RunInstances:0014" | "RunInstances:0110" | "RunInstances:0210" | "RunInstances:1014"
        | "RunInstances:1110" => &[RedHat, SqlServer],
        "RunInstances:0004" | "RunInstances:0100" | "RunInstances:0200" => &[SqlServer],
        "RunInstances:000g" => &[Suse],
        "RunInstances:0g00" => &[UbuntuPro],
        "RunInstances:0002" | "RunInstances:0800" => &[Windows],
        "RunInstances:0006" | "RunInstances:0102" | "RunInstances:0202" => &[Windows, SqlServer],
        _ => return None,
    })
}

/// The words of `lower` (text in lower case), split at punctuation and at
/// letter/digit changes, so `rhel9`, `sles15` and `sql_2019` each give their
/// family word.
fn words(lower: &str) -> Vec<&str> {
    let bytes = lower.as_bytes();
    let mut out = Vec::new();
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            out.extend(start.take().map(|s| &lower[s..i]));
            continue;
        }
        match start {
            Some(s) if bytes[i - 1].is_ascii_digit() != b.is_ascii_digit() => {
                out.push(&lower[s..i]);
                start = Some(i);
            }
            Some(_) => {}
            None => start = Some(i),
        }
    }
    out.extend(start.map(|s| &lower[s..]));
    out
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(details) = image.platform_details.as_deref() else {
        return;
    };
    if details.trim().is_empty() {
        return; // AMI004's business.
    }
    let mut reasons = Vec::new();
    let mut field = "PlatformDetails";
    let lower = details.to_ascii_lowercase();

    let platform_windows = image
        .platform
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("windows"));
    let details_windows = Family::Windows.in_details(&lower);
    if platform_windows && !details_windows {
        reasons.push("Platform is `windows`".to_string());
    } else if details_windows && !platform_windows {
        reasons.push(format!(
            "Platform is {} but billing says Windows",
            shown(image.platform.as_deref())
        ));
        field = "Platform";
    }

    if let Some(code) = image.usage_operation.as_deref()
        && let Some(families) = families_of_code(code.trim())
    {
        let disagree = Family::ALL
            .into_iter()
            .any(|f| families.contains(&f) != f.in_details(&lower));
        if disagree {
            reasons.push(format!("UsageOperation is `{code}`"));
            if reasons.len() == 1 {
                field = "UsageOperation";
            }
        }
    }

    for (field, text) in [("Name", &image.name), ("Description", &image.description)] {
        let Some(text) = text.as_deref() else {
            continue;
        };
        let text = text.to_ascii_lowercase();
        let words = words(&text);
        let missing: Vec<&str> = Family::ALL
            .into_iter()
            .filter(|f| f.in_text(&words) && !f.in_details(&lower))
            .map(Family::label)
            .collect();
        if !missing.is_empty() {
            reasons.push(format!("{field} names {}", missing.join(" and ")));
        }
    }

    if !reasons.is_empty() {
        cx.report(
            ptr![field],
            format!(
                "PlatformDetails `{details}` disagrees with the image: {}",
                reasons.join("; ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        super::words(&text.to_ascii_lowercase())
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn in_text(family: Family, text: &str) -> bool {
        family.in_text(&super::words(&text.to_ascii_lowercase()))
    }

    #[test]
    fn words_find_families() {
        assert!(in_text(
            Family::Windows,
            "Windows_Server-2022-English-Full-Base"
        ));
        assert!(in_text(
            Family::SqlServer,
            "Windows_Server-2019-English-Full-SQL_2019_Standard"
        ));
        assert!(!in_text(Family::SqlServer, "ubuntu-mysql-proxy"));
        assert!(in_text(Family::RedHat, "RHEL-9.3.0_HVM-20240117-x86_64"));
        assert!(in_text(
            Family::Suse,
            "suse-sles-15-sp5-v20240101-hvm-ssd-x86_64"
        ));
        assert!(!in_text(Family::Suse, "amzn2-ami-kernel-5.10-hvm"));
        assert!(in_text(Family::RedHat, "payments-rhel9-base"));
        assert_eq!(words("SQL2019x"), vec!["sql", "2019", "x"]);
    }
}
