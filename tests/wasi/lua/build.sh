#!/usr/bin/env bash
# Builds tests/wasi/bin/lua.wasm: the standard Lua 5.4 interpreter (lua.c, unmodified) from
# Debian's lua5.4 source package, compiled with clang-19 and Debian's wasi-libc.
#   needs: apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 dpkg-dev
# Error handling has no longjmp here; see shim/lua_wasi.h for what that means.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# Fetch the source package(s) with a private source list, from the mirror this machine's
# apt uses (the system's apt config is untouched).
# shellcheck source=/dev/null
source "$here/../debian-source.sh"
fetch_debian_source lua5.4
dpkg-source -x lua5.4_*.dsc lua >/dev/null 2>&1  # applies Debian's patches (security fixes)
src="$work/lua/src"

objs=()
for f in "$src"/*.c "$here/shim/lua_wasi.c"; do
    case "$(basename "$f")" in luac.c) continue ;; esac
    o="$work/$(basename "$f" .c).o"
    clang-19 --target=wasm32-wasi -O2 -std=gnu99 -Wno-everything \
        -I"$here/shim" -I"$src" -include "$here/shim/lua_wasi.h" \
        -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
        -DLUA_COMPAT_5_3 -c "$f" -o "$o"
    objs+=("$o")
done
clang-19 --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$here/../bin/lua.wasm" "${objs[@]}" \
    -lwasi-emulated-signal -lwasi-emulated-process-clocks -lm
echo "built tests/wasi/bin/lua.wasm ($(stat -c %s "$here/../bin/lua.wasm") bytes) from $(ls "$work"/lua5.4_*.dsc | xargs basename)"
