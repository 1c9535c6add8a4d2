#!/usr/bin/env python3
"""Before/after figures of the trust work (issues 15 and 16), two binaries
run interleaved on the same data:

    python3 bench/trust.py --before /path/to/old/amilint [--images 100000] [--runs 5]

The "after" binary is this checkout's release build without the SDK
(`cargo build --release --no-default-features`; CARGO_TARGET_DIR is
honoured). Cases: the JSON report to stdout redirected to a file vs `-o`;
the same export read from a file, through a pipe and gzipped; `--baseline`
with a report of the same scan; `merge` of that report; `preflight` of an
array of 20,000 requests. Each case prints median wall time (min–max) and
peak RSS per binary, and the exit code when a binary fails the case.
Reports go to /dev/shm so the disk is not measured.
"""

import argparse
import gzip
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
AFTER = os.path.join(TARGET, "release", "amilint")
NOW = "2026-11-22T00:00:00Z"
OUT = "/dev/shm/amilint-trust"


def run(cmd, stdin=None, stdout=None):
    """(wall s, peak RSS MiB, exit code) of one shell-free run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def piped(cmd, feeder):
    """`feeder | cmd`: (wall s, peak RSS MiB of cmd, exit code of cmd)."""
    start = time.perf_counter()
    src = subprocess.Popen(feeder, stdout=subprocess.PIPE)
    proc = subprocess.Popen(cmd, stdin=src.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    src.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    src.wait()
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the amilint binary to compare against")
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    export = data_file(args.images)
    os.makedirs(OUT, exist_ok=True)
    gz = os.path.join(OUT, "export.json.gz")
    if not os.path.exists(gz):
        with open(export, "rb") as f, gzip.open(gz, "wb", compresslevel=1) as g:
            shutil.copyfileobj(f, g)
    report = os.path.join(OUT, "report.json")
    subprocess.run([AFTER, "scan", export, "--no-config", "--now", NOW, "--format", "none",
                    "-o", f"json={report}"], check=False)
    requests = os.path.join(OUT, "requests.json")
    with open(requests, "w") as f:
        json.dump([{"InstanceId": "i-0123456789abcdef0", "Name": f"web-{i}", "NoReboot": True}
                   for i in range(20_000)], f, indent=4)

    scan = ["scan", "--no-config", "--now", NOW]
    cases = {
        "JSON to stdout redirected to a file": lambda b: run(
            [b] + scan + [export, "--format", "json"], stdout=open(os.path.join(OUT, "stdout.json"), "wb")),
        "JSON with -o json=FILE": lambda b: run(
            [b] + scan + [export, "--format", "none", "-o", f"json={os.path.join(OUT, 'o.json')}"]),
        "export from a file (--format none)": lambda b: run([b] + scan + [export, "--format", "none"]),
        "export through a pipe (cat |)": lambda b: piped([b] + scan + ["-", "--format", "none"], ["cat", export]),
        "gzipped export from a file": lambda b: run([b] + scan + [gz, "--format", "none"]),
        "--baseline with the same scan's report": lambda b: run(
            [b] + scan + [export, "--format", "none", "--baseline", report]),
        "merge of that report": lambda b: run([b, "merge", report, "-o", os.path.join(OUT, "merged.json")]),
        "preflight of 20,000 requests": lambda b: run([b, "preflight", "--no-config", requests, "--format", "none"]),
    }
    binaries = {"before": args.before, "after": AFTER}
    results = {(c, b): [] for c in cases for b in binaries}
    for _ in range(args.runs):
        for case, fn in cases.items():
            for name, binary in binaries.items():
                results[(case, name)].append(fn(binary))
    print(f"{args.images:,} images, {args.runs} runs interleaved, median (min–max), peak RSS")
    print("| case | binary | median wall | min–max | peak RSS | exit codes |")
    print("|---|---|---|---|---|---|")
    for case in cases:
        for name in binaries:
            runs = results[(case, name)]
            walls = [r[0] for r in runs]
            codes = sorted({r[2] for r in runs})
            print(f"| {case} | {name} | {statistics.median(walls):.2f} s | {min(walls):.2f}–{max(walls):.2f} "
                  f"| {max(r[1] for r in runs):.0f} MiB | {','.join(map(str, codes))} |")


if __name__ == "__main__":
    sys.exit(main())
