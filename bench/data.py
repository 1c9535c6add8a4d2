"""Benchmark data shared by the bench scripts: describe-images exports made
with ../shared/gen_images.py, kept in bench-data/ (git-ignored)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_file(n, seed=1, prefix="images"):
    """bench-data/<prefix>_<n>.json: `gen_images.py n seed`, made once."""
    path = os.path.join(ROOT, "bench-data", f"{prefix}_{n}.json")
    if not os.path.exists(path):
        gen = os.path.join(ROOT, "..", "shared", "gen_images.py")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        print(f"generating {path} with {gen} …", file=sys.stderr)
        with open(path + ".tmp", "wb") as out:
            subprocess.run([sys.executable, gen, str(n), str(seed)], stdout=out, check=True)
        os.replace(path + ".tmp", path)
    return path
