#!/usr/bin/env python3
"""Policy cost benchmark: what Rhai policies add to a scan.

    python3 bench/policies.py [--images 100000] [--runs 3]

Builds amilint (release, without the AWS SDK: `--no-default-features`), makes the data with ../shared/gen_images.py when it is
missing (bench-data/images_<N>.json, git-ignored), then runs, interleaved, the
same scan with: built-in rules only; plus one realistic policy
(policies/prod-required-tags.rhai); plus all six example policies; and, as the
parse-cost yardstick, one trivial built-in rule (AMI006) alone. Prints median
wall time, CPU time and peak RSS, and the policy cost per image.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import resource

from data import data_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "amilint")
NOW = "2026-11-22T00:00:00Z"


def run(args):
    """One run: (wall s, cpu s) of the child."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([BIN] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"amilint {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()[:500]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def peak_rss(args):
    """Peak RSS (MiB) of one run, from wait4 (RUSAGE_CHILDREN keeps only the maximum)."""
    proc = subprocess.Popen([BIN] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()

    # Offline scans only: no need to compile the AWS SDK (minutes) for this.
    subprocess.run(["cargo", "build", "--release", "--quiet", "--no-default-features"], cwd=ROOT, check=True)
    data = data_file(opts.images)
    base = ["scan", data, "--now", NOW, "--format", "none", "--fail-on", "never", "-o", "json=/dev/null"]
    configs = {
        "parse + AMI006 only": base + ["--select", "AMI006"],
        "built-in rules": base,
        "built-ins + 1 policy": base + ["--policy", os.path.join(ROOT, "policies", "prod-required-tags.rhai")],
        "built-ins + 6 policies": base + ["--policy", os.path.join(ROOT, "policies")],
    }
    results = {name: [] for name in configs}
    for _ in range(opts.runs):  # interleaved, so drift hits every configuration alike
        for name, args in configs.items():
            results[name].append(run(args))
    rss = {name: peak_rss(args) for name, args in configs.items()}

    n = opts.images
    print(f"{n} images, {os.path.getsize(data) / 1e6:.0f} MB, median of {opts.runs} runs, {os.cpu_count()} cores")
    print(f"{'configuration':<24} {'wall s':>7} {'cpu s':>7} {'RSS MiB':>8} {'wall/image':>11}")
    med = {}
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        med[name] = (wall, cpu)
        print(f"{name:<24} {wall:7.2f} {cpu:7.2f} {rss[name]:8.0f} {wall / n * 1e6:9.1f} µs")
    parse_wall = med["parse + AMI006 only"][0]
    for name in ("built-ins + 1 policy", "built-ins + 6 policies"):
        dwall = med[name][0] - med["built-in rules"][0]
        dcpu = med[name][1] - med["built-in rules"][1]
        print(f"{name}: adds {dwall:.2f} s wall ({dwall / n * 1e6:.1f} µs/image, "
              f"{dwall / parse_wall:.2f}× the parse-only scan), {dcpu / n * 1e6:.1f} µs CPU/image")


if __name__ == "__main__":
    main()
