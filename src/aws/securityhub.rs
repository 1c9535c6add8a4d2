//! `amilint securityhub import`: an ASFF report into AWS Security Hub, with
//! a lifecycle. BatchImportFindings (100 a call) creates and updates; the
//! findings of amilint's product that the report no longer has are sent
//! again as `RecordState: ARCHIVED`, `Compliance.Status: PASSED`; waived
//! findings get `Workflow.Status: SUPPRESSED` through BatchUpdateFindings
//! (an import cannot change the workflow of a finding that exists).

use std::collections::{BTreeMap, HashSet};

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::config::Region;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, Compliance,
    ComplianceStatus, FindingProviderFields, FindingProviderSeverity, NoteUpdate, Partition,
    Recommendation, RecordState, Remediation, Resource, ResourceDetails, Severity, SeverityLabel,
    StringFilter, StringFilterComparison, Workflow, WorkflowStatus, WorkflowUpdate,
};

use crate::report::asff;

/// Findings a BatchImportFindings or BatchUpdateFindings call takes at most.
pub const BATCH: usize = 100;

/// Where the findings that disappeared since the last import come from.
pub enum Previous {
    /// GetFindings: amilint's active findings in the products the import
    /// writes to (and the caller's own in the configured region).
    Hub,
    /// A previous ASFF report of the same scan.
    Report(Vec<asff::Finding>),
    /// Nothing is archived.
    None,
}

/// What an import did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub imported: usize,
    pub archived: usize,
    pub suppressed: usize,
    /// Calls made, by operation.
    pub calls: BTreeMap<&'static str, usize>,
    /// Every finding Security Hub refused or a call that failed: `ID: why`.
    pub failed: Vec<String>,
}

/// Imports `findings`, archives the ones gone since `previous`, suppresses
/// the waived ones. `now` is the `UpdatedAt` of archived findings.
pub async fn import(
    config: &aws_config::SdkConfig,
    findings: &[asff::Finding],
    previous: Previous,
    now: &str,
) -> Outcome {
    let mut outcome = Outcome::default();
    // Converted a batch at a time: the SDK's finding type is large (every
    // resource type's details inline), 100,000 of them would be gigabytes.
    let mut by_region: BTreeMap<&str, Vec<&asff::Finding>> = BTreeMap::new();
    for f in findings {
        by_region.entry(f.region()).or_default().push(f);
    }
    let current: HashSet<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    let mut archive: BTreeMap<String, Vec<AwsSecurityFinding>> = BTreeMap::new();
    match previous {
        Previous::None => {}
        Previous::Report(old) => {
            for f in old.iter().filter(|f| !current.contains(f.id.as_str())) {
                archive
                    .entry(f.region().to_string())
                    .or_default()
                    .push(archived(to_sdk(f), now));
            }
        }
        Previous::Hub => {
            let mut products: BTreeMap<String, HashSet<String>> = BTreeMap::new();
            for f in findings {
                products
                    .entry(f.region().to_string())
                    .or_default()
                    .insert(f.product_arn.clone());
            }
            if let Some(own) = own_product(config, &mut outcome).await {
                products.entry(own.0).or_default().insert(own.1);
            }
            for (region, arns) in &products {
                let client = client(config, region);
                for arn in arns {
                    match active(&client, arn, &mut outcome).await {
                        Ok(found) => archive.entry(region.clone()).or_default().extend(
                            found
                                .into_iter()
                                .filter(|f| !f.id().is_some_and(|id| current.contains(id)))
                                .map(|f| archived(f, now)),
                        ),
                        Err(why) => outcome
                            .failed
                            .push(format!("GetFindings in {region} ({arn}): {why}")),
                    }
                }
            }
        }
    }
    for (region, batch) in by_region {
        let client = client(config, region);
        outcome.imported += send(&client, &batch, |f| to_sdk(f), &mut outcome).await;
    }
    for (region, batch) in archive {
        let client = client(config, &region);
        outcome.archived += send(&client, &batch, Clone::clone, &mut outcome).await;
    }
    outcome.suppressed = suppress(config, findings, &mut outcome).await;
    outcome
}

fn client(config: &aws_config::SdkConfig, region: &str) -> Client {
    Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(config)
            .region(Region::new(region.to_string()))
            .build(),
    )
}

/// The caller's default product ARN in the configured region: where an
/// import of an empty report still archives what is resolved.
async fn own_product(
    config: &aws_config::SdkConfig,
    outcome: &mut Outcome,
) -> Option<(String, String)> {
    let region = config.region()?.to_string();
    *outcome.calls.entry("GetCallerIdentity").or_default() += 1;
    let account = match aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(out) => out.account()?.to_string(),
        Err(e) => {
            outcome.failed.push(format!(
                "STS GetCallerIdentity: {}",
                aws_sdk_sts::error::DisplayErrorContext(&e)
            ));
            return None;
        }
    };
    let partition = crate::model::partition(&region);
    let arn = format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default");
    Some((region, arn))
}

/// amilint's active findings of one product (GetFindings, every page).
async fn active(
    client: &Client,
    product_arn: &str,
    outcome: &mut Outcome,
) -> Result<Vec<AwsSecurityFinding>, String> {
    let equals = |value: &str| {
        StringFilter::builder()
            .comparison(StringFilterComparison::Equals)
            .value(value)
            .build()
    };
    let filters = AwsSecurityFindingFilters::builder()
        .product_arn(equals(product_arn))
        .record_state(equals("ACTIVE"))
        .generator_id(
            StringFilter::builder()
                .comparison(StringFilterComparison::Prefix)
                .value("amilint/")
                .build(),
        )
        .build();
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        *outcome.calls.entry("GetFindings").or_default() += 1;
        let page = client
            .get_findings()
            .filters(filters.clone())
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| aws_sdk_securityhub::error::DisplayErrorContext(&e).to_string())?;
        // The filters again, here: an endpoint that ignores them must not
        // make amilint archive another product's findings.
        found.extend(
            page.findings()
                .iter()
                .filter(|f| {
                    f.product_arn() == Some(product_arn)
                        && f.record_state().map(RecordState::as_str) != Some("ARCHIVED")
                        && f.generator_id().is_some_and(|g| g.starts_with("amilint/"))
                })
                .cloned(),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(found),
        }
    }
}

/// `finding`, resolved: archived, compliance passed, updated `now`.
fn archived(finding: AwsSecurityFinding, now: &str) -> AwsSecurityFinding {
    let compliance = finding
        .compliance()
        .cloned()
        .map(|c| {
            let mut c = c;
            c.status = Some(ComplianceStatus::Passed);
            c
        })
        .unwrap_or_else(|| {
            Compliance::builder()
                .status(ComplianceStatus::Passed)
                .build()
        });
    let mut finding = finding;
    finding.record_state = Some(RecordState::Archived);
    finding.compliance = Some(compliance);
    finding.updated_at = Some(now.to_string());
    finding
}

/// BatchImportFindings, `BATCH` at a time: how many Security Hub took; each
/// refused finding (or the whole batch of a failed call) into `failed`.
async fn send<T>(
    client: &Client,
    findings: &[T],
    convert: impl Fn(&T) -> AwsSecurityFinding,
    outcome: &mut Outcome,
) -> usize {
    let mut taken = 0;
    for batch in findings.chunks(BATCH) {
        *outcome.calls.entry("BatchImportFindings").or_default() += 1;
        let batch: Vec<AwsSecurityFinding> = batch.iter().map(&convert).collect();
        let (count, ids): (usize, Vec<String>) = (
            batch.len(),
            batch
                .iter()
                .map(|f| f.id().unwrap_or("?").to_string())
                .collect(),
        );
        match client
            .batch_import_findings()
            .set_findings(Some(batch))
            .send()
            .await
        {
            Ok(out) => {
                let refused = out.failed_findings();
                taken += count - refused.len().min(count);
                outcome.failed.extend(refused.iter().map(|f| {
                    format!(
                        "{}: {} {}",
                        f.id().unwrap_or("?"),
                        f.error_code().unwrap_or("?"),
                        f.error_message().unwrap_or("")
                    )
                }));
            }
            Err(e) => {
                let why = aws_sdk_securityhub::error::DisplayErrorContext(&e).to_string();
                outcome.failed.extend(
                    ids.iter()
                        .map(|id| format!("{id}: BatchImportFindings failed: {why}")),
                );
            }
        }
    }
    taken
}

/// BatchUpdateFindings: the waived findings' workflow `SUPPRESSED`, with the
/// waiver's reason as the note. How many were processed.
async fn suppress(
    config: &aws_config::SdkConfig,
    findings: &[asff::Finding],
    outcome: &mut Outcome,
) -> usize {
    let mut by_region: BTreeMap<&str, Vec<&asff::Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppression().is_some()) {
        by_region.entry(f.region()).or_default().push(f);
    }
    let mut done = 0;
    for (region, waived) in by_region {
        let client = client(config, region);
        // One call per batch of findings with the same reason (one note).
        let mut by_reason: BTreeMap<&str, Vec<&asff::Finding>> = BTreeMap::new();
        for f in waived {
            by_reason
                .entry(f.suppression().unwrap_or_default())
                .or_default()
                .push(f);
        }
        for (reason, same) in by_reason {
            for batch in same.chunks(BATCH) {
                *outcome.calls.entry("BatchUpdateFindings").or_default() += 1;
                let ids: Vec<AwsSecurityFindingIdentifier> = batch
                    .iter()
                    .map(|f| {
                        AwsSecurityFindingIdentifier::builder()
                            .id(&f.id)
                            .product_arn(&f.product_arn)
                            .build()
                    })
                    .collect();
                let note: String = reason.chars().take(512).collect();
                match client
                    .batch_update_findings()
                    .set_finding_identifiers(Some(ids))
                    .workflow(
                        WorkflowUpdate::builder()
                            .status(WorkflowStatus::Suppressed)
                            .build(),
                    )
                    .note(
                        NoteUpdate::builder()
                            .text(note)
                            .updated_by("amilint")
                            .build(),
                    )
                    .send()
                    .await
                {
                    Ok(out) => {
                        done += out.processed_findings().len();
                        outcome
                            .failed
                            .extend(out.unprocessed_findings().iter().map(|u| {
                                format!(
                                    "{}: not suppressed: {} {}",
                                    u.finding_identifier().and_then(|i| i.id()).unwrap_or("?"),
                                    u.error_code().unwrap_or("?"),
                                    u.error_message().unwrap_or("")
                                )
                            }));
                    }
                    Err(e) => {
                        let why = aws_sdk_securityhub::error::DisplayErrorContext(&e).to_string();
                        outcome.failed.extend(
                            batch
                                .iter()
                                .map(|f| format!("{}: BatchUpdateFindings failed: {why}", f.id)),
                        );
                    }
                }
            }
        }
    }
    done
}

/// An amilint ASFF finding as the SDK's type.
fn to_sdk(f: &asff::Finding) -> AwsSecurityFinding {
    let severity = |s: &asff::Severity| {
        Severity::builder()
            .label(SeverityLabel::from(s.label.as_str()))
            .original(&s.original)
            .build()
    };
    let provider = FindingProviderFields::builder()
        .severity(
            FindingProviderSeverity::builder()
                .label(SeverityLabel::from(
                    f.finding_provider_fields.severity.label.as_str(),
                ))
                .original(&f.finding_provider_fields.severity.original)
                .build(),
        )
        .set_types(Some(f.finding_provider_fields.types.clone()))
        .build();
    let resources: Vec<Resource> = f
        .resources
        .iter()
        .map(|r| {
            Resource::builder()
                .r#type(&r.kind)
                .id(&r.id)
                .partition(Partition::from(r.partition.as_str()))
                .region(&r.region)
                .set_details(r.details.as_ref().map(|d| {
                    ResourceDetails::builder()
                        .set_other(Some(d.other.clone().into_iter().collect()))
                        .build()
                }))
                .build()
        })
        .collect();
    AwsSecurityFinding::builder()
        .schema_version(&f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .set_types(Some(f.types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .severity(severity(&f.severity))
        .finding_provider_fields(provider)
        .title(&f.title)
        .description(&f.description)
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&f.remediation.recommendation.text)
                        .set_url(f.remediation.recommendation.url.clone())
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(f.product_fields.clone().into_iter().collect()))
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(f.compliance.status.as_str()))
                .set_related_requirements(
                    (!f.compliance.related_requirements.is_empty())
                        .then(|| f.compliance.related_requirements.clone()),
                )
                .set_security_control_id(f.compliance.security_control_id.clone())
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(f.workflow.status.as_str()))
                .build(),
        )
        .record_state(RecordState::from(f.record_state.as_str()))
        .build()
}
