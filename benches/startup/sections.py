#!/usr/bin/env python3
"""Prints a wasm module's section sizes and imports; fails unless it has no imports and a
code section of at least 500 KB (the requirements of spur-compare's startup row)."""
import sys

NAMES = ["custom", "type", "import", "function", "table", "memory", "global", "export",
         "start", "element", "code", "data", "datacount", "tag"]


def leb(buf, pos):
    """Decodes an unsigned LEB128 at pos; returns (value, next position)."""
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def main(path):
    buf = open(path, "rb").read()
    assert buf[:8] == b"\0asm\1\0\0\0", "not a wasm module"
    pos, sizes, imports = 8, {}, 0
    while pos < len(buf):
        sid, pos = leb(buf, pos)
        size, pos = leb(buf, pos)
        name = NAMES[sid] if sid < len(NAMES) else f"unknown{sid}"
        sizes[name] = sizes.get(name, 0) + size
        if name == "import":
            imports, _ = leb(buf, pos)
        pos += size
    print(f"{path}: {len(buf)} bytes")
    for name, size in sizes.items():
        print(f"  {name:10} {size:9} bytes")
    print(f"  imports    {imports}")
    code = sizes.get("code", 0)
    if imports != 0 or code < 500_000:
        sys.exit(f"error: need 0 imports and a code section >= 500000 bytes (got {imports}, {code})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "startup.wasm")
