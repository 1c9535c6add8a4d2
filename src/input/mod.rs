//! Where images come from: `source` opens an input (file, stdin, gzip) and
//! reads its images with `scanner`; `requests` reads preflight request files;
//! `locate` finds the line of a field. Live images come from `crate::aws`.

pub mod fleet;
pub mod locate;
pub mod requests;
pub mod scanner;
pub mod settings;
pub mod snapshots;
pub mod source;
#[cfg(test)]
mod tests;

pub use locate::{FieldLines, LocatedImage, field_line};
pub use requests::{is_create_image, parse_request};
pub use scanner::{Items, MAX_IMAGE_BYTES, ReadConfig};
pub use settings::SettingsIndex;
pub use snapshots::SnapshotIndex;
pub use source::{
    InputSource, Lines, ShortReads, parse_image, read_from, read_from_with, read_images, read_raw,
    read_text, read_whole,
};
