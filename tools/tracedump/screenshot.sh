#!/usr/bin/env bash
# Takes the screenshot of tracedump's HTML page that the README shows: the loop-nest
# kernel's trace trees, with trace 1's listing open. Needs Chromium (Debian's
# `chromium`); run it again whenever the page changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p tracedump
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/release/tracedump invoke --html "$out/nest.html" benches/kernels/nest.wasm run 200 >/dev/null
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$out/profile" \
  --window-size=1400,820 --screenshot=tools/tracedump/screenshot.png \
  "file://$out/nest.html#trace=1"
