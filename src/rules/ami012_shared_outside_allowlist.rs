use crate::model::Image;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Grant, Needs, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags launch permissions that share the image with an AWS account, organization or
    /// organizational unit (OU) that is not on the allowlist (`--allow-account`,
    /// `--allow-org`). Sharing with the image's own account is not a share; `Group=all`
    /// (public) is AMI006's business. An allowed organization allows its OUs.
    ///
    /// Needs `LaunchPermissions`, which `scan --aws --attributes` adds (and `--save`
    /// keeps); images without it are not checked.
    ///
    /// ## Why is this bad?
    /// Whoever can launch an image can read everything on its snapshots. Shares drift:
    /// a vendor's account added for a test, an organization that was left. An allowlist
    /// makes every share a decision.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "OwnerId": "111122223333",
    ///   "LaunchPermissions": [ { "UserId": "999988887777" } ] }
    /// ```
    ///
    /// ## Remediation
    /// Remove the share:
    /// `aws ec2 modify-image-attribute --image-id ami-0abc --launch-permission "Remove=[{UserId=999988887777}]"`,
    /// or, if it is intended, add the account with `--allow-account` (or the organization with
    /// `--allow-org`).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageAttribute.html
    pub(crate) static SHARED_OUTSIDE_ALLOWLIST = {
        code: "AMI012",
        name: "shared-outside-allowlist",
        severity: Severity::High,
        default_enabled: true,
        summary: "Image is shared with an account or organization outside the allowlist",
        owner_only: true,
        needs: Needs::LaunchPermissions,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI012]` (and `--allow-account`, `--allow-org`, which win).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Accounts an image may be shared with (besides its owner).
    #[serde(deserialize_with = "crate::rules::options::account_ids")]
    pub allowed_accounts: Vec<String>,
    /// Organization and OU ARNs an image may be shared with (an organization
    /// allows its OUs).
    #[serde(deserialize_with = "crate::rules::options::organization_arns")]
    pub allowed_organizations: Vec<String>,
}

/// `o-abc123` from an organization ARN (`…:organization/o-abc123`) or an OU
/// ARN (`…:ou/o-abc123/ou-…`).
fn org_id(arn: &str) -> Option<&str> {
    let (_, path) = arn.split_once(':')?;
    let path = path.rsplit(':').next()?;
    path.split('/').find(|part| part.starts_with("o-"))
}

fn org_allowed(arn: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| {
        a == arn
            || (a.contains(":organization/") && org_id(a).is_some() && org_id(a) == org_id(arn))
    })
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    // `needs: LaunchPermissions`: an image without them is not checked.
    let Some(permissions) = &image.launch_permissions else {
        return;
    };
    let settings = cx.options::<Options>();
    let mut found = Vec::new();
    for (i, p) in permissions.iter().enumerate() {
        let at = ptr!["LaunchPermissions", i];
        if let Some(account) = &p.user_id {
            if image.owner_id.as_deref() != Some(account.as_str())
                && !settings.allowed_accounts.iter().any(|a| a == account)
            {
                found.push((
                    at,
                    format!("shared with account {account}, which is not on the allowlist"),
                    Grant::UserId(account.clone()),
                ));
            }
        } else if let Some(org) = &p.organization_arn {
            if !org_allowed(org, &settings.allowed_organizations) {
                found.push((
                    at,
                    format!("shared with organization {org}, which is not on the allowlist"),
                    Grant::OrganizationArn(org.clone()),
                ));
            }
        } else if let Some(ou) = &p.organizational_unit_arn
            && !org_allowed(ou, &settings.allowed_organizations)
        {
            found.push((
                at,
                format!("shared with organizational unit {ou}, which is not on the allowlist"),
                Grant::OrganizationalUnitArn(ou.clone()),
            ));
        }
    }
    for (at, message, remove) in found {
        cx.report(at, message);
        cx.fix(Fix::new(
            image,
            vec![Action::RemoveLaunchPermission(remove)],
            None,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_allow_their_units() {
        let allowed = vec!["arn:aws:organizations::111122223333:organization/o-abc123".to_string()];
        assert!(org_allowed(
            "arn:aws:organizations::111122223333:ou/o-abc123/ou-ab12-cdef3456",
            &allowed
        ));
        assert!(org_allowed(
            "arn:aws:organizations::111122223333:organization/o-abc123",
            &allowed
        ));
        assert!(!org_allowed(
            "arn:aws:organizations::444455556666:organization/o-zzz999abcd",
            &allowed
        ));
        let only_unit =
            vec!["arn:aws:organizations::111122223333:ou/o-abc123/ou-ab12-cdef3456".to_string()];
        assert!(!org_allowed(
            "arn:aws:organizations::111122223333:organization/o-abc123",
            &only_unit
        ));
        assert!(!org_allowed(
            "arn:aws:organizations::111122223333:ou/o-abc123/ou-other",
            &only_unit
        ));
    }
}
