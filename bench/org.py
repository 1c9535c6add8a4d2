#!/usr/bin/env python3
"""The whole organisation in one command (issue 19): a live benchmark.

    python3 bench/org.py                  # 1,000 accounts × 17 regions
    python3 bench/org.py --accounts 100   # smaller

A simulated organisation on the project's EC2 fixture endpoint
(tests/live/ec2_fixture_server.py, 127.0.0.1 only, --latency-ms before every
answer): Organizations ListAccounts pages of 20 synthetic ACTIVE accounts
(--org-accounts), an AssumeRole per account, and in each of 17 regions one
DescribeImages page of three images and the six guardrail calls. Runs
`amilint scan --aws --org --role-name … --concurrency 64` whole, and as 8
shards (`--shard K/8`, one after the other) merged with `amilint merge`,
interleaved, --runs times. Prints per run the wall time, the peak RSS, the
calls the endpoint counted against the calls the scopes need, and the ratio
to the ideal wall time (calls × latency / concurrency); then the medians, and
whether the merged shards' findings and scopes equal the whole run's. Builds
amilint in release with the AWS SDK.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

from data import ROOT, fake_aws_env, fixture_server, stats

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))

REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3",
           "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
           "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1"]
GUARDRAIL_CALLS = 6
PAGE = 20  # ListAccounts' page size on AWS


def scope_images():
    """bench-data/org_scope_images.json: the three images every scope lists
    (one unencrypted), made here."""
    path = os.path.join(ROOT, "bench-data", "org_scope_images.json")
    if not os.path.exists(path):
        images = [{
            "ImageId": f"ami-0b{i:015x}", "Name": f"golden-{i}", "OwnerId": "111122223333",
            "CreationDate": "2026-01-01T00:00:00.000Z", "State": "available", "Public": False,
            "ImageType": "machine", "Architecture": "x86_64", "RootDeviceType": "ebs",
            "RootDeviceName": "/dev/xvda", "VirtualizationType": "hvm", "EnaSupport": True,
            "ImdsSupport": "v2.0", "DeprecationTime": "2027-01-01T00:00:00.000Z",
            "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                "Encrypted": i != 0, "SnapshotId": f"snap-0b{i:015x}", "VolumeSize": 8,
                "VolumeType": "gp3", "DeleteOnTermination": True}}],
        } for i in range(3)]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"Images": images}, out, indent=4)
    return path


def run(cmd, env):
    """Runs `cmd` under /usr/bin/time: (wall seconds, peak RSS in MiB, exit
    code). Not this process's wait4: Linux counts the forked copy of this
    (large) Python process in the child's ru_maxrss."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        code = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        wall = time.perf_counter() - start
        return wall, int(rss.read().split()[-1]) / 1024, code


def counted(before, after):
    return sum(after.values()) - sum(before.values())


def findings(path):
    """A report's distinct findings (fingerprints) and its scopes. The
    endpoint serves the same three images in every scope, so an image finding
    recurs in each (`amilint merge` keeps one per fingerprint); on AWS an
    image id is one image in one region."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return ({f["fingerprint"] for f in doc["findings"]},
            sorted((s["account_id"], s["region"], s["status"]) for s in doc["scan"]["scopes"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--locked", "--release", "--bin", "amilint"], cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "release", "amilint")
    server, port = fixture_server("--images", scope_images(), "--org-accounts", str(args.accounts),
                                  "--latency-ms", str(args.latency_ms))
    n, r = args.accounts, len(REGIONS)
    needed = -(-n // PAGE) + n + n * r * (1 + GUARDRAIL_CALLS)
    ideal = needed * args.latency_ms / 1000 / args.concurrency
    out = tempfile.mkdtemp()
    try:
        env = fake_aws_env()
        base = [binary, "scan", "--aws", "--endpoint-url", f"http://127.0.0.1:{port}",
                "--region", ",".join(REGIONS), "--org", "--role-name", "AmilintAudit",
                "--concurrency", str(args.concurrency), "--format", "none"]
        whole, sharded, same = [], [], []
        for i in range(args.runs):
            before = stats(port)
            report = os.path.join(out, f"whole-{i}.json")
            wall, rss, code = run(base + ["-o", f"json={report}"], env)
            calls = counted(before, stats(port))
            assert code == 1, f"whole run exit {code}"
            whole.append((wall, rss, calls))
            print(f"run {i + 1}: whole {wall:.2f} s, peak RSS {rss:.0f} MiB, {calls} calls "
                  f"(needed {needed}), ratio to ideal {wall / ideal:.2f}", flush=True)

            before = stats(port)
            start = time.perf_counter()
            parts, peak = [], 0.0
            for k in range(1, args.shards + 1):
                part = os.path.join(out, f"shard-{i}-{k}.json")
                _, rss, code = run(base + ["--shard", f"{k}/{args.shards}", "-o", f"json={part}"], env)
                assert code == 1, f"shard {k} exit {code}"
                parts.append(part)
                peak = max(peak, rss)
            merged = os.path.join(out, f"merged-{i}.json")
            subprocess.run([binary, "merge", *parts, "-o", merged], stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            calls = counted(before, stats(port))
            sharded.append((wall, peak, calls))
            same.append(findings(merged) == findings(report))
            print(f"run {i + 1}: {args.shards} shards + merge {wall:.2f} s, peak RSS {peak:.0f} MiB, {calls} calls "
                  f"(each shard lists the organisation: +{(args.shards - 1) * -(-n // PAGE)}), "
                  f"merged == whole: {same[-1]}", flush=True)
    finally:
        server.kill()
    med = lambda rows, k: statistics.median(row[k] for row in rows)
    print(f"{n} accounts × {r} regions = {n * r} scopes, {args.latency_ms} ms per answer, concurrency "
          f"{args.concurrency}: whole median {med(whole, 0):.2f} s over {args.runs} runs, ideal {ideal:.2f} s, "
          f"ratio {med(whole, 0) / ideal:.2f}; peak RSS median {med(whole, 1):.0f} MiB; calls {whole[-1][2]} "
          f"(needed {needed}); {args.shards} shards + merge median {med(sharded, 0):.2f} s; "
          f"merged findings and scopes equal the whole run's in {sum(same)} of {len(same)} runs")


if __name__ == "__main__":
    main()
