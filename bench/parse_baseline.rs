//! The throughput yardstick of issue 6: a single-threaded, typed serde_json
//! parse of a describe-images export into a `Vec` of images, and nothing else.
//!
//! It reads the whole file into memory and parses it with `from_slice` (the
//! fastest way serde_json offers), and prints how many images it read and an
//! independent count of what AMI001–AMI004 would find, so the benchmark can
//! check amilint's counts against it.
//!
//! `cargo run --release --no-default-features --example parse-baseline -- FILE`

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    images: Vec<Image>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Image {
    image_id: String,
    name: Option<String>,
    description: Option<String>,
    image_location: Option<String>,
    image_type: Option<String>,
    state: Option<String>,
    owner_id: Option<String>,
    image_owner_alias: Option<String>,
    public: Option<bool>,
    architecture: Option<String>,
    platform: Option<String>,
    platform_details: Option<String>,
    usage_operation: Option<String>,
    creation_date: Option<String>,
    deprecation_time: Option<String>,
    imds_support: Option<String>,
    boot_mode: Option<String>,
    tpm_support: Option<String>,
    virtualization_type: Option<String>,
    hypervisor: Option<String>,
    root_device_type: Option<String>,
    root_device_name: Option<String>,
    ena_support: Option<bool>,
    sriov_net_support: Option<String>,
    kernel_id: Option<String>,
    ramdisk_id: Option<String>,
    deregistration_protection: Option<String>,
    last_launched_time: Option<String>,
    source_instance_id: Option<String>,
    #[serde(default)]
    product_codes: Vec<ProductCode>,
    #[serde(default)]
    block_device_mappings: Vec<BlockDeviceMapping>,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct ProductCode {
    product_code_id: Option<String>,
    product_code_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct BlockDeviceMapping {
    device_name: Option<String>,
    virtual_name: Option<String>,
    ebs: Option<Ebs>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Ebs {
    encrypted: Option<bool>,
    kms_key_id: Option<String>,
    snapshot_id: Option<String>,
    volume_size: Option<i64>,
    volume_type: Option<String>,
    delete_on_termination: Option<bool>,
    iops: Option<i64>,
    throughput: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Tag {
    key: String,
    value: String,
}

#[allow(clippy::print_stdout)] // The counts are this program's output.
fn main() {
    let path = std::env::args().nth(1).expect("usage: parse-baseline FILE");
    let bytes = std::fs::read(&path).expect("read the export");
    let page: Page = serde_json::from_slice(&bytes).expect("parse the export");
    drop(bytes);
    let images = page.images;
    // An independent count of the first four rules, for the benchmark's
    // correctness check (kernel and ramdisk images skipped, as amilint does).
    let machine: Vec<&Image> = images
        .iter()
        .filter(|i| !matches!(i.image_type.as_deref(), Some("kernel" | "ramdisk")))
        .collect();
    let ami001 = machine
        .iter()
        .filter(|i| i.imds_support.as_deref() != Some("v2.0"))
        .count();
    let ami002 = machine
        .iter()
        .filter(|i| {
            i.deprecation_time
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
        })
        .count();
    let ami003 = machine
        .iter()
        .filter(|i| {
            i.block_device_mappings
                .iter()
                .any(|m| m.ebs.as_ref().is_some_and(|e| e.encrypted != Some(true)))
        })
        .count();
    let ami004 = machine
        .iter()
        .filter(|i| {
            i.platform_details
                .as_deref()
                .is_none_or(|p| p.trim().is_empty())
        })
        .count();
    println!(
        "{{\"images\":{},\"AMI001\":{ami001},\"AMI002\":{ami002},\"AMI003\":{ami003},\"AMI004\":{ami004}}}",
        images.len()
    );
}
