use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a RegisterImage or CreateImage request whose `Name` is missing, shorter than 3
    /// or longer than 128 characters, or uses a character outside the allowed set: letters,
    /// digits, `(`, `)`, `[`, `]`, space, `.`, `/`, `-`, `'`, `@` and `_`.
    ///
    /// ## Why is this bad?
    /// EC2 rejects the request (`InvalidAMIName.Malformed`), late in the pipeline: after the
    /// build, the snapshot or the instance already exist.
    ///
    /// ## Example
    /// ```json
    /// { "Name": "web:2024-05-01", "BlockDeviceMappings": [] }
    /// ```
    /// Passes with `"Name": "web-2024-05-01"`.
    ///
    /// ## Remediation
    /// Build the name from allowed characters only (replace `:` and other punctuation with `-`),
    /// 3 to 128 characters, e.g. `web-2024-05-01T12-00`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html
    pub(crate) static INVALID_IMAGE_NAME = {
        code: "AMI101",
        name: "invalid-image-name",
        severity: Severity::High,
        default_enabled: true,
        summary: "Requested image name is not valid for EC2",
        subject: Subject::Request,
        check: check,
    }
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c)
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let message = match image.name.as_deref() {
        None => "Name is missing: the request needs one".to_string(),
        Some(name) if !(3..=128).contains(&name.chars().count()) => format!(
            "Name is {} characters long; EC2 takes 3 to 128",
            name.chars().count()
        ),
        Some(name) => {
            let mut bad: Vec<char> = name.chars().filter(|c| !allowed(*c)).collect();
            if bad.is_empty() {
                return;
            }
            bad.dedup();
            let shown: Vec<String> = bad.iter().map(|c| format!("{c:?}")).collect();
            format!(
                "Name has characters EC2 refuses: {}; allowed are letters, digits and ()[] ./-'@_",
                shown.join(", ")
            )
        }
    };
    cx.report(ptr!["Name"], message);
}
