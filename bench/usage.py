#!/usr/bin/env python3
"""Who uses each image, and where it comes from (issue 20): live benchmarks.

    python3 bench/usage.py references     # 20,000 images, DescribeImageReferences
    python3 bench/usage.py ancestry       # 2,000 images, GetImageAncestry

Serves images of one account (each referenced by an instance, a launch
template and an SSM parameter, and with a two-image ancestry) from the
project's EC2 fixture endpoint (tests/live/ec2_fixture_server.py, 127.0.0.1
only) with --latency-ms before every answer, and runs `amilint scan --aws
--references` (10 images a call) or `--ancestry` (one call an image), the
calls on --attribute-concurrency in flight. The ideal wall time is the calls
in sequence at that concurrency: (STS + image pages) × latency, then
ceil(calls / c) × latency. Prints the median wall time over the runs, the
calls the endpoint counted and the ratio. Builds amilint in release with the
AWS SDK (`--debug`: the test suite's debug build).
"""

import argparse
import json
import os
import statistics
import subprocess
import time

from data import ROOT, calls, fake_aws_env, fixture_server, stats

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def images_file(n):
    """bench-data/used_<n>.json: the project's own data maker."""
    path = os.path.join(ROOT, "bench-data", f"used_{n}.json")
    if not os.path.exists(path):
        account = "111122223333"
        images = []
        for i in range(n):
            image_id = f"ami-{i:017x}"
            images.append({
                "ImageId": image_id, "Name": f"used-{i}", "OwnerId": account, "State": "available",
                "CreationDate": "2026-01-01T00:00:00.000Z", "ImageType": "machine",
                "AmilintReferences": [
                    {"ResourceType": "ec2:Instance", "Arn": f"arn:aws:ec2:eu-west-1:{account}:instance/i-{i:017x}"},
                    {"ResourceType": "ec2:LaunchTemplate",
                     "Arn": f"arn:aws:ec2:eu-west-1:{account}:launch-template/lt-{i:017x}"},
                    {"ResourceType": "ssm:Parameter", "Arn": f"arn:aws:ssm:eu-west-1:{account}:parameter/golden/{i}"},
                ],
                "AmilintAncestry": [
                    {"CreationDate": "2026-01-01T00:00:00.000Z", "ImageId": image_id,
                     "SourceImageId": "ami-0a0000000000000a1", "SourceImageRegion": "eu-west-1"},
                    {"CreationDate": "2025-12-01T00:00:00.000Z", "ImageId": "ami-0a0000000000000a1",
                     "ImageOwnerAlias": "amazon"},
                ],
            })
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"Images": images}, out)
    return path





def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["references", "ancestry"])
    ap.add_argument("--images", type=int)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args()
    n = args.images or (20_000 if args.mode == "references" else 2_000)
    action = "DescribeImageReferences" if args.mode == "references" else "GetImageAncestry"

    build = ["cargo", "build", "--locked", "--bin", "amilint"] + ([] if args.debug else ["--release"])
    subprocess.run(build, cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "debug" if args.debug else "release", "amilint")
    server, port = fixture_server("--images", images_file(n), "--latency-ms", str(args.latency_ms))
    try:
        env = fake_aws_env()
        cmd = [binary, "scan", "--aws", "--endpoint-url", f"http://127.0.0.1:{port}",
               "--region", "eu-west-1", f"--{args.mode}",
               "--attribute-concurrency", str(args.concurrency),
               "--format", "none", "--fail-on", "never"]
        # The same scan without the flag, interleaved: the endpoint's own time
        # for the image pages (a Python server building 1,000-image answers)
        # is not the reference calls' to carry.
        plain = [c for c in cmd if c != f"--{args.mode}"]
        walls, plain_walls, counted = [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(plain, env=env, check=True, stderr=subprocess.DEVNULL)
            plain_walls.append(time.perf_counter() - start)
            before = stats(port)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - start)
            after = stats(port)
            counted.append({a: calls(after, a) - calls(before, a)
                            for a in ("GetCallerIdentity", "DescribeImages", action)})
    finally:
        server.kill()
    c, lat = args.concurrency, args.latency_ms / 1000
    k = counted[-1]
    ideal = (k["GetCallerIdentity"] + k["DescribeImages"]) * lat + -(-k[action] // c) * lat
    added_ideal = -(-k[action] // c) * lat
    wall, base = statistics.median(walls), statistics.median(plain_walls)
    print(f"{n} images, {args.mode}, {args.latency_ms} ms per answer, concurrency {c}: calls {k}; "
          f"median {wall:.2f} s over {args.runs} runs ({', '.join(f'{w:.2f}' for w in walls)}); "
          f"ideal {ideal:.2f} s; ratio {wall / ideal:.2f}; without --{args.mode} {base:.2f} s "
          f"({', '.join(f'{w:.2f}' for w in plain_walls)}): the {k[action]} calls added {wall - base:.2f} s "
          f"against their ideal {added_ideal:.2f} s, ratio {(wall - base) / added_ideal:.2f}")


if __name__ == "__main__":
    main()
