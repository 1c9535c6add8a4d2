//! `amilint scan --aws`: live images through the engine. Without `--save`
//! the fetched images flow into the pipeline scope by scope, as they arrive;
//! with `--save` they are written as a describe-images export first, and the
//! findings point into it.

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::aws::fetch::{self, FetchOptions, ScopeResult};
use crate::cli::AwsArgs;
use crate::engine::{self, Delivery, Feed, Origin, Target};
use crate::finding::{ErrorKind, Report, ScanError, ScopeStatus};
use crate::input::InputSource;
use crate::input::SettingsIndex;
use crate::model::{AccountSettings, FleetFile, FleetScope, Image, SettingsFile};
use crate::output::progress::Progress;
use crate::output::text::plural;
use crate::output::{self, Format};
use crate::plan::ScanPlan;

pub(super) fn scan(
    args: &AwsArgs,
    plan: &ScanPlan,
    targets: Vec<(Format, output::Settings, Target)>,
    quiet: bool,
) -> Result<Report> {
    let opts = crate::aws::fetch::FetchOptions {
        linted: Some(plan.ownership.clone()),
        ..crate::plan::fetch_options(args)?
    };
    let Some(save) = &args.save else {
        // Without a file to point at, findings name `aws/ACCOUNT/REGION/ID.json`.
        let report = plan.report(vec![Arc::from("aws")]);
        let save_settings = args.save_settings.clone();
        let save_fleet = args.save_fleet.clone();
        let produce = move |hand_on: &mut dyn FnMut(Delivery) -> bool| {
            let mut saved = Vec::new();
            let mut fleet = Vec::new();
            let origin = fetch_all(&opts, quiet, |scope, origin| {
                record(&scope, origin);
                if save_settings.is_some() {
                    saved.extend(scope.gathered.settings.clone());
                }
                if save_fleet.is_some() {
                    fleet.extend(scope.gathered.fleet.clone());
                }
                match scope.outcome {
                    Ok(images) => hand_on(Delivery {
                        images,
                        settings: scope.gathered.settings,
                        fleet: scope.gathered.fleet,
                    }),
                    Err(_) => true,
                }
            })?;
            if let Some(path) = &save_fleet {
                engine::write_atomically(path, |out| write_pretty(&FleetFile { fleet }, out))?;
            }
            if let Some(path) = &save_settings {
                engine::write_atomically(path, |out| {
                    write_pretty(
                        &SettingsFile {
                            account_settings: saved,
                        },
                        out,
                    )
                })?;
            }
            Ok(origin)
        };
        return engine::run(
            Feed::Images(Box::new(produce)),
            plan,
            report,
            targets,
            false,
        );
    };

    // `--save`: every image into the export, then the export is scanned.
    let mut images: Vec<Image> = Vec::new();
    let mut settings: Vec<AccountSettings> = Vec::new();
    let mut fleet: Vec<FleetScope> = Vec::new();
    let origin = fetch_all(&opts, quiet, |scope, origin| {
        record(&scope, origin);
        if scope.outcome.is_ok() {
            settings.extend(scope.gathered.settings);
            fleet.extend(scope.gathered.fleet);
        }
        images.extend(scope.outcome.unwrap_or_default());
        true
    })?;
    engine::write_atomically(save, |out| write_export(&images, out))?;
    drop(images);
    // The settings go with the export: read back from their file (findings
    // point into it), or kept as read.
    let index = match &args.save_settings {
        Some(path) => {
            engine::write_atomically(path, |out| {
                write_pretty(
                    &SettingsFile {
                        account_settings: settings,
                    },
                    out,
                )
            })?;
            SettingsIndex::read(&[InputSource::new(&path.to_string_lossy())])?
        }
        None => SettingsIndex::of(settings),
    };
    // The fleet too: read back from its file (findings point into it), or
    // kept as read.
    let fleet = match &args.save_fleet {
        Some(path) => {
            engine::write_atomically(path, |out| write_pretty(&FleetFile { fleet }, out))?;
            crate::input::fleet::read(&[InputSource::new(&path.to_string_lossy())])?
        }
        None => fleet,
    };
    let plan = ScanPlan {
        account_settings: Some(Arc::new(index)),
        fleet: plan
            .fleet
            .as_ref()
            .map(|_| fleet.into_iter().map(Arc::new).collect()),
        ..plan.clone()
    };
    let source = InputSource::new(&save.to_string_lossy());
    let mut report = plan.report(vec![source.uri.clone()]);
    report.scopes = origin.scopes;
    report.errors = origin.errors;
    report.api_calls = origin.api_calls;
    report.unassessed = origin.unassessed;
    engine::run_scan(std::slice::from_ref(&source), &plan, report, targets, false)
}

/// `scan --aws --plan-shards N`: prints the shards as a GitHub Actions
/// matrix, `{"include": [{"shard": "K/N", "accounts": [...], "scopes": S}]}`
/// (empty shards left out; `scopes` is null with --all-regions, where each
/// account's regions are known only inside it), and scans nothing.
pub(super) fn plan_shards(args: &AwsArgs, shards: usize) -> Result<()> {
    let opts = crate::plan::fetch_options(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let split = runtime
        .block_on(fetch::plan_shards(
            &opts,
            shards,
            Arc::new(Progress::default()),
        ))
        .map_err(|e| anyhow::anyhow!("--plan-shards: {e}"))?;
    let regions = if args.all_regions {
        None
    } else {
        let mut regions = args.regions.clone();
        regions.sort();
        regions.dedup();
        Some(regions.len().max(1))
    };
    let include: Vec<serde_json::Value> = split
        .iter()
        .enumerate()
        .filter(|(_, accounts)| !accounts.is_empty())
        .map(|(i, accounts)| {
            serde_json::json!({
                "shard": format!("{}/{shards}", i + 1),
                "accounts": accounts,
                "scopes": regions.map(|r| r * accounts.len()),
            })
        })
        .collect();
    let total: usize = split.iter().map(Vec::len).sum();
    crate::output::say(format_args!(
        "amilint: {} in {} of {shards}",
        plural(total, "account"),
        plural(include.len(), "non-empty shard"),
    ));
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, &serde_json::json!({ "include": include }))?;
    writeln!(out)?;
    Ok(())
}

/// Runs the fetch on its own runtime, with the progress line, handing each
/// scope (in order) to `each`; `false` back stops it. A gate that scanned
/// nothing must not pass: no scope at all is an error.
fn fetch_all(
    opts: &FetchOptions,
    quiet: bool,
    mut each: impl FnMut(ScopeResult, &mut Origin) -> bool,
) -> Result<Origin> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Arc::new(Progress::default());
    let display = output::progress::start(progress.clone(), quiet);
    let mut origin = Origin::default();
    let fetched = runtime.block_on(fetch::fetch(opts, progress, |scope| {
        each(scope, &mut origin)
    }));
    display.finish();
    let api_calls = fetched.map_err(|e| anyhow::anyhow!("--aws: {e}"))?;
    if origin.scopes.is_empty() {
        bail!("--aws: no account and region to scan: nothing was scanned");
    }
    origin.api_calls = Some(api_calls);
    Ok(origin)
}

/// A scope's status, its failure and its images' attribute failures.
fn record(scope: &ScopeResult, origin: &mut Origin) {
    let (account, region) = (&scope.scope.account_id, &scope.scope.region);
    let fetch_error = |message: String, image_id: Option<Arc<str>>| ScanError {
        kind: ErrorKind::Fetch,
        message,
        rule: None,
        image_id,
        source: None,
        scope: Some((account.clone(), region.clone())),
    };
    origin.scopes.push(ScopeStatus {
        account_id: account.clone(),
        region: region.clone(),
        outcome: match &scope.outcome {
            Ok(images) => Ok(images.len() as u64),
            Err(reason) => Err(reason.to_string()),
        },
    });
    if let Err(reason) = &scope.outcome {
        origin.errors.push(fetch_error(reason.to_string(), None));
    }
    for reason in &scope.gathered.enrichment_errors {
        origin.errors.push(fetch_error(reason.to_string(), None));
    }
    for (id, reason) in &scope.gathered.attribute_errors {
        origin.errors.push(fetch_error(
            reason.to_string(),
            Some(Arc::from(id.as_str())),
        ));
    }
    // A refused guardrail call: its rules are not assessed in this scope,
    // counted per rule and call (a note at the end, not one error a scope).
    for refused in &scope.gathered.refused {
        let (operation, why) = (refused.operation, refused.why);
        for rule in refused
            .rules
            .iter()
            .filter_map(|code| crate::rules::lookup(code))
        {
            match origin
                .unassessed
                .iter_mut()
                .find(|u| u.rule.code == rule.code && u.operation == operation)
            {
                Some(u) => u.scopes += 1,
                None => origin.unassessed.push(crate::finding::Unassessed {
                    rule,
                    operation,
                    why,
                    scopes: 1,
                }),
            }
        }
    }
}

/// Writes images as `{"Images": [...]}`, indented like the AWS CLI.
fn write_export(images: &[Image], out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Export<'a> {
        #[serde(rename = "Images")]
        images: &'a [Image],
    }
    write_pretty(&Export { images }, out)
}

/// Writes `value` as JSON indented like the AWS CLI (four spaces), then a newline.
fn write_pretty(value: &impl serde::Serialize, out: &mut dyn Write) -> io::Result<()> {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value.serialize(&mut ser)?;
    writeln!(out)
}
