#!/usr/bin/env bash
# Rebuilds the committed WASI test programs in tests/wasi/bin/ from their sources.
#   C:    clang-19 + Debian's wasi-libc   (apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)
#   Rust: the wasm32-wasip1 target        (rustup target add wasm32-wasip1)
# Lua (the "real program") has its own script: tests/wasi/lua/build.sh.
# The expectations in tests/cli.rs were recorded with node's WASI: tests/wasi/node-run.js.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
CFLAGS=(--target=wasm32-wasi -O2 -Wall -Wl,--strip-debug)
for src in c/*.c; do
    name=$(basename "$src" .c)
    clang-19 "${CFLAGS[@]}" -o "bin/$name.wasm" "$src"
    echo "built bin/$name.wasm ($(stat -c %s "bin/$name.wasm") bytes)"
done
# The trap test keeps its call chain (no inlining, no tail calls) for the backtrace.
clang-19 --target=wasm32-wasi -O1 -fno-optimize-sibling-calls -Wl,--strip-debug -o bin/trap.wasm c/trap.c

(cd rust && cargo build --release --target wasm32-wasip1 --target-dir ../../../target/wasi-tests)
cp ../../target/wasi-tests/wasm32-wasip1/release/wasi-rust.wasm bin/rust.wasm
echo "built bin/rust.wasm ($(stat -c %s bin/rust.wasm) bytes)"
