#!/bin/bash
# run-fuzz-covfile.sh — build the coverage reader's libFuzzer target with clang (ASan + UBSan)
# and run it for a bounded time, seeded with a valid coverage file (small map, ranges, magic
# values), a /proc/modules text and a sensor process's code mappings (/proc/PID/maps lines).
# Usage: tests/fuzz/run-fuzz-covfile.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-covfile}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-covfile.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
# shellcheck disable=SC2046
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined \
	-I"$src/harness/base" -I"$src/harness/fuzz" \
	"$here/fuzz-covfile.c" "$src/harness/base/covfile.c" "$src/harness/fuzz/bitmap.c" \
	"$src/harness/base/util.c" -lcrypto -o "$OUT/fuzz-covfile"
# seeds: a coverage file with a 256-counter map (mode byte 0), a MODULES text (mode byte 1) and
# its mappings (mode byte 2)
python3 - "$OUT/corpus" <<'PY'
import struct, sys
out = sys.argv[1]
hdr = b"FLCOV1\n\0" + struct.pack("<IIII", 1, 256, 1, 2)
hdr += struct.pack("<QQ", 0xffffffffc0000000, 0xffffffffc0004000) + b"\0" * 16 * 7
hdr += struct.pack("<QQQ", 12, 345, 1) + struct.pack("<QQ", 0x1f2e, 7) + b"\0" * 8 * 254
hdr = hdr.ljust(4096, b"\0")
maps = bytes((i * 7) % 5 for i in range(256)) + bytes(i % 2 for i in range(256))
open(out + "/covfile", "wb").write(b"\0" + hdr + maps)
open(out + "/modules", "wb").write(
    b"\1ksensor 20480 0 - Live 0xffffffffc0000000 (O)\nother 4096 1 ksensor, Live 0x0000000000000000\n")
open(out + "/maps", "wb").write(
    b"\2ksensor 20480 0 - Live 0xffffffffc0000000 (O)\n"
    b"00401000-0047d000 r-xp 00001000 00:02 17                         /lib/sensor/usensord\n"
    b"7f3a1c2e5000-7f3a1c3d1000 r-xp 00026000 fe:01 131594 /usr/lib/x86_64-linux-gnu/libc.so.6\n")
PY
"$OUT/fuzz-covfile" -max_total_time="$secs" -max_len=16384 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
