use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule, parse_time};

declare_rule! {
    /// ## What it does
    /// Flags a request document that sets a deprecation date (`DeprecateAt`, as sent to
    /// EnableImageDeprecation after the image is registered) in the past, more than
    /// 10 years ahead, or not a valid time.
    ///
    /// ## Why is this bad?
    /// EC2 refuses a date in the past or more than 10 years ahead, so the image ends up with
    /// no deprecation date at all (AMI002).
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "DeprecateAt": "2020-01-01T00:00:00Z" }
    /// ```
    ///
    /// ## Remediation
    /// Compute the date from the build time, e.g. build date + 1 year, and keep it within
    /// 10 years.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImageDeprecation.html
    pub(crate) static DEPRECATION_DATE_OUT_OF_RANGE = {
        code: "AMI105",
        name: "deprecation-date-out-of-range",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Requested deprecation date is in the past or more than 10 years ahead",
        subject: Subject::Request,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(value) = image.extra.get("DeprecateAt") else {
        return;
    };
    let text = value.as_str().unwrap_or_default();
    let message = match parse_time(Some(text)) {
        None => format!("DeprecateAt {value} is not a time"),
        Some(at) if at < cx.settings.now => format!("DeprecateAt {text} is in the past"),
        Some(at) if (at - cx.settings.now).get_seconds() > 3_652 * 86_400 => {
            format!("DeprecateAt {text} is more than 10 years ahead")
        }
        Some(_) => return,
    };
    cx.report(ptr!["DeprecateAt"], message);
}
