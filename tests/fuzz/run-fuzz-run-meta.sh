#!/bin/bash
# run-fuzz-run-meta.sh — build run.json's reader's libFuzzer target with clang (ASan + UBSan)
# and run it for a bounded time, seeded with the run.json of every fixture run and shard.
# Usage: tests/fuzz/run-fuzz-run-meta.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-run-meta}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-run-meta.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined \
	-I"$src/harness/base" -I"$src/harness/results" \
	"$here/fuzz-run-meta.c" "$src/harness/results/run-meta.c" "$src/harness/base/jsonx.c" \
	"$src/harness/base/util.c" -ljson-c -lcrypto -o "$OUT/fuzz-run-meta"
i=0
for f in "$src"/tests/data/runs/*/run.json "$src"/tests/data/shards/*/run.json; do
	cp "$f" "$OUT/corpus/seed-$i.json"
	i=$((i + 1))
done
"$OUT/fuzz-run-meta" -max_total_time="$secs" -max_len=8192 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
