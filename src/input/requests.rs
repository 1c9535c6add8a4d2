//! Preflight request files: RegisterImage and CreateImage documents. The
//! reader finds them like images (a file's one object, each object of an
//! array, JSON Lines, gzip, stdin), and each is parsed here.

use crate::error::InputError;
use crate::input::scanner::json_error;
use crate::model::{Image, Tag};

/// One RegisterImage / CreateImage request document, as found by the reader
/// at `line`:`column` of `path` (`uri` in findings), parsed into our image
/// model: request keys that an image does not have, such as
/// `TagSpecifications` or `NoReboot`, are kept in `extra` (and checked for
/// their API types), the tags are those the request gives the image, and an
/// image that has no id yet is named by its `Name` or its place.
pub fn parse_request(
    bytes: &[u8],
    line: u64,
    column: u64,
    path: &str,
    uri: &str,
) -> Result<Image, InputError> {
    let mut image: Image =
        serde_json::from_slice(bytes).map_err(|e| json_error(&e, line, column, path))?;
    // The request-only members the image model keeps as they are: typed
    // here, so that a value EC2 would refuse is an error, not ignored.
    serde_json::from_slice::<RequestOnly>(bytes).map_err(|e| json_error(&e, line, column, path))?;
    // What DescribeImages answers and no request has: an export, not a request.
    if image.extra.contains_key("Images")
        || image.state.is_some()
        || image.creation_date.is_some()
        || image.owner_id.is_some()
    {
        return Err(InputError::Syntax {
            path: path.to_string(),
            line,
            column,
            message: "a describe-images export (or one of its images: `Images`, `State`, `CreationDate` or `OwnerId`, which no RegisterImage/CreateImage request has), not a request: lint it with `amilint scan`".to_string(),
        });
    }
    image.tags = Some(request_tags(&image));
    // A RegisterImage/CreateImage request has no image id yet: findings name
    // the image to be (an EnableImageDeprecation request has one).
    if image.image_id.is_none() {
        image.image_id = Some(match &image.name {
            Some(name) => name.clone(),
            None => format!("request at {uri}:{line}"),
        });
    }
    Ok(image)
}

/// Whether the request is a CreateImage (it names an instance), not a
/// RegisterImage.
pub fn is_create_image(request: &Image) -> bool {
    request.extra.contains_key("InstanceId")
}

/// The tags a request gives the image: `TagSpecifications` entries with
/// `ResourceType: image`.
fn request_tags(request: &Image) -> Vec<Tag> {
    request
        .extra
        .get("TagSpecifications")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter(|spec| spec.get("ResourceType").and_then(|v| v.as_str()) == Some("image"))
        .filter_map(|spec| spec.get("Tags").cloned())
        .filter_map(|tags| serde_json::from_value::<Vec<Tag>>(tags).ok())
        .flatten()
        .collect()
}

/// The members of RegisterImage and CreateImage requests that are not image
/// fields, with their API types (the API reference's request parameters).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // Read only to check the types.
struct RequestOnly {
    tag_specifications: Option<Vec<TagSpecification>>,
    no_reboot: Option<bool>,
    dry_run: Option<bool>,
    instance_id: Option<String>,
    billing_products: Option<Vec<String>>,
    client_token: Option<String>,
    snapshot_location: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // Read only to check the types.
struct TagSpecification {
    resource_type: Option<String>,
    tags: Option<Vec<RequestTag>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // Read only to check the types.
struct RequestTag {
    key: String,
    value: Option<String>,
}
