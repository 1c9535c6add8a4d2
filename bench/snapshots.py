#!/usr/bin/env python3
"""Snapshot benchmarks (issue 18).

    python3 bench/snapshots.py live        # scan --aws --snapshots, 20 ms per answer
    python3 bench/snapshots.py offline     # 1M images with and without --snapshots-file

live: 2,000 images of one account, each on two snapshots (bench/data.py's
owned_images), served by the project's EC2 fixture endpoint
(tests/live/ec2_fixture_server.py, 127.0.0.1 only) with --latency-ms before
every answer, with their describe-snapshots items and createVolumePermission
answers. `amilint scan --aws --snapshots` makes DescribeSnapshots calls (200
ids each) and one DescribeSnapshotAttribute per owned snapshot, all on
--attribute-concurrency calls in flight. The ideal wall time is the calls in
sequence at that concurrency: (STS + image pages) × latency, then
ceil(snapshot pages / c) × latency, then ceil(attribute calls / c) × latency.
Prints the median wall time, the calls the endpoint counted and the ratio.
Builds amilint in release with the AWS SDK (`--debug`: the test suite's
debug build).

offline: the 1M-image export (bench-data/images_1000000.json, ../shared/
gen_images.py) and a describe-snapshots export plus permission answers for
every snapshot it names (bench/data.py's snapshots_for), scanned with default
rules and JSON + SARIF written, with and without the two --snapshots-file,
interleaved; prints median wall, peak RSS and the ratio. Builds amilint in
release without the SDK.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from data import (calls, data_file, fake_aws_env, fixture_server, owned_images, snapshots_for,
                  stats)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
NOW = "2026-11-22T00:00:00Z"





def ceil_div(a, b):
    return -(-a // b)


def live(args):
    build = ["cargo", "build", "--locked", "--bin", "amilint"] + ([] if args.debug else ["--release"])
    subprocess.run(build, cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "debug" if args.debug else "release", "amilint")
    images = owned_images(args.images)
    snapshots, permissions = snapshots_for(images)
    server, port = fixture_server(
        "--images", images, "--snapshots", snapshots, "--snapshot-permissions", permissions,
        "--latency-ms", str(args.latency_ms))
    try:
        env = fake_aws_env()
        cmd = [binary, "scan", "--aws", "--endpoint-url", f"http://127.0.0.1:{port}",
               "--region", "eu-west-1", "--snapshots",
               "--attribute-concurrency", str(args.concurrency),
               "--format", "none", "--fail-on", "never"]
        walls, counted = [], []
        for _ in range(args.runs):
            before = stats(port)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - start)
            after = stats(port)
            counted.append({a: calls(after, a) - calls(before, a) for a in
                            ("GetCallerIdentity", "DescribeImages", "DescribeSnapshots",
                             "DescribeSnapshotAttribute")})
    finally:
        server.kill()
    n = counted[-1]
    c, lat = args.concurrency, args.latency_ms / 1000
    ideal = (n["GetCallerIdentity"] + n["DescribeImages"]) * lat \
        + ceil_div(n["DescribeSnapshots"], c) * lat + ceil_div(n["DescribeSnapshotAttribute"], c) * lat
    wall = statistics.median(walls)
    print(f"{args.images} images × 2 snapshots, {args.latency_ms} ms per answer, concurrency {c}: "
          f"calls {n}; median {wall:.2f} s over {args.runs} runs "
          f"({', '.join(f'{w:.2f}' for w in walls)}); ideal {ideal:.2f} s; ratio {wall / ideal:.2f}")


def measure(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_maxrss / 1024


def offline(args):
    subprocess.run(["cargo", "build", "--locked", "--release", "--no-default-features", "--bin", "amilint"],
                   cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "release", "amilint")
    images = data_file(args.size)
    snapshots, permissions = snapshots_for(images)
    out = args.out_dir
    os.makedirs(out, exist_ok=True)
    base = [binary, "scan", images, "--now", NOW, "--format", "none",
            "-o", f"json={out}/r.json", "-o", f"sarif={out}/r.sarif"]
    tools = {
        "images only": base,
        "with --snapshots-file": base + ["--snapshots-file", snapshots, "--snapshots-file", permissions],
        "snapshot files alone": [binary, "scan", os.path.join(ROOT, "bench-data", "one_image.json"),
                                 "--snapshots-file", snapshots, "--snapshots-file", permissions,
                                 "--format", "none"],
    }
    results = {name: [] for name in tools}
    for _ in range(args.runs):
        for name, cmd in tools.items():
            results[name].append(measure(cmd))
            for f in ("r.json", "r.sarif"):
                try:
                    os.remove(os.path.join(out, f))
                except FileNotFoundError:
                    pass
    sizes = {p: os.path.getsize(p) for p in (images, snapshots, permissions)}
    print(f"{args.size:,} images ({sizes[images] / 1e9:.2f} GB), snapshots {sizes[snapshots] / 1e6:.0f} MB, "
          f"permissions {sizes[permissions] / 1e6:.0f} MB; {args.runs} runs interleaved")
    first = statistics.median(w for w, _ in results["images only"])
    print("| run | median wall | min–max | peak RSS (median, max) | ratio |\n|---|---|---|---|---|")
    for name, runs in results.items():
        walls = [w for w, _ in runs]
        rss = [r for _, r in runs]
        print(f"| {name} | {statistics.median(walls):.2f} s | {min(walls):.2f}–{max(walls):.2f} | "
              f"{statistics.median(rss):.0f}, {max(rss):.0f} MiB | {statistics.median(walls) / first:.2f} |")
    with open(snapshots, encoding="utf-8") as f:
        count = sum(line.count('"SnapshotId"') for line in f)
    index = statistics.median(r for _, r in results["snapshot files alone"]) * 2**20
    print(f"{count:,} snapshots; the index (peak RSS of reading the snapshot files alone): "
          f"{index / count:.0f} bytes a snapshot with its permissions")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    lv = sub.add_parser("live")
    lv.add_argument("--images", type=int, default=2000)
    lv.add_argument("--latency-ms", type=int, default=20)
    lv.add_argument("--concurrency", type=int, default=16)
    lv.add_argument("--runs", type=int, default=3)
    lv.add_argument("--debug", action="store_true")
    off = sub.add_parser("offline")
    off.add_argument("--size", type=int, default=1_000_000)
    off.add_argument("--runs", type=int, default=3)
    off.add_argument("--out-dir", default="/dev/shm/amilint-bench")
    args = ap.parse_args()
    live(args) if args.mode == "live" else offline(args)


if __name__ == "__main__":
    main()
