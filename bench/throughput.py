#!/usr/bin/env python3
"""Throughput benchmark (issue 6): amilint against a typed serde parse, jq and cfn-guard.

    python3 bench/throughput.py                    # 10k, 100k and 1M images, 3 runs
    python3 bench/throughput.py --sizes 10000,100000 --runs 5
    python3 bench/throughput.py --before /tmp/old/amilint   # a change, before and after

What it does, in one go:
- builds amilint and the baseline program (bench/parse_baseline.rs) in release,
  without the AWS SDK (`--no-default-features`);
- finds or makes the data, bench-data/images_<N>.json (git-ignored), with
  ../shared/gen_images.py N 1 (AWS CLI v2 formatting; 2.05 GB for 1M);
- runs every tool on every size, interleaved (run 1 of each tool, then run 2 …):
    baseline     single-threaded typed serde_json parse into a Vec of images
    amilint      default rules, JSON and SARIF reports written to files
    amilint-4    AMI001–AMI004 only, JSON report written (the peers' rules)
    jq           AMI001–AMI004 as a jq program (bench/peers/ami001-004.jq)
    cfn-guard    AMI001–AMI004 as Guard rules (bench/peers/ami001-004.guard)
    +policy      amilint plus policies/prod-required-tags.rhai (100k only)
    before       with --before BIN: that binary, run exactly like `amilint`
                 (a change's before/after, interleaved in the same run)
  Peers that are not installed are skipped with a note; jq and cfn-guard load
  the whole file into memory, so they run only on the sizes given by
  --jq-sizes and --guard-sizes;
- checks correctness first: amilint's counts for AMI001–AMI004 and images
  scanned must equal the baseline's independent counts (and jq's);
- prints a table (median wall of the runs, min–max, peak RSS, throughput, and
  the ratio to the baseline or to amilint-4 for peers), and the start-up times.

Reports are written under --out-dir (default: a tmpfs folder, /dev/shm, so the
figures measure amilint and not this machine's disk; pass a disk folder to
include it). Peak RSS is the kernel's ru_maxrss for the process: amilint reads
its input with read(2) into a small buffer, so the page cache is not counted,
and nothing is memory-mapped.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from data import data_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
AMILINT = os.path.join(TARGET, "release", "amilint")
BASELINE = os.path.join(TARGET, "release", "examples", "parse-baseline")
NOW = "2026-11-22T00:00:00Z"
RULES4 = ["AMI001", "AMI002", "AMI003", "AMI004"]
POLICY = os.path.join(ROOT, "policies", "prod-required-tags.rhai")


def measure_rss(cmd, ok_codes=(0,)):
    """Runs `cmd` once with wait4: (wall seconds, peak RSS MiB, stdout bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        sys.exit(f"{' '.join(cmd)} failed ({code})")
    return wall, usage.ru_maxrss / 1024, out


def summary_of(report_path):
    """The `summary` of an amilint JSON report, read from its end (the report
    of 1M images is 2 GB; its summary is the last member)."""
    with open(report_path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 65536))
        tail = f.read().decode()
    start = tail.rindex('"summary":')
    return json.loads("{" + tail[start:])["summary"]


def every_owner(binary):
    """`--all-owners` when `binary` has it (issue 22): owner-only rules then lint
    every image, as the baseline, jq and cfn-guard count them and as amilint
    did before ownership existed."""
    help_text = subprocess.run([binary, "scan", "--help"], capture_output=True, text=True).stdout
    return ["--all-owners"] if "--all-owners" in help_text else []


def tools_for(n, args, out_dir):
    """(name, command, ok exit codes, counts check) for one size."""
    path = data_file(n)
    json_out = os.path.join(out_dir, f"amilint_{n}.json")
    sarif_out = os.path.join(out_dir, f"amilint_{n}.sarif")
    four_out = os.path.join(out_dir, f"amilint4_{n}.json")
    policy_json = os.path.join(out_dir, f"policy_{n}.json")
    policy_sarif = os.path.join(out_dir, f"policy_{n}.sarif")
    scan = [AMILINT, "scan", path, "--now", NOW, "--fail-on", "never", "--format", "none"]
    scan += every_owner(AMILINT)
    tools = [
        ("baseline", [BASELINE, path], (0,), None),
        ("amilint", scan + ["-o", f"json={json_out}", "-o", f"sarif={sarif_out}"], (0,), json_out),
        ("amilint-4", scan + ["--select", ",".join(RULES4), "-o", f"json={four_out}"], (0,), four_out),
    ]
    if args.before:
        before_json = os.path.join(out_dir, f"before_{n}.json")
        before_sarif = os.path.join(out_dir, f"before_{n}.sarif")
        before = [args.before] + [a for a in scan[1:] if a != "--all-owners"]
        before += every_owner(args.before)
        tools.insert(1, ("before", before + ["-o", f"json={before_json}", "-o", f"sarif={before_sarif}"],
                         (0,), before_json))
    if n == args.policy_size:
        # The default scan with both reports, plus one policy.
        tools.append(("+policy", scan + ["--policy", POLICY, "-o", f"json={policy_json}",
                                         "-o", f"sarif={policy_sarif}"], (0,), policy_json))
    if n in args.jq_sizes:
        if shutil.which("jq"):
            jq = ["jq", "-c", "-f", os.path.join(ROOT, "bench", "peers", "ami001-004.jq"), path]
            tools.append(("jq", jq, (0,), None))
        else:
            print("note: jq is not installed; skipped", file=sys.stderr)
    if n in args.guard_sizes:
        if shutil.which("cfn-guard"):
            guard = ["cfn-guard", "validate", "-r",
                     os.path.join(ROOT, "bench", "peers", "ami001-004.guard"),
                     "-d", path, "-S", "none", "-o", "single-line-summary"]
            # 19: rules failed (the data has findings).
            tools.append(("cfn-guard", guard, (0, 19), None))
        else:
            print("note: cfn-guard is not installed (`cargo install cfn-guard`); skipped",
                  file=sys.stderr)
    return tools


def check_counts(n, results):
    """amilint's AMI001–AMI004 counts and images scanned against the baseline's
    (and jq's) independent counts. A fast wrong answer does not count."""
    expected = json.loads(results["baseline"]["out"])
    for name in ("amilint", "before", "amilint-4", "+policy"):
        if name not in results:
            continue
        summary = results[name]["summary"]
        got = {"images": summary["images_scanned"]}
        got.update({rule: summary["by_rule"][rule] for rule in RULES4})
        if got != expected:
            sys.exit(f"{name} on {n} images disagrees with the baseline: {got} != {expected}")
    if "jq" in results:
        jq = json.loads(results["jq"]["out"])
        if jq != expected:
            sys.exit(f"jq on {n} images disagrees with the baseline: {jq} != {expected}")
    return expected


def startup(runs):
    """Median wall of `amilint --version` and of a one-image scan."""
    one = os.path.join(ROOT, "bench-data", "one_image.json")
    with open(one, "w") as f:
        json.dump({"Images": [{"ImageId": "ami-0123456789abcdef0", "ImageType": "machine",
                               "Public": False, "ImdsSupport": "v2.0"}]}, f)
    version = [measure_rss([AMILINT, "--version"])[0] for _ in range(runs)]
    scan = [measure_rss([AMILINT, "scan", one, "--now", NOW, "--format", "json"], (0, 1))[0]
            for _ in range(runs)]
    return statistics.median(version), statistics.median(scan)


def sizes(text):
    return [int(s) for s in text.split(",") if s]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=sizes, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jq-sizes", type=sizes, default=[10_000, 100_000])
    ap.add_argument("--guard-sizes", type=sizes, default=[10_000])
    ap.add_argument("--policy-size", type=int, default=100_000)
    ap.add_argument("--out-dir", default="/dev/shm/amilint-bench" if os.path.isdir("/dev/shm")
                    else os.path.join(ROOT, "bench-data", "out"))
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--before", help="another amilint binary to run like `amilint` (before/after)")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--no-default-features", "--locked",
                        "--bin", "amilint", "--example", "parse-baseline"], cwd=ROOT, check=True)
    os.makedirs(args.out_dir, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; reports in {args.out_dir}; {args.runs} runs, interleaved")

    rows = []
    for n in args.sizes:
        path = data_file(n)
        mb = os.path.getsize(path) / 1e6
        tools = tools_for(n, args, args.out_dir)
        walls = {name: [] for name, *_ in tools}
        rss = {name: 0.0 for name, *_ in tools}
        results = {}
        for run in range(args.runs):
            for name, cmd, ok, report in tools:
                for p in (report,) if report else ():
                    if os.path.exists(p):
                        os.remove(p)
                wall, peak, out = measure_rss(cmd, ok)
                walls[name].append(wall)
                rss[name] = max(rss[name], peak)
                # The summary now, then every report goes: a 1M-image run's reports
                # are gigabytes of tmpfs, and the next tool should not pay for them.
                results[name] = {"out": out, "summary": summary_of(report) if report else None}
                for f in os.listdir(args.out_dir):
                    os.remove(os.path.join(args.out_dir, f))
                print(f"  {n:>9} {name:<10} run {run + 1}: {wall:7.2f} s {peak:8.0f} MiB",
                      file=sys.stderr)
        counts = check_counts(n, results)
        base = statistics.median(walls["baseline"])
        four = statistics.median(walls["amilint-4"])
        for name, *_ in tools:
            med = statistics.median(walls[name])
            if name in ("jq", "cfn-guard"):
                ratio = f"{med / four:.1f}× amilint-4's time"
            elif name == "baseline":
                ratio = "1.00"
            else:
                ratio = f"{med / base:.2f}× baseline"
            rows.append((n, name, med, min(walls[name]), max(walls[name]), rss[name],
                         mb / med, n / med, ratio))
        print(f"  {n} images: counts agree with the baseline: {counts}", file=sys.stderr)
        for f in os.listdir(args.out_dir):
            os.remove(os.path.join(args.out_dir, f))

    print()
    print("| images | tool | median wall | min–max | peak RSS | MB/s | images/s | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for n, name, med, lo, hi, peak, mbs, ips, ratio in rows:
        print(f"| {n:,} | {name} | {med:.2f} s | {lo:.2f}–{hi:.2f} | {peak:.0f} MiB "
              f"| {mbs:.0f} | {ips:,.0f} | {ratio} |")
    for n in args.sizes if args.before else ():
        after = next(r for r in rows if r[0] == n and r[1] == "amilint")
        before = next(r for r in rows if r[0] == n and r[1] == "before")
        print(f"\n{n:,} images: amilint {after[2]:.2f} s, before {before[2]:.2f} s: "
              f"after/before = {after[2] / before[2]:.3f}; peak RSS {after[5]:.0f} vs {before[5]:.0f} MiB")
    policy = [r for r in rows if r[1] == "+policy"]
    if policy:
        n = policy[0][0]
        plain = next(r for r in rows if r[0] == n and r[1] == "amilint")
        base = next(r for r in rows if r[0] == n and r[1] == "baseline")
        added = policy[0][2] - plain[2]
        print(f"\none policy ({os.path.basename(POLICY)}) on {n:,} images adds {added:.2f} s to the "
              f"default scan = {added / base[2]:.2f}× the baseline's parse of the file ({base[2]:.2f} s)")
    version, one = startup(max(args.runs, 20))
    print(f"start-up: `amilint --version` {version * 1000:.1f} ms, one-image scan {one * 1000:.1f} ms "
          f"(median of {max(args.runs, 20)})")


if __name__ == "__main__":
    main()
