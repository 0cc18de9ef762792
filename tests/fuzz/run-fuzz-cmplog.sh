#!/bin/bash
# run-fuzz-cmplog.sh — build the input-to-state reader's libFuzzer target with clang (ASan +
# UBSan) and run it for a bounded time, seeded with a comparison trace and an input.
# Usage: tests/fuzz/run-fuzz-cmplog.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-cmplog}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-cmplog.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined \
	-I"$src/harness/base" -I"$src/harness/fuzz" \
	"$here/fuzz-cmplog.c" "$src/harness/fuzz/cmplog.c" "$src/harness/base/util.c" -lcrypto \
	-o "$OUT/fuzz-cmplog"
printf '\010\064\022\000\000\022\064\007\000fffff14e 4 1234 beef\nfffffb0d 2 5de7 5d67\nfffffb0d 1 7 0\nend 0\n' \
	>"$OUT/corpus/trace"
"$OUT/fuzz-cmplog" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
