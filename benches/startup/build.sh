#!/usr/bin/env bash
# Builds startup.wasm (the startup row of spur-compare) from this standalone cargo project,
# checks that it has no imports and a code section of at least 500 KB, and prints its size.
# Usage: benches/startup/build.sh
set -euo pipefail
cd "$(dirname "$0")"
rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown
cargo build --release --locked --target wasm32-unknown-unknown
cp target/wasm32-unknown-unknown/release/spur_startup.wasm startup.wasm
python3 sections.py startup.wasm
