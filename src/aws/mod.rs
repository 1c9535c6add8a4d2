//! The only folder that names aws-sdk types (cargo feature `aws`): `connect`
//! sets the SDK up, `fetch` reads images, `convert` turns them into our model,
//! `accounts` says which accounts and regions to enter, `sources` is the one
//! seam for the data beyond DescribeImages (one `Source` a row: `attributes`,
//! `snapshots` and `keys`' key managers, `usage`'s references and ancestry,
//! `settings`' guardrails,
//! `recycle_bin`'s retention rules),
//! `send` makes the calls of `amilint fix`.

mod accounts;
mod attributes;
pub mod connect;
pub mod convert;
pub mod fetch;
mod fleet;
mod keys;
pub mod org;
mod recycle_bin;
pub mod securityhub;
pub mod send;
pub mod settings;
pub mod snapshots;
pub mod sources;
pub mod usage;
