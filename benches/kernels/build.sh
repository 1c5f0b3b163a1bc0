#!/usr/bin/env bash
# Rebuild the benchmark kernels and their checksum manifest.
#
#   benches/kernels/build.sh            # every *.c kernel -> <name>.wasm, then MANIFEST
#   benches/kernels/build.sh --node     # ... and cross-check the checksums in node (check-node.js)
#   benches/kernels/build.sh --no-wasm  # only regenerate MANIFEST (native gcc oracle)
#
# Needs clang-19 + lld-19 (installed from apt when missing) for the wasm
# build and gcc for the native oracle. The .wasm files and MANIFEST are
# committed, so this script is only needed after changing a kernel.
set -euo pipefail

cd "$(dirname "$0")"

LLVM_VER=${LLVM_VER:-19}
CLANG=${CLANG:-clang-$LLVM_VER}
CC_NATIVE=${CC_NATIVE:-gcc}

# One set of flags for every kernel: plain -O2 with clang's default wasm
# features (sign-ext, mutable-globals, multivalue, reference-types) plus
# bulk memory (so array clears become memory.fill instead of a libc memset
# call). No SIMD. Float contraction is off (wasm has no fma anyway) so the
# native oracle computes bit-identical floats. 1 MiB shadow stack.
WASM_FLAGS=(--target=wasm32 -O2 -nostdlib -mbulk-memory -ffp-contract=off
            -Wl,--no-entry -Wl,--strip-debug -Wl,-z,stack-size=1048576)
NATIVE_FLAGS=(-O2 -ffp-contract=off -fno-strict-aliasing)

do_wasm=1
do_node=0
for arg in "$@"; do
    case "$arg" in
        --node) do_node=1 ;;
        --no-wasm) do_wasm=0 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

kernels=()
for f in *.c; do
    [ "$f" = oracle.c ] && continue
    kernels+=("${f%.c}")
done

ensure_clang() {
    if command -v "$CLANG" >/dev/null 2>&1 && command -v "wasm-ld-$LLVM_VER" >/dev/null 2>&1; then
        return
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "installing clang-$LLVM_VER and lld-$LLVM_VER from apt" >&2
    if ! $sudo apt-get install -y "clang-$LLVM_VER" "lld-$LLVM_VER" >/dev/null 2>&1; then
        $sudo apt-get update >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "clang-$LLVM_VER" "lld-$LLVM_VER" >/dev/null
    fi
}

if [ "$do_wasm" = 1 ]; then
    ensure_clang
    for k in "${kernels[@]}"; do
        "$CLANG" "${WASM_FLAGS[@]}" -o "$k.wasm" "$k.c"
        printf '%-12s %6d bytes\n' "$k.wasm" "$(stat -c %s "$k.wasm")"
    done
fi

# Native oracle: each kernel linked with oracle.c (which provides host_mix).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
define_of() { sed -n "s/^#define $1 \\([0-9][0-9]*\\).*/\\1/p" "$2" | head -n1; }

{
    echo "# spur benchmark kernels: checksums of run(n) for each kernel's default and quick n."
    echo "# Columns: name default_n quick_n checksum_default checksum_quick"
    echo "# name is the kernel (benches/kernels/<name>.wasm, export \"run\": (i32) -> i64);"
    echo "# checksums are run(n)'s i64 result as signed decimal, computed by a native"
    echo "# gcc -O2 build of the same C source (benches/kernels/build.sh, oracle.c)."
} > "$tmp/MANIFEST"

printf '%-12s %10s %10s %10s %10s\n' kernel default_n ms quick_n ms
for k in "${kernels[@]}"; do
    dn=$(define_of DEFAULT_N "$k.c")
    qn=$(define_of QUICK_N "$k.c")
    if [ -z "$dn" ] || [ -z "$qn" ]; then
        echo "$k.c: missing #define DEFAULT_N / QUICK_N" >&2
        exit 1
    fi
    "$CC_NATIVE" "${NATIVE_FLAGS[@]}" -o "$tmp/$k" oracle.c "$k.c" -lm
    read -r cd td < <("$tmp/$k" "$dn" 3)
    read -r cq tq < <("$tmp/$k" "$qn" 3)
    printf '%-12s %10s %10s %10s %10s\n' "$k" "$dn" "$td" "$qn" "$tq"
    echo "$k $dn $qn $cd $cq" >> "$tmp/MANIFEST"
done
mv "$tmp/MANIFEST" MANIFEST
echo "wrote $(pwd)/MANIFEST"

if [ "$do_node" = 1 ]; then
    node check-node.js
fi
