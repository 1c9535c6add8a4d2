#!/usr/bin/env python3
"""GitHub's upload step on amilint's SARIF, with GitHub's own code: the
fingerprinting that `github/codeql-action/upload-sarif` runs on every log
before uploading it (`addFingerprints` of src/fingerprints.ts: each result
whose primary location has a line in a file of the checkout gets its
`primaryLocationLineHash` from a rolling hash of that file), built from a
checkout of the action with esbuild, timed in Node.

    (cd bench/github-upload && npm ci)
    python3 bench/github_upload.py --codeql-action PATH/TO/codeql-action \\
        --export bench-data/images_100000.json --runs 3

PATH/TO/codeql-action: a checkout of the tag the Action pins (v4.36.2; e.g.
`git -C MIRROR archive v4.36.2 src | tar -x -C DIR`). For each export it
writes the SARIF log a scan gives (default --sarif-max-results) and times
`addFingerprints(log, checkout, logger)` with the working directory as the
checkout, as the action does, from reading the log (median of --runs; the
logger counts the warnings the action would print).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "bench", "github-upload")

DRIVER = r"""
import * as fs from "fs";
import { addFingerprints } from "./src/fingerprints";
const [sarifPath, checkout] = process.argv.slice(2);
let warnings = 0;
const logger: any = {
  debug: () => undefined, info: () => undefined,
  warning: () => { warnings += 1; }, error: () => undefined,
  isDebug: () => false, startGroup: () => undefined, endGroup: () => undefined,
};
const start = process.hrtime.bigint();
const log = JSON.parse(fs.readFileSync(sarifPath, "utf8"));
addFingerprints(log, checkout, logger).then((out: any) => {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const results = out.runs.flatMap((r: any) => r.results || []);
  const hashed = results.filter((r: any) => r.partialFingerprints?.primaryLocationLineHash).length;
  console.log(JSON.stringify({ seconds, results: results.length, hashed, warnings }));
});
"""


def build(action):
    out = tempfile.mkdtemp(prefix="gh-upload-")
    for rel in ["src/fingerprints.ts", "src/doc-url.ts", "src/logging.ts", "src/json", "src/sarif"]:
        src = os.path.join(action, rel)
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
    with open(os.path.join(out, "driver.ts"), "w") as f:
        f.write(DRIVER)
    bundle = os.path.join(out, "driver.js")
    subprocess.run(
        [os.path.join(HERE, "node_modules", ".bin", "esbuild"), os.path.join(out, "driver.ts"),
         "--bundle", "--platform=node", f"--outfile={bundle}",
         "--external:@actions/core", "--external:sarif", "--log-level=warning"],
        check=True, env={**os.environ, "NODE_PATH": os.path.join(HERE, "node_modules")},
        cwd=HERE,
    )
    return bundle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--codeql-action", required=True)
    ap.add_argument("--export", action="append", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--amilint", default=os.path.join(ROOT, "target", "release", "amilint"))
    opts = ap.parse_args()
    bundle = build(opts.codeql_action)
    for export in opts.export:
        with tempfile.TemporaryDirectory() as tmp:
            sarif = os.path.join(tmp, "amilint.sarif")
            subprocess.run([opts.amilint, "scan", "--no-config", export, "--format", "none",
                            "-o", f"sarif={sarif}"], cwd=ROOT)
            times, last = [], None
            for _ in range(opts.runs):
                out = subprocess.run(["node", bundle, sarif, ROOT], cwd=ROOT,
                                     capture_output=True, text=True, check=True)
                last = json.loads(out.stdout)
                times.append(last["seconds"])
            print(json.dumps({"export": export, "median_seconds": round(statistics.median(times), 2),
                              "runs": [round(t, 2) for t in times], **{k: last[k] for k in ("results", "hashed", "warnings")}}))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
