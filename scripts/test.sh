#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (Microsoft's SARIF validator and playwright-core from npm; Debian's Chromium;
# moto's EC2 server, botocore's Security Hub model, the OCSF models, zizmor and
# check-jsonschema from PyPI; mdBook from crates.io, which builds the user
# guide), then runs every Rust test, then builds the
# release artefacts and installs them as users do (scripts/local-release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing the SARIF validator (@microsoft/sarif-multitool, npm ci)"
(cd tests/sarif-validator && npm ci --no-audit --no-fund --loglevel=error)
# npm may refuse the package's postinstall `chmod u+x`; do it here.
find tests/sarif-validator/node_modules/@microsoft -name Sarif.Multitool -type f -exec chmod u+x {} +

echo "==> installing Chromium (Debian) and playwright-core (npm ci) for the HTML report test"
if ! command -v chromium >/dev/null; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
(cd tests/html && npm ci --no-audit --no-fund --loglevel=error)

echo "==> installing moto, botocore, py-ocsf-models, zizmor and check-jsonschema (tests/live/.venv, pinned)"
if [ ! -x tests/live/.venv/bin/python ]; then
    python3 -m venv tests/live/.venv
fi
tests/live/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/live/requirements.txt

echo "==> installing mdBook (crates.io, pinned) and building the user guide (docs/, mdbook build)"
TOOLS="${AMILINT_TOOLS:-$HOME/.cache/amilint/tools}"
if [ "$("$TOOLS/bin/mdbook" --version 2>/dev/null)" != "mdbook v0.5.4" ]; then
    cargo install --locked mdbook --version 0.5.4 --no-default-features --features search \
        --root "$TOOLS" --target-dir "$TOOLS/target"
fi
"$TOOLS/bin/mdbook" build docs

echo "==> cargo fmt --check"
if ! cargo fmt --version >/dev/null 2>&1; then
    rustup component add rustfmt
fi
cargo fmt --check

echo "==> cargo clippy (with and without the AWS SDK)"
if ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add clippy
fi
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --all-targets --no-default-features -- -D warnings

echo "==> cargo check of the fuzz targets (fuzz/; cargo-fuzz runs them on nightly, this keeps them building)"
cargo check --locked --manifest-path fuzz/Cargo.toml

echo "==> cargo test (every test: one whose npm, venv or Chromium part is missing fails, not skips)"
AMILINT_TEST_EXTERNALS=required cargo test --locked

echo "==> the release, built as the release workflow builds it and installed from a local folder (scripts/local-release.sh)"
./scripts/local-release.sh
