#!/usr/bin/env python3
"""Write the two valid KREF seeds (scenarios/content/kref-*.kref): mkseeds.py OUTDIR."""
import struct
import sys
import zlib


def ksum(data):
    s = 0x5A5A
    for i, b in enumerate(data):
        s = (s + b * (i + 1)) & 0xFFFF
    return s


def section(kind, target, name_off, data, kids=(), sflags=0, ext=None):
    """A section's bytes, and the relative offsets of the sections in it (itself first)."""
    head = bytes([kind, kind ^ 0xA5, sflags])
    if sflags & 0x80:
        head += struct.pack("<H", ext)
    head += struct.pack("<BHBH", target, name_off, len(data), ksum(data)) + data
    head += bytes([len(kids)])
    offs = [0]
    out = head
    for k, koffs in kids:
        offs += [len(out) + o for o in koffs]
        out += k
    return out, offs


def kref(sections, names, flags=0, version=1, entry_index=0):
    body = b""
    offs = []
    for s, soffs in sections:
        offs += [24 + len(body) + o for o in soffs]
        body += s
    strtab = 24 + len(body)
    body += b"".join(n.encode() + b"\0" for n in names)
    head = struct.pack("<IBBBBIII", 0x4645524B, version, flags, len(sections), len(names),
                       strtab, offs[entry_index], len(body))
    return head + struct.pack("<I", zlib.crc32(body)) + body


def main():
    out = sys.argv[1]
    # names: "exec" at 0, "net" at 5, "file" at 9
    names = ["exec", "net", "file"]
    leaf1 = section(1, 1, 0, bytes([0x11, 0x05, 0x22, 0x03, 0x80, 0x00]))
    leaf2 = section(1, 0, 5, bytes([0x12, 0x07, 0x31, 0x00, 0x81, 0x00]), sflags=0x80, ext=0x0102)
    group = section(2, 0, 9, b"", kids=[leaf2])
    basic = kref([leaf1, group], names, flags=0x01)
    # nested two deep, with an empty group kept for later rules
    inner = section(2, 1, 5, b"", kids=[section(1, 0, 0, bytes([0x13, 0x01, 0x82, 0x00]))])
    empty = section(2, 2, 9, b"")
    outer = section(2, 0, 0, bytes([0x14, 0x02]), kids=[inner])
    nested = kref([leaf1, outer, empty], names, flags=0x00, version=2)
    for name, data in (("kref-basic.kref", basic), ("kref-nested.kref", nested)):
        with open(f"{out}/{name}", "wb") as f:
            f.write(data)


main()
