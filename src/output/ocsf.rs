//! OCSF 1.5 Compliance Findings (class 2003), for security data lakes and
//! SIEMs (Amazon Security Lake, Splunk, …): a JSON array of events, one per
//! line. The test suite checks the output against the OCSF models published
//! as the `py-ocsf-models` package.

use serde::Serialize;

use crate::finding::{Finding, Report};
use crate::rules::Severity;

const OCSF_VERSION: &str = "1.5.0";

/// What every event of a report shares.
#[derive(Debug, Clone)]
pub struct Context {
    /// The scan's time in milliseconds since the epoch, and as RFC 3339.
    pub time: i64,
    pub time_dt: String,
    pub version: &'static str,
    pub texts: super::RuleTexts,
}

impl Context {
    pub fn new(report: &Report) -> Self {
        Context {
            time: report.now.as_millisecond(),
            time_dt: report.now.to_string(),
            version: report.tool_version,
            texts: super::RuleTexts::new(report),
        }
    }
}

#[derive(Serialize)]
struct Event<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u16,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    time: i64,
    time_dt: &'a str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<&'a str>,
    message: String,
    metadata: Metadata<'a>,
    finding_info: FindingInfo<'a>,
    compliance: Compliance<'a>,
    remediation: Remediation,
    /// The image, then the resources that use it (`--references`, at most ten).
    resources: Vec<Resource<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud: Option<Cloud<'a>>,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    version: &'static str,
    product: Product<'a>,
    /// The event's own id: unique per event (the scan's time and the
    /// finding's fingerprint); the finding's is `finding_info.uid`.
    uid: String,
    /// The OCSF profiles whose attributes the event uses: `datetime`
    /// (`time_dt`), and `cloud` (`cloud`) when it has one.
    profiles: Vec<&'static str>,
}

#[derive(Serialize)]
struct Product<'a> {
    name: &'static str,
    vendor_name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    title: &'static str,
    desc: &'a str,
    types: [&'static str; 1],
    created_time: i64,
}

#[derive(Serialize)]
struct Compliance<'a> {
    control: &'static str,
    /// `amilint`, then the frameworks of the controls the rule helps meet.
    standards: Vec<&'static str>,
    /// Those controls (`cis-compute-v1.0.0/2.1.5`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    requirements: Vec<String>,
    status_id: u8,
    status: &'static str,
    desc: &'a str,
}

#[derive(Serialize)]
struct Remediation {
    desc: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<String>,
}

#[derive(Serialize)]
struct Resource<'a> {
    uid: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_partition: Option<&'static str>,
}

/// The CloudFormation type of a resource that references an image, from its ARN.
fn cloudformation_type(arn: &str) -> &'static str {
    [
        (":instance/", "AWS::EC2::Instance"),
        (":launch-template/", "AWS::EC2::LaunchTemplate"),
        (":parameter/", "AWS::SSM::Parameter"),
        (":image-recipe/", "AWS::ImageBuilder::ImageRecipe"),
        (":container-recipe/", "AWS::ImageBuilder::ContainerRecipe"),
    ]
    .into_iter()
    .find(|(part, _)| arn.contains(part))
    .map_or("Other", |(_, kind)| kind)
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    region: &'a str,
    account: Account<'a>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    name: &'a str,
    type_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// amilint's own fields, where OCSF has none.
#[derive(Serialize)]
struct Unmapped<'a> {
    rule_name: &'static str,
    pointer: &'a str,
    location: String,
}

fn severity_id(severity: Severity) -> (u8, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn event<'a>(f: &'a Finding, cx: &'a Context) -> Event<'a> {
    let (severity_id, severity) = severity_id(f.severity);
    let scope = f.scope.as_deref();
    let (remediation, help_uri) = cx.texts.of(f.rule);
    Event {
        activity_id: 1,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2003,
        class_name: "Compliance Finding",
        type_uid: 200_301,
        type_name: "Compliance Finding: Create",
        time: cx.time,
        time_dt: &cx.time_dt,
        severity_id,
        severity,
        status_id: if f.suppression.is_some() { 3 } else { 1 },
        status: if f.suppression.is_some() {
            "Suppressed"
        } else {
            "New"
        },
        status_detail: f.suppression.as_ref().map(|s| s.justification.as_str()),
        message: format!("{}: {}", f.image_id, f.message),
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "amilint",
                vendor_name: "amilint",
                version: cx.version,
            },
            uid: format!("{}-{}", cx.time, f.fingerprint),
            profiles: if scope.is_some() {
                vec!["cloud", "datetime"]
            } else {
                vec!["datetime"]
            },
        },
        finding_info: FindingInfo {
            uid: &f.fingerprint,
            title: f.rule.summary,
            desc: &f.message,
            types: [f.rule.code],
            created_time: cx.time,
        },
        compliance: Compliance {
            control: f.rule.code,
            standards: std::iter::once("amilint")
                .chain(f.rule.compliance.iter().map(|c| c.framework.title()))
                .fold(Vec::new(), |mut all, s| {
                    if !all.contains(&s) {
                        all.push(s);
                    }
                    all
                }),
            requirements: f.rule.compliance.iter().map(|c| c.tag()).collect(),
            status_id: 3,
            status: "Fail",
            desc: &f.message,
        },
        remediation: Remediation {
            desc: remediation.to_string(),
            references: help_uri.map(str::to_string).into_iter().collect(),
        },
        resources: std::iter::once(Resource {
            // An account's guardrails: the account is the resource.
            uid: match scope {
                Some(s) if f.about_account() => s.account_id.as_str(),
                Some(s) if !s.image_arn.is_empty() => s.image_arn.as_str(),
                _ => &f.image_id,
            },
            kind: match &f.workload {
                _ if f.about_account() => "AWS::::Account",
                Some(link) => link.kind.cloudformation_type(),
                None => "AWS::EC2::Image",
            },
            name: f.image_name.as_deref(),
            region: scope.map(|s| s.region.as_str()),
            cloud_partition: scope.map(|s| crate::model::partition(&s.region)),
        })
        .chain(f.usage.iter().flat_map(|u| {
            u.resources.iter().map(move |arn| Resource {
                uid: arn,
                kind: cloudformation_type(arn),
                name: None,
                region: scope.map(|s| s.region.as_str()),
                cloud_partition: scope.map(|s| crate::model::partition(&s.region)),
            })
        }))
        .collect(),
        cloud: scope.map(|s| Cloud {
            provider: "AWS",
            region: &s.region,
            account: Account {
                uid: &s.account_id,
                name: &s.account_id,
                type_id: 10,
                kind: "AWS Account",
            },
        }),
        unmapped: Unmapped {
            rule_name: f.rule.name,
            pointer: f.location.pointer.as_str(),
            location: format!("{}:{}", f.location.best().0, f.location.best().1),
        },
    }
}

pub fn head(out: &mut Vec<u8>) {
    out.push(b'[');
}

/// One image's events, one per line; `,` separates images.
pub fn image(findings: &[Finding], cx: &Context, out: &mut Vec<u8>) {
    for (i, f) in findings.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
        serde_json::to_writer(&mut *out, &event(f, cx)).expect("invariant: OCSF serialises");
    }
}

pub fn tail(report: &Report, out: &mut Vec<u8>) {
    out.extend_from_slice(if report.tally.findings > 0 {
        b"\n]\n"
    } else {
        b"]\n"
    });
}
