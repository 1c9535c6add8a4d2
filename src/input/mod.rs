//! Where images come from. `file` reads saved describe-images exports;
//! `fetch` (cargo feature `aws`) reads them from the EC2 API.

#[cfg(feature = "aws")]
pub mod fetch;
pub mod file;

pub use file::{
    FieldLines, InputSource, field_line, parse_image, read_images, read_raw, read_requests,
};
pub mod position;
