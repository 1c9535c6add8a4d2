//! `amilint scan --aws`: live images through the engine.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::cli::AwsArgs;
use crate::engine::{self, Target};
use crate::finding::{ErrorKind, Report, ScanError};
use crate::input::InputSource;
use crate::model::Image;
use crate::output::{self, Format};
use crate::plan::ScanPlan;

/// `scan --aws`: fetch, write the fetched images as a describe-images export
/// (the `--save` file, or a temporary one), then scan that exactly like an
/// offline export, with the scopes' statuses in the report.
pub(super) fn scan(
    args: &AwsArgs,
    plan: &ScanPlan,
    targets: Vec<(Format, output::Style, Target)>,
    asff_target: Option<(String, String)>,
) -> Result<Report> {
    use crate::aws::{connect::Progress, fetch};

    let opts = crate::plan::fetch_options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Arc::new(Progress::default());
    let display = crate::output::progress::start(progress.clone());
    let fetched = runtime.block_on(fetch::fetch(&opts, progress));
    display.finish();
    let fetched = fetched.map_err(|e| anyhow::anyhow!("--aws: {e}"))?;
    // A gate that scanned nothing must not pass.
    if fetched.scopes.is_empty() {
        bail!("--aws: no account and region to scan: nothing was scanned");
    }

    let images: Vec<&Image> = fetched
        .scopes
        .iter()
        .filter_map(|s| s.outcome.as_ref().ok())
        .flatten()
        .collect();
    let mut temp = None;
    let export_path = match &args.save {
        Some(path) => {
            engine::write_atomically(path, |out| write_export(&images, out))?;
            path.clone()
        }
        None => {
            let mut file = tempfile::NamedTempFile::new().context("creating a temporary file")?;
            engine::sink::remove_on_interrupt(file.path());
            {
                let mut out = BufWriter::new(file.as_file_mut());
                write_export(&images, &mut out)
                    .and_then(|()| out.flush())
                    .context("writing the temporary export")?;
            }
            let path = file.path().to_path_buf();
            temp = Some(file);
            path
        }
    };
    let source = InputSource::new(&export_path.to_string_lossy());
    // Without `--save` there is no file to point at (see `ScanPlan::live_uris`).
    let inputs = if args.save.is_some() {
        vec![source.uri.clone()]
    } else {
        vec![Arc::from("aws")]
    };
    let mut report = Report::new(plan.settings.now, inputs, plan.rules.clone(), plan.fail_on);
    report.asff_target = asff_target;
    for scope in &fetched.scopes {
        let (account, region) = (&scope.scope.account_id, &scope.scope.region);
        let fetch_error = |message: String, image_id: Option<Arc<str>>| ScanError {
            kind: ErrorKind::Fetch,
            message,
            rule: None,
            image_id,
            source: None,
            scope: Some((account.clone(), region.clone())),
        };
        match &scope.outcome {
            Ok(images) => report.scopes.push(crate::finding::ScopeStatus {
                account_id: account.clone(),
                region: region.clone(),
                outcome: Ok(images.len() as u64),
            }),
            Err(reason) => {
                report.scopes.push(crate::finding::ScopeStatus {
                    account_id: account.clone(),
                    region: region.clone(),
                    outcome: Err(reason.clone()),
                });
                report.errors.push(fetch_error(reason.clone(), None));
            }
        }
        for (id, reason) in &scope.attribute_errors {
            report
                .errors
                .push(fetch_error(reason.clone(), Some(Arc::from(id.as_str()))));
        }
    }
    report.api_calls = Some(fetched.api_calls);
    let report = engine::run_scan(std::slice::from_ref(&source), plan, report, targets, false)?;
    drop(temp);
    Ok(report)
}

/// Writes images as `{"Images": [...]}`, indented like the AWS CLI.
fn write_export(images: &[&Image], out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Export<'a> {
        #[serde(rename = "Images")]
        images: &'a [&'a Image],
    }
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    serde::Serialize::serialize(&Export { images }, &mut ser)?;
    writeln!(out)
}
