//! Where images come from. `file` reads saved describe-images exports.

pub mod file;

pub use file::{InputSource, field_line, read_images};
pub mod position;
