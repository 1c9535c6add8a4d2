#!/usr/bin/env python3
"""`amilint securityhub import` of N findings on loopback: calls, wall time
and peak RSS of amilint's side. The endpoint is the fixture endpoint with
`--hub-accept` (takes every finding, keeps none: moto keeps findings in a
list and looks each imported Id up in it, so its time would grow with the
square of N and measure moto).

    python3 bench/securityhub.py --amilint target/release/amilint --findings 100000 --runs 3
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--amilint", default=os.path.join(ROOT, "target", "release", "amilint"))
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "all.asff.json")
        subprocess.run([opts.amilint, "scan", "--no-config", data.data_file(100_000), "--format", "none",
                        "-o", f"asff={report}", "--asff-account", "111122223333", "--asff-region", "eu-west-1"],
                       cwd=ROOT)
        with open(report) as f:
            findings = json.load(f)["Findings"][: opts.findings]
        assert len(findings) == opts.findings, f"only {len(findings)} findings"
        cut = os.path.join(tmp, "cut.asff.json")
        with open(cut, "w") as f:
            f.write('{"Findings": [\n' + ",\n".join(json.dumps(x) for x in findings) + "\n]}\n")
        server = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/live/ec2_fixture_server.py"),
                                   "--images", os.path.join(ROOT, "fixtures/examples/describe-images.json"),
                                   "--hub-accept"], stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline().split()[1])
        env = {"PATH": os.environ["PATH"], "HOME": tmp, "AWS_ACCESS_KEY_ID": "AKIDTEST",
               "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"}
        walls, rss, outcome = [], [], None
        try:
            for _ in range(opts.runs):
                start = time.monotonic()
                out = subprocess.run(["/usr/bin/time", "-f", "RSS %M", opts.amilint, "securityhub", "import",
                                      cut, "--endpoint-url", f"http://127.0.0.1:{port}", "--region",
                                      "eu-west-1", "--format", "json"],
                                     env=env, capture_output=True, text=True)
                walls.append(time.monotonic() - start)
                rss.append(int(out.stderr.strip().splitlines()[-1].split()[1]))
                outcome = json.loads(out.stdout)
                assert out.returncode == 0, out.stderr
        finally:
            server.kill()
        print(json.dumps({"findings": opts.findings, "report_mb": round(os.path.getsize(cut) / 1e6, 1),
                          "median_wall_s": round(statistics.median(walls), 2), "walls": [round(w, 2) for w in walls],
                          "peak_rss_mib": round(max(rss) / 1024, 1), "calls": outcome["calls"],
                          "imported": outcome["imported"]}))


if __name__ == "__main__":
    main()
