//! Issue 31: one identity per finding (docs/fingerprints.md), the same
//! whatever the file, indentation, order, shard or merge; a SARIF log past
//! its limit lists the same findings whatever the input order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common::{four_finding_export, run, scan_to};

use crate::common::NOW;

/// What a finding is about: account, region, image, rule, pointer, message,
/// and which of the identical ones (in report order).
type About = (String, String, String, String, String, String, usize);

/// Every finding of a JSON report by what it is about → fingerprint; no two
/// findings share a fingerprint.
fn prints(doc: &Value) -> BTreeMap<About, String> {
    let findings = doc["findings"].as_array().expect("findings");
    let mut by_print = BTreeSet::new();
    let mut out = BTreeMap::new();
    for f in findings {
        let print = f["fingerprint"].as_str().expect("fingerprint").to_string();
        assert_eq!(print.len(), 32, "{print}");
        assert!(by_print.insert(print.clone()), "shared fingerprint {print}");
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut key = (
            text(&f["account_id"]),
            text(&f["region"]),
            f["image_id"].as_str().unwrap_or_default().to_string(),
            f["rule_id"].as_str().unwrap_or_default().to_string(),
            f["location"]["pointer"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            f["message"].as_str().unwrap_or_default().to_string(),
            0,
        );
        while out.contains_key(&key) {
            key.6 += 1;
        }
        out.insert(key, print);
    }
    out
}

fn scan_json(inputs: &[&str], extra: &[&str]) -> (Value, String) {
    let (code, doc, err) = crate::common::Scan::of(inputs)
        .no_config()
        .args(extra)
        .json();
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    (doc, err)
}

/// The images of an export, and the export written back from them.
fn images(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("export");
    let doc: Value = serde_json::from_str(&text).expect("json");
    doc["Images"].as_array().expect("Images").clone()
}

/// A SARIF result's amilint fingerprint.
fn print_of(result: &Value) -> String {
    result["partialFingerprints"]["amilint/v2"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A small deterministic shuffle (the suite has no random crate).
fn shuffled(mut items: Vec<Value>, seed: u64) -> Vec<Value> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.swap(i, (state >> 33) as usize % (i + 1));
    }
    items
}

#[test]
fn issue_31_fingerprints_survive_permuting_reindenting_renaming_and_splitting() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The bundled example and every image-rule fixture: many rules, scoped
    // images (AmilintScope), images without a scope.
    let mut all = images("fixtures/examples/describe-images.json");
    for fixture in crate::common::image_rule_fixtures() {
        all.extend(images(&fixture));
    }
    let write = |name: &str, images: &[Value], pretty: bool| -> String {
        let path = dir.path().join(name);
        let doc = json!({ "Images": images });
        let text = if pretty {
            serde_json::to_string_pretty(&doc).expect("json")
        } else {
            serde_json::to_string(&doc).expect("json")
        };
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    };
    // Image ids repeat across the fixtures: keep each (scope, id) once.
    let mut seen = BTreeSet::new();
    all.retain(|i| seen.insert((i["AmilintScope"].to_string(), i["ImageId"].to_string())));
    let whole = write("whole.json", &all, true);
    let (doc, _) = scan_json(&[&whole], &[]);
    let want = prints(&doc);
    assert!(want.len() > 50, "a meaningful sample: {}", want.len());
    for seed in 1..=4 {
        let shuffled = shuffled(all.clone(), seed);
        let name = format!("renamed-{seed}/export.json");
        std::fs::create_dir_all(dir.path().join(format!("renamed-{seed}"))).expect("dir");
        let one = write(&name, &shuffled, seed % 2 == 0);
        assert_eq!(prints(&scan_json(&[&one], &[]).0), want, "seed {seed}");
        // Split in two files, scanned together and one by one, then merged.
        let (a, b) = shuffled.split_at(shuffled.len() / 3);
        let a = write(&format!("a-{seed}.json"), a, false);
        let b = write(&format!("b-{seed}.json"), b, true);
        assert_eq!(
            prints(&scan_json(&[&b, &a], &[]).0),
            want,
            "split, seed {seed}"
        );
        let mut shards = Vec::new();
        for (i, part) in [&a, &b].iter().enumerate() {
            let out = dir.path().join(format!("shard-{seed}-{i}.json"));
            scan_to(std::path::Path::new(part), "json", &out, NOW, &[]);
            shards.push(out.to_string_lossy().into_owned());
        }
        let merged = dir.path().join(format!("merged-{seed}.json"));
        let (code, _, err) = run(&[
            "merge",
            &shards[0],
            &shards[1],
            "-o",
            &merged.to_string_lossy(),
        ]);
        assert!(code < 2, "{err}");
        let merged: Value =
            serde_json::from_str(&std::fs::read_to_string(&merged).expect("merged")).expect("json");
        assert_eq!(prints(&merged), want, "merged, seed {seed}");
    }
}

#[test]
fn issue_31_one_image_in_two_scopes_or_inputs_keeps_every_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = |account: &str, region: &str| {
        json!({
            "ImageId": "ami-0123456789abcdef0", "Name": "shared", "State": "available",
            "ImageType": "machine", "Public": true, "OwnerId": "111122223333",
            "AmilintScope": {"AccountId": account, "Region": region,
                "ImageArn": format!("arn:aws:ec2:{region}::image/ami-0123456789abcdef0")}
        })
    };
    let shard = |name: &str, image: Value| {
        let input = dir.path().join(format!("{name}-in.json"));
        std::fs::write(&input, json!({ "Images": [image] }).to_string()).expect("write");
        let out = scan_to(
            &input,
            "json",
            &dir.path().join(format!("{name}.json")),
            NOW,
            &[],
        );
        (input, out)
    };
    let (in_a, a) = shard("a", image("111122223333", "eu-west-1"));
    let (_, b) = shard("b", image("444455556666", "eu-west-1"));
    let (_, c) = shard("c", image("111122223333", "us-east-1"));
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("report")).expect("json")
    };
    let count = |p: &std::path::Path| read(p)["findings"].as_array().map_or(0, Vec::len);
    let one = count(&a);
    assert!(one >= 3, "{one}");
    // In another account the image is not owned: owner-only rules skip it.
    let all = one + count(&b) + count(&c);
    assert!(all > 2 * one, "{all}");
    let merged = dir.path().join("merged.json");
    let (code, _, err) = run(&[
        "merge",
        &a.to_string_lossy(),
        &b.to_string_lossy(),
        &c.to_string_lossy(),
        "-o",
        &merged.to_string_lossy(),
    ]);
    assert!(code < 2, "{err}");
    assert_eq!(
        prints(&read(&merged)).len(),
        all,
        "one image seen in three account/region scopes: three times its findings"
    );
    // The same image twice in one scan's inputs: both listed, told apart.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&in_a, &copy).expect("copy");
    let (doc, err) = scan_json(&[&in_a.to_string_lossy(), &copy.to_string_lossy()], &[]);
    assert_eq!(prints(&doc).len(), 2 * one);
    assert!(err.contains("appear more than once in the inputs"), "{err}");
}

#[test]
fn issue_31_policy_findings_with_one_pointer_are_told_apart_and_keys_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("tags.rhai");
    std::fs::write(
        &policy,
        r#"fn meta() { #{ id: "ORG031", name: "tags", severity: "high", summary: "Required tags" } }
fn check(image) {
    [
        #{ message: "tag Owner is missing", pointer: "/Tags" },
        #{ message: "tag Team is missing", pointer: "/Tags" },
        #{ message: "same text", pointer: "/Name" },
        #{ message: "same text", pointer: "/Name" },
        #{ message: `${image.ImageId} is 12 days old`, pointer: "/CreationDate", key: "age" },
    ]
}
"#,
    )
    .expect("policy");
    let export = dir.path().join("in.json");
    std::fs::write(&export, four_finding_export(3, 1)).expect("export");
    let policy = policy.to_string_lossy().into_owned();
    let export = export.to_string_lossy().into_owned();
    let (doc, _) = scan_json(&[&export], &["--policy", &policy, "--select", "ORG031"]);
    let found = prints(&doc);
    assert_eq!(
        doc["findings"].as_array().map(Vec::len),
        Some(15),
        "five an image, none merged"
    );
    // `prints` checked that no two share one; a baseline of the run finds
    // every one unchanged.
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, doc.to_string()).expect("baseline");
    let (again, _) = scan_json(
        &[&export],
        &[
            "--policy",
            &policy,
            "--select",
            "ORG031",
            "--baseline",
            &baseline.to_string_lossy(),
        ],
    );
    assert_eq!(prints(&again), found);
    assert_eq!(
        again["summary"]["baseline"]["new"], 0,
        "{}",
        again["summary"]
    );
}

#[test]
fn issue_31_a_baseline_of_version_1_fingerprints_still_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut doc, _) = scan_json(&["fixtures/examples/describe-images.json"], &[]);
    let total = doc["findings"].as_array().map_or(0, Vec::len);
    // The report as amilint 0.1 wrote it: rule, image id, pointer.
    for f in doc["findings"].as_array_mut().expect("findings") {
        let pointer =
            amilint::model::Pointer::parse(f["location"]["pointer"].as_str().unwrap_or(""))
                .expect("pointer");
        f["fingerprint"] = Value::from(amilint::finding::identity::legacy(
            f["rule_id"].as_str().unwrap_or_default(),
            f["image_id"].as_str().unwrap_or_default(),
            &pointer,
        ));
    }
    let old = dir.path().join("old.json");
    std::fs::write(&old, doc.to_string()).expect("write");
    let (now, _) = scan_json(
        &["fixtures/examples/describe-images.json"],
        &["--baseline", &old.to_string_lossy()],
    );
    assert_eq!(now["summary"]["baseline"]["unchanged"], total);
    assert_eq!(now["summary"]["baseline"]["new"], 0);
    // Merging it with a version 2 report is refused, and says why.
    let new = dir.path().join("new.json");
    std::fs::write(&new, now.to_string()).expect("write");
    let (code, _, err) = run(&["merge", &old.to_string_lossy(), &new.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fingerprints of version 2"), "{err}");
}

#[test]
fn issue_31_sarif_past_its_limit_lists_the_most_severe_whatever_the_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = four_finding_export(600, 7);
    let forward = dir.path().join("forward.json");
    std::fs::write(&forward, &export).expect("write");
    let mut lines: Vec<&str> = export.lines().collect();
    let body: Vec<String> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.trim_start_matches(',').to_string())
        .rev()
        .collect();
    lines.truncate(0);
    let reversed = format!("{{\"Images\": [\n{}\n]}}\n", body.join(",\n"));
    let backward = dir.path().join("backward.json");
    std::fs::write(&backward, reversed).expect("write");
    let listed = |input: &std::path::Path| -> (BTreeSet<String>, Vec<Value>) {
        let (_, out, err) = run(&[
            "scan",
            "--no-config",
            "--now",
            NOW,
            &input.to_string_lossy(),
            "--format",
            "sarif",
            "--sarif-max-results",
            "500",
        ]);
        let log: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        let results = log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .clone();
        let one_by_one: Vec<Value> = results
            .iter()
            .filter(|r| r["properties"]["summarised"] != true)
            .cloned()
            .collect();
        for r in &results {
            let prints = &r["partialFingerprints"];
            assert!(
                prints["amilint/v2"].is_string() && prints["primaryLocationLineHash"].is_string()
            );
        }
        (one_by_one.iter().map(print_of).collect(), results)
    };
    let (a, results) = listed(&forward);
    let (b, _) = listed(&backward);
    assert_eq!(a.len(), 300, "the limit less the summaries' room");
    assert_eq!(a, b, "the same findings listed whatever the order");
    // 600 critical findings (public images) for 300 places: all critical.
    for r in results
        .iter()
        .filter(|r| r["properties"]["summarised"] != true)
    {
        assert_eq!(r["ruleId"], "AMI006", "{r}");
    }
    let summarised: u64 = results
        .iter()
        .filter(|r| r["properties"]["summarised"] == true)
        .map(|r| r["properties"]["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(summarised + 300, 2400, "nothing lost");

    // Merged shards past the limit: the same most severe set, whatever the
    // order of the shards.
    let shard = |name: &str, range: std::ops::Range<usize>| {
        let images: Vec<Value> = serde_json::from_str::<Value>(&export).expect("export")["Images"]
            .as_array()
            .expect("images")[range]
            .to_vec();
        let input = dir.path().join(format!("{name}.json"));
        std::fs::write(&input, json!({ "Images": images }).to_string()).expect("write");
        let out = dir.path().join(format!("{name}.sarif"));
        scan_to(&input, "sarif", &out, NOW, &["--sarif-max-results", "0"]);
        out.to_string_lossy().into_owned()
    };
    let (one, two) = (shard("one", 0..250), shard("two", 250..600));
    let merged = |first: &str, second: &str| -> BTreeSet<String> {
        let (code, out, err) = run(&["merge", first, second, "--sarif-max-results", "500"]);
        assert!(code < 2, "{err}");
        let log: Value = serde_json::from_str(&out).expect("merged sarif");
        let results = log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .clone();
        let listed: Vec<&Value> = results
            .iter()
            .filter(|r| r["properties"]["summarised"] != true)
            .collect();
        assert!(
            listed.iter().all(|r| r["ruleId"] == "AMI006"),
            "the most severe"
        );
        listed.iter().map(|r| print_of(r)).collect()
    };
    let ab = merged(&one, &two);
    assert_eq!(ab.len(), 300);
    assert_eq!(ab, merged(&two, &one));
    assert_eq!(ab, a, "the merged shards list what the whole scan lists");
}
