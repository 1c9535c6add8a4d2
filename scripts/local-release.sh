#!/usr/bin/env bash
# Issue 32: every install path, end to end, without GitHub.
#
# Builds the release artefacts this machine can build with the steps of
# .github/workflows/release.yml (its Build, Package, Install uv and Check the
# metadata steps run as written), lays them out as a GitHub release in a local
# folder, then installs from it as users do and runs `amilint --version` and a
# scan of the bundled example with each install; the scans' JSON reports must
# be the same:
#   1. the Action's install step (action.yml, run by bash as the runner runs
#      it) from a file:// release: the checksum checked against the release
#      and the Action's checksums/TAG.txt; a tampered archive, a planted cached
#      archive and a release that disagrees with the Action's tree refused;
#      then its Scan step with args on several lines;
#   2. pip and pipx from the wheel, and uvx (uv tool run) from the wheel;
#   3. cargo binstall: Cargo.toml's [package.metadata.binstall] rendered for
#      this target names an archive of the release that holds the binary at
#      its bin-dir (cargo-binstall itself downloads only over HTTPS);
#   4. the crate: `cargo package` (with both licence files).
# Prints the Action's first-run time (download, check, unpack) from the
# local release.
#
# Usage: scripts/local-release.sh [OUT]   (default: a new temporary folder)
# Needs tests/live/.venv (scripts/test.sh makes it); uses CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="$root/tests/live/.venv/bin"
if [ $# -gt 0 ]; then
    out="$1"
    mkdir -p "$out"
else
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
out="$(cd "$out" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
host="$(rustc -vV | sed -n 's/^host: //p')"
version="$(cargo metadata --no-deps --format-version 1 --offline |
    "$venv/python" -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')"
tag="v$version"
release="$out/releases/download/$tag"
mkdir -p "$release"
say() { printf '==> %s\n' "$*"; }
fail() { printf 'local-release: %s\n' "$*" >&2; exit 1; }

# The `run:` script of step NAME of job JOB in workflow FILE (JOB "-" for an
# action's steps).
step() {
    "$venv/python" - "$@" <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
steps = doc["runs"]["steps"] if sys.argv[2] == "-" else doc["jobs"][sys.argv[2]]["steps"]
print(next(s["run"] for s in steps if s.get("name") == sys.argv[3]))
EOF
}
workflow=.github/workflows/release.yml

say "release build for $host (the workflow's Build step)"
TARGET="$host" bash -euo pipefail -c "$(step $workflow binaries Build)"

say "binary archive and its .sha256 (the workflow's Package step)"
stage="$out/stage"
mkdir -p "$stage/target/$host"
ln -sfn "$target_dir/$host/release" "$stage/target/$host/release"
(cd "$stage" && TARGET="$host" TAG="$tag" RUNNER_OS=Linux \
    bash -euo pipefail -c "$(step "$root/$workflow" binaries Package)")
mv "$stage/amilint-$tag-$host.tar.gz" "$stage/amilint-$tag-$host.tar.gz.sha256" "$release/"

say "wheel and sdist (maturin), the crate (cargo package)"
"$venv/maturin" build --release --locked --target "$host" --out "$release"
"$venv/maturin" sdist --out "$release"
cargo package --locked --offline --allow-dirty --no-verify --quiet
cp "$target_dir/package/amilint-$version.crate" "$release/"
wheel="$(ls "$release"/amilint-"$version"-*.whl)"
for licence in LICENSE-MIT LICENSE-APACHE; do
    "$venv/python" -m zipfile -l "$wheel" | grep "amilint-$version.dist-info/licenses/$licence" > /dev/null ||
        fail "$licence is not in $wheel"
    tar -tzf "$release/amilint-$version.crate" | grep -x "amilint-$version/$licence" > /dev/null ||
        fail "$licence is not in the crate"
done

say "the metadata, checked as the PyPI job does (its Install uv and Check the metadata steps)"
home="$out/home"
mkdir -p "$home" "$out/dist"
cp "$wheel" "$release/amilint-$version.tar.gz" "$out/dist/"
(cd "$out" && HOME="$home" bash -euo pipefail -c "$(step "$root/$workflow" pypi 'Install uv')")
(cd "$out" && HOME="$home" bash -euo pipefail -c "$(step "$root/$workflow" pypi 'Check the metadata')")
uv="$home/.local/bin/uv"

# The Action runs on Linux/X64 with the x86_64-unknown-linux-musl archive;
# this machine's Rust has no musl standard library (rustup cannot fetch one
# here), so the Action's archive is this host's build under that name: the
# install step checks names and checksums, which is what is tested.
musl="amilint-$tag-x86_64-unknown-linux-musl.tar.gz"
if [ "$host" != x86_64-unknown-linux-musl ]; then
    cp "$release/amilint-$tag-$host.tar.gz" "$release/$musl"
    (cd "$release" && sha256sum "$musl" > "$musl.sha256")
fi
# checksums/TAG.txt as the workflow's checksums job commits it.
mkdir -p "$out/action/checksums"
cat "$release"/*.sha256 | sort -k 2 > "$out/action/checksums/$tag.txt"

installed=()
# check NAME BIN: `BIN --version` is this version, and its scan of the
# bundled example is kept as NAME.json to compare.
check() {
    local name="$1" bin="$2" code=0
    [ "$("$bin" --version)" = "amilint $version" ] || fail "$name: $("$bin" --version)"
    "$bin" scan fixtures/examples/describe-images.json --no-config --now 2026-12-01T00:00:00Z --format json \
        > "$out/$name.json" 2> "$out/$name.err" || code=$?
    [ "$code" = 1 ] || fail "$name: the example scan exited $code, not 1 (findings)"
    installed+=("$name")
    say "installed with $name: $bin ($("$bin" --version))"
}

# The Action's install step, as the runner runs it: (exit code) and the
# output file and log in $out/action.
install_step() {
    : > "$out/action/output"
    env -i PATH=/usr/bin:/bin HOME="$home" RUNNER_OS=Linux RUNNER_ARCH=X64 \
        RUNNER_TOOL_CACHE="$out/action/tool-cache" GITHUB_OUTPUT="$out/action/output" \
        AMILINT_FROM_SOURCE=false AMILINT_VERSION="$tag" \
        AMILINT_RELEASES="file://$out/releases/download" \
        AMILINT_CHECKSUMS="$out/action/checksums" \
        bash -e -c "$(step action.yml - 'Install amilint')" > "$out/action/log" 2>&1
}
# refused WHAT: the install step refuses the release, WHAT being what is wrong.
refused() {
    if install_step; then fail "the install step took $1"; fi
    grep -q "not installed" "$out/action/log" || fail "$(cat "$out/action/log")"
}

say "the Action's install step from file://$out/releases/download"
start=$(date +%s.%N)
install_step || fail "$(cat "$out/action/log")"
end=$(date +%s.%N)
first_run=$("$venv/python" -c "print(f'{$end - $start:.2f}')")
bin="$(sed -n 's/^bin=//p' "$out/action/output")"
check action "$bin"
say "the Action's first run (download, check, unpack): ${first_run} s"
cached="$out/action/tool-cache/amilint/$tag/x86_64-unknown-linux-musl/$musl"
cp "$cached" "$out/good.tar.gz"
printf 'planted' >> "$cached"
refused "a planted cached archive"
[ ! -e "$cached" ] || fail "a planted cache was kept"
mv "$release/$musl" "$out/good-release.tar.gz"
cp "$out/good.tar.gz" "$release/$musl"
printf 'tampered' >> "$release/$musl"
refused "a tampered archive"
# Archive and checksum both replaced: the release agrees with itself, not
# with the checksums in the Action's tree.
(cd "$release" && cp "$musl.sha256" "$out/good.sha256" && sha256sum "$musl" > "$musl.sha256")
refused "a release that disagrees with checksums/$tag.txt"
grep -q "checksums/$tag.txt" "$out/action/log" || fail "$(cat "$out/action/log")"
mv "$out/good-release.tar.gz" "$release/$musl"
mv "$out/good.sha256" "$release/$musl.sha256"
install_step || fail "$(cat "$out/action/log")"

say "the Action's Scan step, args on several lines"
: > "$out/action/scan-output"
(env -i PATH=/usr/bin:/bin RUNNER_TEMP="$out/action" GITHUB_OUTPUT="$out/action/scan-output" \
    GITHUB_STEP_SUMMARY="$out/action/summary.md" AMILINT_BIN="$bin" AMILINT_COMMAND=scan \
    AMILINT_ARGS=$'fixtures/examples/describe-images.json\n--no-config\n' \
    AMILINT_SARIF="$out/action/amilint.sarif" AMILINT_ANNOTATE=true \
    bash -e -c "$(step action.yml - Scan)") > "$out/action/scan-log" 2>&1
grep -qx "exit-code=1" "$out/action/scan-output" || fail "$(cat "$out/action/scan-output")"
grep -q '"amilint/v2"' "$out/action/amilint.sarif" || fail "no SARIF results"

say "pip, pipx and uvx from the wheel"
"$venv/python" -m venv "$out/pip"
"$out/pip/bin/pip" install --quiet --no-index --disable-pip-version-check "$wheel"
check pip "$out/pip/bin/amilint"
PIPX_HOME="$out/pipx" PIPX_BIN_DIR="$out/pipx/bin" PIPX_MAN_DIR="$out/pipx/man" \
    "$venv/pipx" install --quiet "$wheel" > /dev/null
check pipx "$out/pipx/bin/amilint"
cat > "$out/uvx" <<EOF
#!/bin/sh
exec env UV_CACHE_DIR="$out/uv-cache" UV_TOOL_DIR="$out/uv-tools" "$uv" tool run --offline --from "$wheel" amilint "\$@"
EOF
chmod +x "$out/uvx"
check uvx "$out/uvx"

say "cargo binstall: Cargo.toml's pkg-url and bin-dir for $host"
binstall="$("$venv/python" - "$host" "$version" <<'EOF'
import sys, tomllib
cargo = tomllib.load(open("Cargo.toml", "rb"))
package = cargo["package"]
meta = package["metadata"]["binstall"]
assert meta["pkg-fmt"] == "tgz", meta
values = {"repo": package["repository"], "name": package["name"], "version": sys.argv[2],
          "target": sys.argv[1], "bin": package["name"], "binary-ext": ""}
def render(template):
    for key, value in values.items():
        template = template.replace("{ %s }" % key, value)
    assert "{" not in template, template
    return template
url = render(meta["pkg-url"])
prefix = package["repository"] + "/releases/download/"
assert url.startswith(prefix), url
print(url[len(prefix):], render(meta["bin-dir"]))
EOF
)"
read -r path bin_dir <<< "$binstall"
[ -f "$out/releases/download/$path" ] || fail "binstall's $path is not in the release"
mkdir -p "$out/binstall"
tar -xzf "$out/releases/download/$path" -C "$out/binstall" "$bin_dir"
check binstall "$out/binstall/$bin_dir"

for name in "${installed[@]}"; do
    cmp -s "$out/action.json" "$out/$name.json" || fail "$name's scan differs from the Action's"
done
say "release $tag in $out/releases/download/$tag: $(cd "$release" && ls | tr '\n' ' ')"
say "installed, --version and the example scan the same with: ${installed[*]}"
