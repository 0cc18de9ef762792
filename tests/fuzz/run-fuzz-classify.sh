#!/bin/bash
# run-fuzz-classify.sh — build the classifier's libFuzzer target with clang (ASan + UBSan) and run
# it for a bounded time, seeded with the console fixtures.
# Usage: tests/fuzz/run-fuzz-classify.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../..
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-classify}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-classify.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/harness/base" -I"$src/harness/classify" \
	"$here/fuzz-classify.c" "$src"/harness/classify/*.c \
	"$src/harness/base/util.c" "$src/harness/base/guesttext.c" "$src/harness/base/verdict.c" \
	-lcrypto -o "$OUT/fuzz-classify"
cp "$src"/tests/data/console/*.log "$OUT/corpus/" 2>/dev/null || true
for f in "$src"/tests/data/console/user/*.log; do cp "$f" "$OUT/corpus/user-${f##*/}"; done
# -max_len: large enough for whole reports; -rss_limit_mb: the classifier's memory is bounded
"$OUT/fuzz-classify" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=512 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
