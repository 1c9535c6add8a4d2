//! What a fleet rule sees: one image a workload (instance, launch template
//! version, Auto Scaling group) launches from, and what the scan knows of it.

use crate::model::{AccountSettings, Image, Use, Workload};
use crate::rules::Severity;

/// One image a workload launches from.
pub struct InUse<'a> {
    pub workload: &'a Workload,
    pub used: &'a Use,
    pub image: Lookup<'a>,
    /// The image is the scan's own (`plan::Ownership`) and was scanned.
    pub owned: bool,
    /// For an own scanned image: its most severe finding that counts.
    pub worst: Option<Severity>,
    /// A newer image of the same name family and owner that is not
    /// deprecated (AMI307): its id.
    pub newer: Option<&'a str>,
    /// The guardrails of the workload's account and region, when read.
    pub settings: Option<&'a AccountSettings>,
}

/// What the scan knows of the image.
pub enum Lookup<'a> {
    Found(&'a Image),
    /// DescribeImages does not know the id: deregistered, or no longer
    /// visible to the account.
    Missing,
    /// Neither in the inputs nor described (an offline export).
    NotInInputs,
    /// The image id itself is not known (`Use::unresolved` says why).
    Unresolved,
}

impl Lookup<'_> {
    pub fn unknown(&self) -> bool {
        matches!(self, Lookup::NotInInputs | Lookup::Unresolved)
    }
}

impl InUse<'_> {
    /// The image id, or `-` when not resolved.
    pub fn image_id(&self) -> &str {
        self.used.image_id.as_deref().unwrap_or("-")
    }

    /// How messages name the workload: `instance i-… (running)`, `launch
    /// template lt-…:$Default (version 3)`, `Auto Scaling group web (through
    /// launch template lt-… version $Latest)`.
    pub fn subject(&self) -> String {
        let w = self.workload;
        let kind = match w.kind {
            crate::model::WorkloadKind::Instance => "instance",
            crate::model::WorkloadKind::LaunchTemplate => "launch template",
            crate::model::WorkloadKind::AutoScalingGroup => "Auto Scaling group",
        };
        let mut out = format!("{kind} {}", w.id);
        if let Some(state) = &w.state {
            out.push_str(&format!(" ({state})"));
        }
        if let Some(via) = &self.used.via {
            out.push_str(&format!(" through {via}"));
        }
        out
    }
}

/// The name family of an image name: its digit runs made `#`
/// (`web-2025-01-05` and `web-2025-03-01` are one family, `web-#-#-#`).
pub fn family(name: &str) -> String {
    crate::pattern::digits_as_hash(name)
}

impl InUse<'_> {
    /// The image's deprecation time when it has passed (`None`: not
    /// deprecated, not known, or unreadable: then a note says so).
    pub fn deprecated_since<'i>(&'i self, cx: &mut super::Cx<'_>) -> Option<&'i str> {
        let Lookup::Found(image) = self.image else {
            return None;
        };
        let text = image.deprecation_time.as_deref();
        let at = cx.date("DeprecationTime", text)?;
        (at <= cx.settings.now).then(|| text.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_with_other_numbers_are_one_family() {
        assert_eq!(super::family("web-2025-01-05"), "web-#-#-#");
        assert_eq!(
            super::family("web-2025-03-17"),
            super::family("web-2025-01-05")
        );
        assert_ne!(super::family("api-1"), super::family("web-1"));
    }
}
