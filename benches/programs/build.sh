#!/usr/bin/env bash
# Builds the real programs of spur-compare and their expected outputs:
#   - bzip2/bzip2.wasm: bzip2/bench.c linked with libbzip2 from Debian's bzip2 source package
#     (unmodified library sources), for wasm32-wasi with clang-19 and Debian's wasi-libc;
#   - quickjs/qjs.wasm: quickjs/main.c linked with the QuickJS-ng JavaScript engine (the
#     unmodified sources the rquickjs-sys crate vendors), the same way;
#   - expected/NAME.out for every program of MANIFEST, from *native* builds of the same
#     sources: bench.c + libbzip2 with gcc, and the Lua 5.4 interpreter from Debian's lua5.4
#     source package (the sources of ../../tests/wasi/bin/lua.wasm, see
#     tests/wasi/lua/build.sh) with gcc, running the scripts of lua/.
# When node is installed, every program is also run as wasm under node's WASI and its output
# must equal the native one.
#   needs: apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 dpkg-dev gcc,
#   and cargo (for the QuickJS-ng sources)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# Fetch the source package(s) with a private source list, from the mirror this machine's
# apt uses (the system's apt config is untouched).
# shellcheck source=/dev/null
source "$here/../../tests/wasi/debian-source.sh"
fetch_debian_source bzip2 lua5.4
dpkg-source -x bzip2_*.dsc bzip2 >/dev/null 2>&1  # applies Debian's patches
dpkg-source -x lua5.4_*.dsc lua >/dev/null 2>&1

# bzip2: the library's sources, without the bzip2/bzip2recover command-line programs.
bz="$work/bzip2"
bzsrc=("$bz"/{blocksort,huffman,crctable,randtable,compress,decompress,bzlib}.c)
clang-19 --target=wasm32-wasi -O2 -Wno-everything -I"$bz" -Wl,--strip-all \
    -o "$here/bzip2/bzip2.wasm" "$here/bzip2/bench.c" "${bzsrc[@]}"
gcc -O2 -w -I"$bz" -o "$work/bzip2-native" "$here/bzip2/bench.c" "${bzsrc[@]}"
echo "built benches/programs/bzip2/bzip2.wasm ($(stat -c %s "$here/bzip2/bzip2.wasm") bytes) from $(basename "$work"/bzip2_*.dsc)"

# QuickJS-ng: the C sources the rquickjs-sys crate vendors, fetched from the Rust package
# registry (through this machine's cargo configuration) by a throwaway crate that depends on
# it; the engine (without its quickjs-libc) and quickjs/main.c, for wasm32-wasi and natively.
mkdir -p "$work/qjs-fetch/src"
printf '[package]\nname = "qjs-fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nrquickjs-sys = "=0.14.0"\n' \
    > "$work/qjs-fetch/Cargo.toml"
echo 'fn main() {}' > "$work/qjs-fetch/src/main.rs"
qjs_manifest=$(cd "$work/qjs-fetch" && cargo fetch -q && cargo metadata -q --format-version 1 |
    grep -o '"manifest_path":"[^"]*/rquickjs-sys-0\.14\.0/Cargo\.toml"' | head -n 1 | cut -d'"' -f4)
qjs="$(dirname "$qjs_manifest")/quickjs"
qjssrc=("$qjs"/{quickjs,libregexp,libunicode,dtoa}.c)
clang-19 --target=wasm32-wasi -O2 -Wno-everything -I"$qjs" -D_WASI_EMULATED_SIGNAL \
    -Wl,--strip-debug -o "$here/quickjs/qjs.wasm" "$here/quickjs/main.c" "${qjssrc[@]}" \
    -lm -lwasi-emulated-signal
gcc -O2 -w -I"$qjs" -o "$work/qjs-native" "$here/quickjs/main.c" "${qjssrc[@]}" -lm -lpthread
echo "built benches/programs/quickjs/qjs.wasm ($(stat -c %s "$here/quickjs/qjs.wasm") bytes) from rquickjs-sys 0.14.0 (QuickJS-ng $(grep -o 'QJS_VERSION_MAJOR [0-9]*' "$qjs/quickjs.h" | cut -d' ' -f2).$(grep -o 'QJS_VERSION_MINOR [0-9]*' "$qjs/quickjs.h" | cut -d' ' -f2).$(grep -o 'QJS_VERSION_PATCH [0-9]*' "$qjs/quickjs.h" | cut -d' ' -f2))"

# Lua: the interpreter (lua.c and the library), natively.
lsrc=()
for f in "$work"/lua/src/*.c; do
    case "$(basename "$f")" in luac.c) continue ;; esac
    lsrc+=("$f")
done
# Debian's packaging patch makes luaconf.h include this generated header (module search path).
echo "#define DEB_HOST_MULTIARCH \"$(gcc -dumpmachine)\"" > "$work/lua/src/lua5.4-deb-multiarch.h"
gcc -O2 -w -std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -o "$work/lua-native" "${lsrc[@]}" -lm
echo "built native lua from $(basename "$work"/lua5.4_*.dsc)"

# Expected outputs: run every program of MANIFEST natively.
mkdir -p "$here/expected"
cd "$here"
grep -v '^\s*#' MANIFEST | while read -r name module stdin args; do
    [ -n "$name" ] || continue
    base="$(basename "$module" .wasm)"
    native="$work/$base-native"
    input=/dev/null
    [ "$stdin" = none ] || input="$stdin"
    # shellcheck disable=SC2086 # args are words
    "$native" $args < "$input" > "expected/$name.out"
    if command -v node >/dev/null; then
        # shellcheck disable=SC2086
        node --no-warnings -e '
            const fs = require("node:fs");
            const { WASI } = require("node:wasi");
            const [file, ...args] = process.argv.slice(1);
            const wasi = new WASI({ version: "preview1", args: [file, ...args] });
            WebAssembly.instantiate(fs.readFileSync(file), wasi.getImportObject())
                .then(({ instance }) => wasi.start(instance));' "$module" $args < "$input" > "$work/node.out"
        cmp -s "expected/$name.out" "$work/node.out" || { echo "$name: wasm output (node) differs from native" >&2; exit 1; }
        echo "$name: native and wasm (node) outputs agree: $(head -c 80 "expected/$name.out" | head -n 1)"
    else
        echo "$name: $(head -n 1 "expected/$name.out")"
    fi
done
