#!/usr/bin/env python3
"""Live-scan benchmark (issue 6): is attribute enrichment concurrent?

    python3 bench/live.py                  # 2,000 images, 20 ms per answer, 3 runs
    python3 bench/live.py --debug          # with the test suite's debug build

Serves 2,000 images (../shared/gen_images.py 2000 7) from the project's EC2
fixture endpoint (tests/live/ec2_fixture_server.py, on 127.0.0.1 only) with a
delay before every answer, and runs `amilint scan --aws --attributes` against
it. Each image costs 4 DescribeImageAttribute calls (launchPermission,
lastLaunchedTime, imdsSupport, deregistrationProtection) on a shared limit of
--attribute-concurrency calls in flight. The ideal wall time is
attribute calls × latency / concurrency; the script prints the median wall
time over the runs, the calls counted by the endpoint, and the ratio to ideal.

It builds amilint in release with the AWS SDK (`cargo build --release`; the
SDK's first release build takes 10-20 minutes on 2 cores). `--debug` uses
the test suite's debug build instead: quicker to get, but its SigV4 signing
and XML parsing cost enough CPU to show (1.23 against 1.11 here).
"""

import argparse
import os
import statistics
import subprocess
import time

from data import calls, data_file, fake_aws_env, fixture_server, stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))





def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args()

    build = ["cargo", "build", "--locked", "--bin", "amilint"] + ([] if args.debug else ["--release"])
    subprocess.run(build, cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "debug" if args.debug else "release", "amilint")

    server, port = fixture_server(
        "--images", data_file(args.images, seed=7, prefix="live_images"), "--latency-ms", str(args.latency_ms))
    try:
        env = fake_aws_env()
        cmd = [binary, "scan", "--aws", "--endpoint-url", f"http://127.0.0.1:{port}",
               "--region", "eu-west-1", "--attributes",
               "--attribute-concurrency", str(args.concurrency),
               "--format", "none", "--fail-on", "never"]
        walls, attribute_calls = [], []
        for _ in range(args.runs):
            before = stats(port)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True)
            walls.append(time.perf_counter() - start)
            after = stats(port)
            attribute_calls.append(calls(after, "DescribeImageAttribute")
                                   - calls(before, "DescribeImageAttribute"))
    finally:
        server.kill()
    n = attribute_calls[-1]
    ideal = n * args.latency_ms / 1000 / args.concurrency
    wall = statistics.median(walls)
    print(f"{args.images} images, {n} DescribeImageAttribute calls, {args.latency_ms} ms per answer, "
          f"concurrency {args.concurrency}: median {wall:.2f} s over {args.runs} runs "
          f"({', '.join(f'{w:.2f}' for w in walls)}); ideal {ideal:.2f} s; ratio {wall / ideal:.2f}")


if __name__ == "__main__":
    main()
