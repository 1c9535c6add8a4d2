#!/usr/bin/env python3
"""The fleet behind the images (issue 34): two benchmarks.

    python3 bench/fleet.py live       # 1,000 accounts × 17 regions × 100 instances, 20 ms an answer
    python3 bench/fleet.py offline    # 1,000,000 images joined with 1,000,000 instances

live: the project's EC2 fixture endpoint (tests/live/ec2_fixture_server.py,
127.0.0.1 only) plays an organisation as bench/org.py does (ListAccounts,
an AssumeRole per account, one DescribeImages page of three images per
scope) and serves each scope's fleet: DescribeInstances with 100 running
instances on those images (every 50th on an image that is gone: one
DescribeImages by id answered InvalidAMIID.NotFound), no launch templates,
no Auto Scaling groups. `amilint scan --aws --org --fleet --no-guardrails
--concurrency 64`, --runs times. The ideal wall time is the calls × the
latency / the concurrency; the script prints each run's wall time, peak RSS,
the calls counted, and the ratio.

offline: bench-data/images_1000000.json (../shared/gen_images.py) scanned
alone, and with --fleet-file: 1,000,000 describe-instances items written
here (100 files of 10,000, AWS CLI layout and fields), each instance on an
image of the export (four in five on one of 1,000 popular images), interleaved
--runs times, JSON and SARIF to files. Prints the medians and the ratio.
Builds amilint in release (with the SDK for live, without for offline).
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

from data import ROOT, data_file, fake_aws_env, fixture_server, stats
from org import REGIONS, PAGE, run as timed, scope_images

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def live(args):
    subprocess.run(["cargo", "build", "--locked", "--release", "--bin", "amilint"], cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "release", "amilint")
    server, port = fixture_server("--images", scope_images(), "--org-accounts", str(args.accounts),
                                  "--latency-ms", str(args.latency_ms), "--fleet-instances", str(args.instances))
    n, r = args.accounts, len(REGIONS)
    # Per scope: DescribeImages, then DescribeInstances, DescribeLaunchTemplateVersions and
    # DescribeAutoScalingGroups at once, then DescribeImages by id for the image that is gone.
    per_scope = 5 if args.instances >= 50 else 4
    needed = -(-n // PAGE) + n + n * r * per_scope
    ideal = needed * args.latency_ms / 1000 / args.concurrency
    env = fake_aws_env()
    cmd = [binary, "scan", "--aws", "--endpoint-url", f"http://127.0.0.1:{port}", "--region", ",".join(REGIONS),
           "--org", "--role-name", "AmilintAudit", "--no-guardrails", "--fleet",
           "--concurrency", str(args.concurrency), "--format", "none"]
    rows = []
    out = tempfile.mkdtemp()
    try:
        for i in range(args.runs):
            before = stats(port)
            report = os.path.join(out, f"report-{i}.json")
            wall, rss, code = timed(cmd + ["-o", f"json={report}"], env)
            calls = sum(stats(port).values()) - sum(before.values())
            assert code == 1, f"exit {code}"
            with open(report, encoding="utf-8") as f:
                summary = json.load(f)["summary"]
            rows.append((wall, rss))
            print(f"run {i + 1}: {wall:.2f} s, peak RSS {rss:.0f} MiB, {calls} calls (needed {needed}), "
                  f"{summary['workloads_scanned']} workloads, ratio to ideal {wall / ideal:.2f}", flush=True)
    finally:
        server.kill()
    wall = statistics.median(w for w, _ in rows)
    print(f"{n} accounts × {r} regions × {args.instances} instances, {args.latency_ms} ms per answer, "
          f"concurrency {args.concurrency}: median {wall:.2f} s over {args.runs} runs, ideal {ideal:.2f} s, "
          f"ratio {wall / ideal:.2f}; peak RSS median {statistics.median(m for _, m in rows):.0f} MiB")


def instance(rng, k, image, account):
    """One describe-instances item as the AWS CLI prints it (API_Instance)."""
    zone = rng.choice(["eu-west-1a", "eu-west-1b", "eu-west-1c"])
    iid = f"i-{k:017x}"
    return {
        "AmiLaunchIndex": 0, "ImageId": image, "InstanceId": iid,
        "InstanceType": rng.choice(["t3.micro", "m6i.large", "c7g.xlarge"]), "KeyName": "ops",
        "LaunchTime": "2026-%02d-%02dT%02d:00:00+00:00" % (rng.randint(1, 11), rng.randint(1, 28), rng.randint(0, 23)),
        "Monitoring": {"State": "disabled"},
        "Placement": {"AvailabilityZone": zone, "GroupName": "", "Tenancy": "default"},
        "PrivateDnsName": f"ip-10-0-{k % 250}-{k % 251}.eu-west-1.compute.internal",
        "PrivateIpAddress": f"10.0.{k % 250}.{k % 251}", "ProductCodes": [], "PublicDnsName": "",
        "State": {"Code": 16, "Name": "running"}, "StateTransitionReason": "",
        "SubnetId": "subnet-0a1b2c3d", "VpcId": "vpc-0a1b2c3d", "Architecture": "x86_64",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
            "AttachTime": "2026-01-01T00:00:00+00:00", "DeleteOnTermination": True,
            "Status": "attached", "VolumeId": f"vol-{k:017x}"}}],
        "ClientToken": "", "EbsOptimized": False, "EnaSupport": True, "Hypervisor": "xen",
        "RootDeviceName": "/dev/xvda", "RootDeviceType": "ebs",
        "SecurityGroups": [{"GroupName": "default", "GroupId": "sg-0a1b2c3d"}],
        "SourceDestCheck": True, "Tags": [{"Key": "Name", "Value": f"app-{k}"}],
        "VirtualizationType": "hvm", "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
        "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                            "HttpEndpoint": "enabled"},
        "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
    }


def instance_files(images_path, total, files):
    """bench-data/instances_<total>/part-NNN.json: `total` instances in
    `files` describe-instances exports, made once from the image ids of
    `images_path`."""
    folder = os.path.join(ROOT, "bench-data", f"instances_{total}")
    paths = [os.path.join(folder, f"part-{i:03}.json") for i in range(files)]
    if all(os.path.exists(p) for p in paths):
        return paths
    print(f"writing {folder} …", file=sys.stderr)
    ids = []
    pattern = re.compile(rb'"ImageId": "(ami-[0-9a-f]+)"')
    with open(images_path, "rb") as f:
        for line in f:
            m = pattern.search(line)
            if m:
                ids.append(m.group(1).decode())
    rng = random.Random(34)
    popular = rng.sample(ids, 1000)
    os.makedirs(folder, exist_ok=True)
    per = total // files
    for i, path in enumerate(paths):
        instances = []
        for k in range(i * per, (i + 1) * per):
            image = rng.choice(popular) if rng.random() < 0.8 else rng.choice(ids)
            instances.append(instance(rng, k, image, "111122223333"))
        doc = {"Reservations": [{"ReservationId": f"r-{i * 100 + j:017x}", "OwnerId": "111122223333",
                                 "Groups": [], "Instances": instances[j * 100:(j + 1) * 100]}
                                for j in range(per // 100)]}
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=4)
        os.replace(path + ".tmp", path)
    return paths


def offline(args):
    subprocess.run(["cargo", "build", "--locked", "--release", "--no-default-features", "--bin", "amilint"],
                   cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "release", "amilint")
    images = data_file(args.images)
    fleet = instance_files(images, args.instances, 100)
    out = tempfile.mkdtemp()
    base = [binary, "scan", images, "--no-config", "--format", "none",
            "-o", f"json={out}/report.json", "-o", f"sarif={out}/report.sarif"]
    joined = base + [a for p in fleet for a in ("--fleet-file", p)]
    alone, both = [], []
    for i in range(args.runs):
        for rows, cmd, name in ((alone, base, "images alone"), (both, joined, "images + fleet")):
            wall, rss, code = timed(cmd, None)
            assert code in (0, 1), f"{name}: exit {code}"
            rows.append((wall, rss))
            print(f"run {i + 1}: {name} {wall:.2f} s, peak RSS {rss:.0f} MiB", flush=True)
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    print(f"{args.images} images, {args.instances} instances, {args.runs} interleaved runs: images alone "
          f"{med(alone, 0):.2f} s ({med(alone, 1):.0f} MiB), with the fleet {med(both, 0):.2f} s "
          f"({med(both, 1):.0f} MiB): ratio {med(both, 0) / med(alone, 0):.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["live", "offline"])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--instances", type=int, default=None, help="per scope (live, 100) or in all (offline, 1,000,000)")
    ap.add_argument("--images", type=int, default=1_000_000, help="offline: images in the export")
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.mode == "live":
        args.instances = args.instances or 100
        live(args)
    else:
        args.instances = args.instances or 1_000_000
        offline(args)


if __name__ == "__main__":
    main()
