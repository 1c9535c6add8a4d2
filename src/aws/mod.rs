//! The only folder that names aws-sdk types (cargo feature `aws`): `connect`
//! sets the SDK up, `fetch` reads images, `convert` turns them into our model,
//! `accounts` says which accounts and regions to enter, `send` makes the calls
//! of `amilint fix`.

mod accounts;
pub mod connect;
pub mod convert;
pub mod fetch;
pub mod org;
pub mod securityhub;
pub mod send;
pub mod settings;
pub mod snapshots;
pub mod usage;
