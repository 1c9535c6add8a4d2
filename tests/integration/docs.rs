//! Issue 35: the README is the front door and the guide (docs/, an mdBook)
//! the rest — and what they show is true. Every `console` block in them is
//! run as written: each `$ COMMAND` line by bash, in a folder laid out like
//! the repository (its examples, requests and policies), with the amilint
//! under test first on the PATH; what follows it is the output expected
//! (standard output, then standard error), `[..]` standing for part of a
//! line and `...` for lines (snapbox's wildcards). A block's commands share
//! their page's folder, so a report one writes is there for the next. Every
//! relative link resolves, to a file and, for `#anchor`, to a heading of it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What a console example's folder holds, copied from the repository.
const LAID_OUT: [&str; 4] = [
    "fixtures/examples",
    "fixtures/requests",
    "policies",
    "docs/examples",
];

/// The README, the guide's pages and the policies' README.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![
        PathBuf::from(ROOT).join("README.md"),
        PathBuf::from(ROOT).join("policies/README.md"),
    ];
    let mut folders = vec![PathBuf::from(ROOT).join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("docs/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

fn relative(page: &Path) -> String {
    page.strip_prefix(ROOT)
        .unwrap_or(page)
        .display()
        .to_string()
}

/// One `$ COMMAND` of a console block and the output shown under it.
struct Example {
    line: usize,
    command: String,
    expected: String,
}

/// The console examples of a page, in order.
fn examples(text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_console = false;
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            if in_fence {
                in_fence = false;
                in_console = false;
            } else {
                in_fence = true;
                in_console = info.split([',', ' ']).next() == Some("console");
            }
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.push(Example {
                line: i + 1,
                command: command.to_string(),
                expected: String::new(),
            });
        } else if let Some(example) = out.last_mut() {
            example.expected.push_str(line);
            example.expected.push('\n');
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A live example: it reads through the EC2 API (`--aws`).
fn is_live(example: &Example) -> bool {
    example.command.contains(" --aws")
}

/// What a run of some of the pages' examples found: how many ran (in the
/// README) and what did not do what its page shows.
#[derive(Default)]
struct Ran {
    ran: usize,
    readme: usize,
    failures: Vec<String>,
}

/// Runs the examples `which` keeps, each page's in a folder of its own, with
/// `env` besides the PATH (the amilint under test first) and a HOME of the
/// folder.
fn run_examples(which: fn(&Example) -> bool, env: &[(&str, String)]) -> Ran {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_amilint"));
    let bin_dir = binary.parent().expect("bin dir");
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display());
    let mut out = Ran::default();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        let examples: Vec<Example> = examples(&text).into_iter().filter(which).collect();
        if examples.is_empty() {
            continue;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        for part in LAID_OUT {
            copy_tree(&Path::new(ROOT).join(part), &dir.path().join(part));
        }
        for example in examples {
            let run = Command::new("bash")
                .args(["-o", "pipefail", "-c", &example.command])
                .current_dir(dir.path())
                .env_clear()
                .env("PATH", &path)
                .env("HOME", dir.path())
                .env("LANG", "C.UTF-8")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .output()
                .expect("bash runs");
            out.ran += 1;
            if page.ends_with("README.md") && page.parent() == Some(Path::new(ROOT)) {
                out.readme += 1;
            }
            let mut actual = String::from_utf8_lossy(&run.stdout).into_owned();
            actual.push_str(&String::from_utf8_lossy(&run.stderr));
            let at = format!(
                "{}:{}: $ {}",
                relative(&page),
                example.line,
                example.command
            );
            let code = run.status.code().unwrap_or(-1);
            // 0 clean, 1 findings; anything else only where the page shows an error.
            if code > 1 && !example.expected.contains("error:") {
                out.failures.push(format!("{at}\nexit {code}\n{actual}"));
                continue;
            }
            if let Err(e) = snapbox::Assert::new().try_eq(
                Some(&at),
                snapbox::Data::text(actual),
                snapbox::Data::text(example.expected),
            ) {
                out.failures.push(format!("{at}\n{e}"));
            }
        }
    }
    out
}

fn assert_ran(ran: &Ran) {
    assert!(
        ran.failures.is_empty(),
        "{} example(s) do not do what their page shows:\n\n{}",
        ran.failures.len(),
        ran.failures.join("\n\n")
    );
}

#[test]
fn every_console_example_in_the_readme_and_the_guide_runs_as_written() {
    let ran = run_examples(|e| !is_live(e), &[]);
    eprintln!(
        "docs: ran {} offline console examples ({} in the README)",
        ran.ran, ran.readme
    );
    assert!(
        ran.readme >= 10 && ran.ran >= 25,
        "the README's and the guide's examples are found: {} and {}",
        ran.readme,
        ran.ran
    );
    assert_ran(&ran);
}

/// The live examples (`--aws`) run as written against moto's server on
/// loopback, seeded with tests/live/seed_moto_fleet.py (images, instances,
/// launch templates, an Auto Scaling group; moto's account 123456789012),
/// the endpoint given as users give one: AWS_ENDPOINT_URL.
#[test]
fn every_live_console_example_runs_against_moto() {
    crate::common::externals::needs!(Venv);
    let moto = crate::common::servers::start_moto();
    crate::common::servers::venv_ok(
        "python",
        &[
            &format!("{ROOT}/tests/live/seed_moto_fleet.py"),
            &moto.url(),
        ],
    );
    let ran = run_examples(
        is_live,
        &[
            ("AWS_ENDPOINT_URL", moto.url()),
            ("AWS_REGION", "eu-west-1".to_string()),
            ("AWS_ACCESS_KEY_ID", "AKIDTEST".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ],
    );
    eprintln!("docs: ran {} live console examples on moto", ran.ran);
    assert!(ran.ran >= 3, "the live examples are found: {}", ran.ran);
    assert_ran(&ran);
}

#[test]
fn the_readme_is_a_front_door_of_at_most_300_lines() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines");
}

/// GitHub's anchor of a heading: lower case, punctuation but `-` and `_`
/// dropped, spaces made `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            out.insert(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// The `[text](target)` links of a page outside code, but web addresses.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = &after[..end];
            if !target.contains("://") && !target.starts_with("mailto:") && !target.contains(' ') {
                out.push(target.to_string());
            }
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_of_the_readme_and_the_guide_resolves() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        for target in links(&text) {
            let (file, fragment) = match target.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("folder").join(file)
            };
            if !path.exists() {
                broken.push(format!("{}: {target}: no such file", relative(&page)));
                continue;
            }
            if let Some(fragment) = fragment
                && path.extension().is_some_and(|e| e == "md")
            {
                let there = std::fs::read_to_string(&path).expect("target page");
                if !anchors(&there).contains(fragment) {
                    broken.push(format!("{}: {target}: no such heading", relative(&page)));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The guide's table of contents lists every page of docs/ (a page left out
/// is one nobody finds in the book).
#[test]
fn the_guide_lists_every_page() {
    let summary = std::fs::read_to_string(format!("{ROOT}/docs/SUMMARY.md")).expect("SUMMARY");
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    for page in pages() {
        let Ok(inside) = page.strip_prefix(format!("{ROOT}/docs")) else {
            continue;
        };
        let inside = inside.display().to_string();
        if inside != "SUMMARY.md" {
            assert!(
                listed.contains(&inside),
                "docs/SUMMARY.md does not list {inside}"
            );
        }
    }
}

/// The guide's flag and configuration-key references are what the code
/// prints (as docs/rules.md, registry.rs).
#[test]
fn the_generated_reference_pages_are_current() {
    for (page, args) in [
        ("docs/reference/flags.md", &["man", "--markdown"][..]),
        ("docs/reference/config.md", &["config", "keys"][..]),
    ] {
        let (code, printed, err) = crate::common::run(args);
        assert_eq!(code, 0, "{err}");
        let on_disk = std::fs::read_to_string(format!("{ROOT}/{page}")).expect("page");
        assert!(
            on_disk == printed,
            "{page} is stale: run `cargo run -- {} > {page}`",
            args.join(" ")
        );
    }
}

/// The README's `yaml` blocks, in order.
fn readme_yaml() -> Vec<String> {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("README");
    readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .map(str::to_string)
        .collect()
}

/// The README's CI files are ones the CI systems take: its GitHub workflow
/// passes GitHub's workflow schema and zizmor (pedantic persona), its GitLab
/// job GitLab's CI schema, and the Action's `args` it shows — one per line —
/// reach amilint as those words through the Action's own scan step.
#[test]
fn the_readmes_ci_files_are_valid_and_its_action_args_arrive_whole() {
    crate::common::externals::needs!(Venv);
    let blocks = readme_yaml();
    let github = blocks
        .iter()
        .find(|b| b.contains("\njobs:"))
        .expect("a GitHub workflow");
    let gitlab = blocks
        .iter()
        .find(|b| b.contains("script:") && !b.contains("\njobs:"))
        .expect("a GitLab job");
    let dir = tempfile::tempdir().expect("temp dir");
    let workflow = dir.path().join("amilint.yml");
    std::fs::write(&workflow, github).expect("write");
    crate::action::audited(
        workflow.to_str().expect("utf-8"),
        &["--persona", "pedantic"],
        "vendor.github-workflows",
    );
    let job = dir.path().join("gitlab-ci.yml");
    std::fs::write(&job, gitlab).expect("write");
    crate::common::servers::venv_ok(
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.gitlab-ci",
            job.to_str().expect("utf-8"),
        ],
    );

    // `args: |` and the lines under it, as the runner hands them over.
    let mut lines = github
        .lines()
        .skip_while(|l| !l.trim_end().ends_with("args: |"));
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key = lines.next().map(indent).expect("args: |");
    let args: Vec<&str> = lines
        .take_while(|l| indent(l) > key && !l.trim().is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(args, ["images.json", "--fail-on high"]);
    let args = args
        .join("\n")
        .replace("images.json", "fixtures/examples/describe-images.json");
    let (code, output) =
        crate::action::scan_step(dir.path(), "scan", &format!("{args}\n--no-config"));
    assert_eq!(code, 0, "{output}");
    assert!(output.lines().any(|l| l == "exit-code=1"), "{output}");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary");
    assert!(
        summary.contains("finding(s) at or above high"),
        "--fail-on high reached amilint: {summary}"
    );
}

/// Every whole policy the README and the guide show (a `rhai` block with a
/// `meta()`) loads: it compiles, its meta is valid, and `rules --policy`
/// lists it under its id.
#[test]
fn every_whole_policy_shown_loads() {
    let mut loaded = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        for block in text.split("```rhai\n").skip(1) {
            let block = block.split("```").next().unwrap_or("");
            if !block.contains("fn meta()") {
                continue;
            }
            let dir = tempfile::tempdir().expect("temp dir");
            let policy = dir.path().join("shown.rhai");
            std::fs::write(&policy, block).expect("write");
            let (code, out, err) =
                crate::common::run(&["rules", "--policy", policy.to_str().expect("utf-8")]);
            assert_eq!(code, 0, "{}: {block}\n{err}", relative(&page));
            let id = block
                .split("id: \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("an id");
            assert!(out.contains(id), "{}: {id} listed: {out}", relative(&page));
            loaded += 1;
        }
    }
    assert!(loaded >= 2, "the policies shown are found: {loaded}");
}

/// The `amilint` lines of the README's and the guide's `sh` blocks that need
/// no AWS account (no `--aws`, `--dry-run`, `--apply` or Security Hub) run
/// as written — exit 0 or 1 — in a folder holding the files they name: the
/// example export as `images.json` and gzipped under `exports/`, its
/// snapshot files, a JSON report `report.json`, shard reports.
#[test]
fn every_offline_amilint_line_of_the_sh_blocks_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name);
    for part in LAID_OUT {
        copy_tree(&Path::new(ROOT).join(part), &at(part));
    }
    let example = Path::new(ROOT).join(crate::common::EXAMPLE);
    std::fs::copy(&example, at("images.json")).expect("copy");
    for (from, to) in [
        ("describe-snapshots.json", "snapshots.json"),
        ("snapshot-permissions.json", "snapshot-permissions.json"),
    ] {
        std::fs::copy(Path::new(ROOT).join("fixtures/examples").join(from), at(to)).expect("copy");
    }
    std::fs::create_dir_all(at("exports")).expect("mkdir");
    let setup = "gzip -c images.json > exports/images.json.gz && \
                 amilint scan images.json --no-config --exit-zero --format none -o json=report.json && \
                 amilint scan images.json --no-config --exit-zero --format none -o json=shard-1.json && \
                 amilint scan exports/images.json.gz --no-config --exit-zero --format none -o json=shard-2.json";
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_amilint"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let bash = |command: &str| {
        Command::new("bash")
            .args(["-o", "pipefail", "-c", command])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("HOME", dir.path())
            .output()
            .expect("bash runs")
    };
    assert!(bash(setup).status.success(), "the files the lines name");
    let mut ran = 0;
    let mut failures = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        for block in text.split("```sh\n").skip(1) {
            let block = block.split("```").next().unwrap_or("");
            for line in block.lines().map(str::trim) {
                let needs_aws = ["--aws", "--dry-run", "--apply", "securityhub import"]
                    .iter()
                    .any(|flag| line.contains(flag));
                if !line.starts_with("amilint ") || needs_aws {
                    continue;
                }
                let out = bash(line);
                ran += 1;
                if out.status.code().is_none_or(|code| code > 1) {
                    failures.push(format!(
                        "{}: $ {line}\n{}{}",
                        relative(&page),
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
    }
    eprintln!("docs: ran {ran} amilint lines of sh blocks");
    assert!(ran >= 10, "the sh blocks' lines are found: {ran}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
