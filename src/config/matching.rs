//! Which images a scope or a waiver is about.

use super::{ImageMatch, Scope, Waiver};

impl Scope {
    /// Whether the image is in this scope: every condition given holds.
    pub fn matches(&self, image: &crate::model::Image) -> bool {
        self.tags
            .iter()
            .all(|(k, v)| image.tag(k) == Some(v.as_str()))
            && (self.owners.is_empty()
                || image
                    .owner_id
                    .as_deref()
                    .is_some_and(|o| self.owners.iter().any(|x| x == o)))
            && (self.names.is_empty()
                || image
                    .name
                    .as_deref()
                    .is_some_and(|n| self.names.iter().any(|g| g.is_match(n))))
    }

    pub fn lists(&self, code: &str) -> bool {
        self.rules.iter().any(|r| r == code || r == "ALL")
    }
}

impl Waiver {
    pub fn covers(&self, code: &str, image_id: &str, image_name: Option<&str>) -> bool {
        self.rules.iter().any(|r| r == code || r == "ALL")
            && self.images.iter().any(|m| match m {
                ImageMatch::Id(id) => id == image_id,
                ImageMatch::Name(glob) => image_name.is_some_and(|n| glob.is_match(n)),
            })
    }
}
