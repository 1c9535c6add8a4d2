//! Whose images are the user's: owner-only rules run on those only.

/// Which images are the user's: owner-only rules (`RuleMeta::owner_only`)
/// run on those only.
#[derive(Debug, Clone, Default)]
pub struct Ownership {
    /// `--owner` and `owners`: account ids, or owner aliases (`amazon`…).
    pub owners: std::collections::BTreeSet<String>,
    /// `--all-owners`: every image is linted as owned.
    pub all: bool,
}

impl Ownership {
    /// Whether `image` is owned: by a named owner (account or alias); else,
    /// when the scan knows the account it was found in, by that account;
    /// else, with no account named, when it has no `ImageOwnerAlias` (Amazon's,
    /// Marketplace and Backup vault images have one). An image without an
    /// `OwnerId` is judged by its alias alone.
    pub fn owns(&self, image: &crate::model::Image) -> bool {
        let alias = image.image_owner_alias.as_deref();
        if self.all || alias.is_some_and(|a| self.owners.contains(a)) {
            return true;
        }
        match (image.owner_id.as_deref(), &image.scope) {
            (Some(owner), _) if self.owners.contains(owner) => true,
            (Some(owner), Some(scope)) => scope.account_id == owner,
            // Accounts named: the list is the whole truth (aliases named
            // only add their images to the user's).
            (Some(_), None) if self.owners.iter().any(|o| crate::model::is_account_id(o)) => false,
            _ => alias.is_none(),
        }
    }

    /// How a not-owned image's owner is counted: its alias, else its account.
    pub fn owner_label(image: &crate::model::Image) -> &str {
        image
            .image_owner_alias
            .as_deref()
            .or(image.owner_id.as_deref())
            .unwrap_or("unknown")
    }
}
