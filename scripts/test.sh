#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (Microsoft's SARIF validator from npm; moto's EC2 server from PyPI), then
# runs every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing the SARIF validator (@microsoft/sarif-multitool, npm ci)"
(cd tests/sarif-validator && npm ci --no-audit --no-fund --loglevel=error)
# npm may refuse the package's postinstall `chmod u+x`; do it here.
find tests/sarif-validator/node_modules/@microsoft -name Sarif.Multitool -type f -exec chmod u+x {} +

echo "==> installing moto's server for the live-scan tests (tests/live/.venv)"
if [ ! -x tests/live/.venv/bin/moto_server ]; then
    python3 -m venv tests/live/.venv
    tests/live/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/live/requirements.txt
fi

echo "==> cargo test"
cargo test --locked
