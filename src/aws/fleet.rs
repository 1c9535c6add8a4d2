//! The fleet behind a scope's images (`--fleet`): its instances in every
//! state but terminated (DescribeInstances), its launch templates' `$Default`
//! and `$Latest` versions (DescribeLaunchTemplateVersions, every template at
//! once; `resolve:ssm:` images through SSM GetParameters), its Auto Scaling
//! groups and launch configurations; then every image they name that the
//! scope's own images do not hold, described by id whoever owns it
//! (DescribeImages with deprecated and disabled images included). An id EC2
//! does not know (an empty answer for a recently deregistered image,
//! `InvalidAMIID.NotFound` later) is recorded as missing. The records are
//! made workloads by `input::fleet::Records::scopes`, as an export's are.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::Ordering;

use aws_sdk_ec2::types::Filter;

use super::connect::Progress;
use super::connect::{every_page, failure};
use super::convert::to_model;
use super::fetch::Scope;
use super::sources::{Cx, Gathered};
use crate::error::FetchError;
use crate::input::fleet::{
    ConfigurationRecord, GroupRecord, InstanceRecord, MixedInstancesPolicy, MixedTemplate,
    Override, Placement, Records, StateName, TemplateData, TemplateSpec, VersionRecord,
};
use crate::model::{FleetScope, Image, Tag};

/// The rules that judge the fleet.
const RULES: &[&str] = &[
    "AMI301", "AMI302", "AMI303", "AMI304", "AMI305", "AMI306", "AMI307",
];

/// The most pages of one listing.
const MAX_PAGES: u64 = 10_000;

/// Image ids described a call (DescribeImages `ImageIds`).
const IDS_A_CALL: usize = 100;

/// The fleet source (`--fleet`).
pub(super) async fn finish(images: &mut [Image], into: &mut Gathered, cx: &Cx<'_>) {
    let reach = Reach {
        scope: cx.scope,
        config: cx.config,
        client: cx.client,
        progress: cx.progress,
    };
    into.fleet = Some(gather(&reach, images, into).await);
}

/// What reading a scope's fleet needs.
struct Reach<'a> {
    scope: &'a Scope,
    config: &'a aws_config::SdkConfig,
    client: &'a aws_sdk_ec2::Client,
    progress: &'a Progress,
}

/// The scope's fleet: its workloads, and the images they use that `own`
/// (the scope's images) does not hold, described by id; failures go to
/// `into` (and make the fleet `incomplete`).
async fn gather(cx: &Reach<'_>, own: &[Image], into: &mut Gathered) -> FleetScope {
    let failures = |into: &Gathered| into.refused.len() + into.enrichment_errors.len();
    let before = failures(into);
    let autoscaling = aws_sdk_autoscaling::Client::from_conf(
        aws_sdk_autoscaling::config::Builder::from(cx.config)
            .region(aws_sdk_autoscaling::config::Region::new(
                cx.scope.region.clone(),
            ))
            .build(),
    );
    // The three listings at once: a scope waits for the slowest, not the sum.
    let (listed, templates, grouped) =
        tokio::join!(instances(cx), versions(cx), groups(&autoscaling, cx));
    let mut records = Records {
        versions: read(into, "ec2:DescribeLaunchTemplateVersions", templates),
        groups: read(into, "autoscaling:DescribeAutoScalingGroups", grouped),
        ..Records::default()
    };
    let scope = (cx.scope.account_id.as_str(), cx.scope.region.as_str());
    for instance in read(into, "ec2:DescribeInstances", listed) {
        records.instance(instance, Some(scope));
    }
    let named: BTreeSet<String> = records
        .groups
        .iter()
        .filter_map(|g| g.launch_configuration_name.clone())
        .collect();
    if !named.is_empty() {
        records.configurations = read(
            into,
            "autoscaling:DescribeLaunchConfigurations",
            configurations(&autoscaling, named, cx).await,
        );
    }
    let extra = numbered_versions(&records, cx).await;
    records
        .versions
        .extend(read(into, "ec2:DescribeLaunchTemplateVersions", extra));
    resolve_parameters(&mut records.versions, into, cx).await;
    let mut fleet = records
        .scopes(Some(scope))
        .pop()
        .unwrap_or_else(|| FleetScope {
            account_id: cx.scope.account_id.clone(),
            region: cx.scope.region.clone(),
            ..FleetScope::default()
        });
    let own: HashSet<&str> = own.iter().filter_map(|i| i.image_id.as_deref()).collect();
    let wanted: Vec<String> = fleet
        .image_ids()
        .filter(|id| !own.contains(id))
        .map(str::to_string)
        .collect();
    match describe_by_id(wanted, cx).await {
        Ok((found, missing)) => {
            fleet.images = found;
            fleet.missing_image_ids = missing;
            fleet.described = true;
        }
        Err(e) => into.failed("ec2:DescribeImages", RULES, e.in_scope(scope.0, scope.1)),
    }
    fleet.incomplete = failures(into) > before;
    fleet
}

/// What enabling Allowed AMIs with `criteria` would block in `account` ×
/// `region` now: the fleet read again (every image it uses described), each
/// image judged (`amilint fix`, right before it enables the setting).
pub(super) async fn impact(
    config: &aws_config::SdkConfig,
    client: &aws_sdk_ec2::Client,
    (account, region): (&str, &str),
    criteria: &[crate::model::ImageCriterion],
    now: jiff::Timestamp,
) -> Result<crate::model::FleetImpact, String> {
    let scope = Scope {
        account_id: account.to_string(),
        region: region.to_string(),
    };
    let progress = Progress::default();
    let reach = Reach {
        scope: &scope,
        config,
        client,
        progress: &progress,
    };
    let mut into = Gathered::default();
    let fleet = gather(&reach, &[], &mut into).await;
    if let Some(e) = into.enrichment_errors.first() {
        return Err(format!("reading the fleet: {e}"));
    }
    if let Some(r) = into.refused.first() {
        return Err(format!("reading the fleet: {} {}", r.operation, r.why));
    }
    let images: std::collections::HashMap<&str, &Image> = fleet
        .images
        .iter()
        .filter_map(|i| Some((i.image_id.as_deref()?, i)))
        .collect();
    let mut total = crate::model::FleetImpact::default();
    for used in fleet.workloads.iter().flat_map(|w| w.uses.iter()) {
        let image = match used.image_id.as_deref() {
            Some(id) if fleet.missing_image_ids.iter().any(|m| m == id) => continue,
            Some(id) => images.get(id).copied(),
            None => None,
        };
        let (blocked, unknown) = crate::rules::allowed::blocks(criteria, image, account, now);
        total.blocked += blocked;
        total.unknown += unknown;
    }
    Ok(total)
}

/// What a listing read, its failure recorded (a refusal: its rules are not
/// assessed in the scope; else an error of the scope).
fn read<T>(
    into: &mut Gathered,
    operation: &'static str,
    got: Result<Vec<T>, FetchError>,
) -> Vec<T> {
    got.unwrap_or_else(|e| {
        into.failed(operation, RULES, e);
        Vec::new()
    })
}

/// Counts a listing's calls and names its scope in an error.
fn counted<T>(cx: &Reach<'_>, (pages, got): (u64, Result<T, FetchError>)) -> Result<T, FetchError> {
    cx.progress.api_calls.fetch_add(pages, Ordering::Relaxed);
    got.map_err(|e| e.in_scope(&cx.scope.account_id, &cx.scope.region))
}

async fn instances(cx: &Reach<'_>) -> Result<Vec<InstanceRecord>, FetchError> {
    let states = ["pending", "running", "shutting-down", "stopping", "stopped"];
    counted(
        cx,
        every_page("DescribeInstances", MAX_PAGES, |token| async move {
            let page = cx
                .client
                .describe_instances()
                .filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .set_values(Some(states.iter().map(|s| s.to_string()).collect()))
                        .build(),
                )
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| failure("DescribeInstances", &e))?;
            let mut found = Vec::new();
            for reservation in page.reservations() {
                for i in reservation.instances() {
                    let Some(id) = i.instance_id() else { continue };
                    found.push(InstanceRecord {
                        instance_id: id.to_string(),
                        image_id: i.image_id().map(str::to_string),
                        state: Some(StateName {
                            name: i
                                .state()
                                .and_then(|s| s.name())
                                .map(|n| n.as_str().to_string()),
                        }),
                        placement: Some(Placement {
                            availability_zone: i
                                .placement()
                                .and_then(|p| p.availability_zone())
                                .map(str::to_string),
                        }),
                        tags: Some(
                            i.tags()
                                .iter()
                                .map(|t| Tag {
                                    key: t.key().unwrap_or_default().to_string(),
                                    value: t.value().unwrap_or_default().to_string(),
                                })
                                .collect(),
                        ),
                        owner_id: reservation.owner_id().map(str::to_string),
                        origin: None,
                    });
                }
            }
            Ok((found, page.next_token().map(str::to_string)))
        })
        .await,
    )
}

/// One version of the SDK's, as an export has it.
fn version_record(v: &aws_sdk_ec2::types::LaunchTemplateVersion) -> Option<VersionRecord> {
    let data = v.launch_template_data();
    Some(VersionRecord {
        launch_template_id: v.launch_template_id()?.to_string(),
        launch_template_name: v.launch_template_name().map(str::to_string),
        version_number: v.version_number()?,
        default_version: v.default_version(),
        created_by: v.created_by().map(str::to_string),
        launch_template_data: data.map(|d| TemplateData {
            image_id: d.image_id().map(str::to_string),
            placement: d.placement().map(|p| Placement {
                availability_zone: p.availability_zone().map(str::to_string),
            }),
        }),
        resolved_image_id: None,
        origin: None,
    })
}

/// Every template's `$Latest` and `$Default` versions, in one listing.
async fn versions(cx: &Reach<'_>) -> Result<Vec<VersionRecord>, FetchError> {
    counted(
        cx,
        every_page(
            "DescribeLaunchTemplateVersions",
            MAX_PAGES,
            |token| async move {
                let page = cx
                    .client
                    .describe_launch_template_versions()
                    .versions("$Latest")
                    .versions("$Default")
                    .max_results(200)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| failure("DescribeLaunchTemplateVersions", &e))?;
                let found = page
                    .launch_template_versions()
                    .iter()
                    .filter_map(version_record)
                    .collect();
                Ok((found, page.next_token().map(str::to_string)))
            },
        )
        .await,
    )
}

/// The numbered versions groups name that the listing did not hold, one
/// call a template.
async fn numbered_versions(
    records: &Records,
    cx: &Reach<'_>,
) -> Result<Vec<VersionRecord>, FetchError> {
    let have: HashSet<(&str, i64)> = records
        .versions
        .iter()
        .map(|v| (v.launch_template_id.as_str(), v.version_number))
        .collect();
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (spec, _) in records.groups.iter().flat_map(GroupRecord::specs) {
        let (Some(id), Some(version)) = (&spec.launch_template_id, &spec.version) else {
            continue;
        };
        if let Ok(n) = version.parse::<i64>()
            && !have.contains(&(id.as_str(), n))
        {
            wanted
                .entry(id.clone())
                .or_default()
                .insert(version.clone());
        }
    }
    let mut found = Vec::new();
    for (id, numbers) in wanted {
        cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
        let page = cx
            .client
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .set_versions(Some(numbers.into_iter().collect()))
            .send()
            .await
            .map_err(|e| {
                failure("DescribeLaunchTemplateVersions", &e)
                    .in_scope(&cx.scope.account_id, &cx.scope.region)
            })?;
        found.extend(
            page.launch_template_versions()
                .iter()
                .filter_map(version_record),
        );
    }
    Ok(found)
}

fn template_spec(s: &aws_sdk_autoscaling::types::LaunchTemplateSpecification) -> TemplateSpec {
    TemplateSpec {
        launch_template_id: s.launch_template_id().map(str::to_string),
        launch_template_name: s.launch_template_name().map(str::to_string),
        version: s.version().map(str::to_string),
    }
}

async fn groups(
    client: &aws_sdk_autoscaling::Client,
    cx: &Reach<'_>,
) -> Result<Vec<GroupRecord>, FetchError> {
    counted(
        cx,
        every_page("DescribeAutoScalingGroups", MAX_PAGES, |token| async move {
            let page = client
                .describe_auto_scaling_groups()
                .max_records(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| failure("DescribeAutoScalingGroups", &e))?;
            let found = page
                .auto_scaling_groups()
                .iter()
                .map(|g| GroupRecord {
                    auto_scaling_group_name: g
                        .auto_scaling_group_name()
                        .unwrap_or_default()
                        .to_string(),
                    auto_scaling_group_arn: g.auto_scaling_group_arn().map(str::to_string),
                    launch_template: g.launch_template().map(template_spec),
                    launch_configuration_name: g.launch_configuration_name().map(str::to_string),
                    mixed_instances_policy: g.mixed_instances_policy().map(|m| {
                        MixedInstancesPolicy {
                            launch_template: m.launch_template().map(|t| MixedTemplate {
                                launch_template_specification: t
                                    .launch_template_specification()
                                    .map(template_spec),
                                overrides: Some(
                                    t.overrides()
                                        .iter()
                                        .map(|o| Override {
                                            launch_template_specification: o
                                                .launch_template_specification()
                                                .map(template_spec),
                                        })
                                        .collect(),
                                ),
                            }),
                        }
                    }),
                    origin: None,
                })
                .collect();
            Ok((found, page.next_token().map(str::to_string)))
        })
        .await,
    )
}

/// The launch configurations groups name, fifty names a call.
async fn configurations(
    client: &aws_sdk_autoscaling::Client,
    names: BTreeSet<String>,
    cx: &Reach<'_>,
) -> Result<Vec<ConfigurationRecord>, FetchError> {
    let names: Vec<String> = names.into_iter().collect();
    let mut found = Vec::new();
    for batch in names.chunks(50) {
        let got = every_page(
            "DescribeLaunchConfigurations",
            MAX_PAGES,
            |token| async move {
                let page = client
                    .describe_launch_configurations()
                    .set_launch_configuration_names(Some(batch.to_vec()))
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| failure("DescribeLaunchConfigurations", &e))?;
                let found = page
                    .launch_configurations()
                    .iter()
                    .map(|c| ConfigurationRecord {
                        launch_configuration_name: c
                            .launch_configuration_name()
                            .unwrap_or_default()
                            .to_string(),
                        launch_configuration_arn: c.launch_configuration_arn().map(str::to_string),
                        image_id: c.image_id().map(str::to_string),
                    })
                    .collect();
                Ok((found, page.next_token().map(str::to_string)))
            },
        )
        .await;
        found.extend(counted(cx, got)?);
    }
    Ok(found)
}

/// Resolves the versions' `resolve:ssm:PARAMETER` images through SSM
/// GetParameters (ten names a call); an unresolved one stays a parameter
/// (its workload's rules are then not assessed).
async fn resolve_parameters(versions: &mut [VersionRecord], into: &mut Gathered, cx: &Reach<'_>) {
    let parameters: BTreeSet<String> = versions
        .iter()
        .filter_map(|v| {
            v.launch_template_data
                .as_ref()?
                .image_id
                .as_deref()?
                .strip_prefix("resolve:ssm:")
        })
        .map(str::to_string)
        .collect();
    if parameters.is_empty() {
        return;
    }
    let client = aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(cx.config)
            .region(aws_sdk_ssm::config::Region::new(cx.scope.region.clone()))
            .build(),
    );
    let names: Vec<String> = parameters.into_iter().collect();
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for batch in names.chunks(10) {
        cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
        match client
            .get_parameters()
            .set_names(Some(batch.to_vec()))
            .send()
            .await
        {
            Ok(out) => {
                for p in out.parameters() {
                    let asked = format!(
                        "{}{}",
                        p.name().unwrap_or_default(),
                        p.selector().unwrap_or_default()
                    );
                    if let Some(value) = p.value() {
                        values.insert(asked, value.to_string());
                    }
                }
            }
            Err(e) => {
                let error =
                    failure("GetParameters", &e).in_scope(&cx.scope.account_id, &cx.scope.region);
                into.failed("ssm:GetParameters", RULES, error);
                return;
            }
        }
    }
    for v in versions.iter_mut() {
        let parameter = v
            .launch_template_data
            .as_ref()
            .and_then(|d| d.image_id.as_deref())
            .and_then(|i| i.strip_prefix("resolve:ssm:"));
        if let Some(value) = parameter.and_then(|p| values.get(p)) {
            v.resolved_image_id = Some(value.clone());
        }
    }
}

/// Describes `ids` by id, deprecated and disabled images included: (the
/// images found, the ids EC2 does not know). An `InvalidAMIID.NotFound` or
/// `.Malformed` answer names the ids it is about: they are missing, and the
/// call is made again without them.
async fn describe_by_id(
    ids: Vec<String>,
    cx: &Reach<'_>,
) -> Result<(Vec<Image>, Vec<String>), FetchError> {
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for batch in ids.chunks(IDS_A_CALL) {
        let mut asked: Vec<String> = batch.to_vec();
        while !asked.is_empty() {
            cx.progress.api_calls.fetch_add(1, Ordering::Relaxed);
            let answer = cx
                .client
                .describe_images()
                .set_image_ids(Some(asked.clone()))
                .include_deprecated(true)
                .include_disabled(true)
                .send()
                .await;
            match answer {
                Ok(page) => {
                    let got: Vec<Image> = page
                        .images()
                        .iter()
                        .map(|i| to_model(i, &cx.scope.account_id, &cx.scope.region))
                        .collect();
                    let known: HashSet<&str> =
                        got.iter().filter_map(|i| i.image_id.as_deref()).collect();
                    missing.extend(
                        asked
                            .iter()
                            .filter(|id| !known.contains(id.as_str()))
                            .cloned(),
                    );
                    found.extend(got);
                    break;
                }
                Err(e) => {
                    let error = failure("DescribeImages", &e);
                    let named: Vec<String> = match error.code.as_deref() {
                        Some(
                            "InvalidAMIID.NotFound"
                            | "InvalidAMIID.Malformed"
                            | "InvalidAMIID.Unavailable",
                        ) => asked
                            .iter()
                            .filter(|id| error.message.contains(id.as_str()))
                            .cloned()
                            .collect(),
                        _ => Vec::new(),
                    };
                    if named.is_empty() {
                        return Err(error);
                    }
                    asked.retain(|id| !named.contains(id));
                    missing.extend(named);
                }
            }
        }
    }
    Ok((found, missing))
}
