#!/bin/bash
# run-fuzz-format.sh — build the format reader's libFuzzer target with clang (ASan + UBSan) and
# run it for a bounded time, seeded with tests/fuzz/corpus-format (descriptions using every
# construct of the language, and content for kscu and the TLV fixture).
# Usage: tests/fuzz/run-fuzz-format.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-format}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-format.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
# shellcheck disable=SC2046
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -DFAULTLINE_SOURCE_DIR="\"$src\"" \
	-I"$src/harness/base" -I"$src/harness/content" $(pkg-config --cflags json-c yaml-0.1) \
	"$here/fuzz-format.c" "$src"/harness/content/*.c "$src/harness/base/util.c" \
	"$src/harness/base/diag.c" "$src/harness/base/ynode.c" \
	$(pkg-config --libs json-c yaml-0.1) -lz -lcrypto -o "$OUT/fuzz-format"
cp "$here"/corpus-format/* "$OUT/corpus/"
"$OUT/fuzz-format" -max_total_time="$secs" -max_len=8192 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
