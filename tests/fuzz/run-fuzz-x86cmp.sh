#!/bin/bash
# run-fuzz-x86cmp.sh — build the coverage plugin's CMP decoder's libFuzzer target with clang
# (ASan + UBSan) and run it for a bounded time, seeded with the CMP forms of the kref module.
# Usage: tests/fuzz/run-fuzz-x86cmp.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-x86cmp}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-x86cmp.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/harness/fuzz/plugin" \
	"$here/fuzz-x86cmp.c" "$src/harness/fuzz/plugin/x86cmp.c" -o "$OUT/fuzz-x86cmp"
i=0
for hex in 664439f0 453a44240e 443b0a 38540d00 3b9c2460020000 483b05f0ffffff 433b04c8 \
	4183ffea 813e4b524546 4881fa00000100 66817f08cdab 3c01 40 38e0; do
	# shellcheck disable=SC2059,SC2001 # the format is the bytes
	printf "$(sed 's/../\\x&/g' <<<"$hex")" >"$OUT/corpus/seed-$i"
	i=$((i + 1))
done
"$OUT/fuzz-x86cmp" -max_total_time="$secs" -max_len=32 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
