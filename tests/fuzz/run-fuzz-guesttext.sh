#!/bin/bash
# run-fuzz-guesttext.sh — build the guest-text cleaner's libFuzzer target with clang (ASan +
# UBSan) and run it for a bounded time, seeded with hostile texts: terminal escapes, C1 controls,
# bidi overrides, invalid and overlong UTF-8.
# Usage: tests/fuzz/run-fuzz-guesttext.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-guesttext}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-guesttext.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/harness/base" \
	"$here/fuzz-guesttext.c" "$src/harness/base/guesttext.c" "$src/harness/base/util.c" \
	-lcrypto -o "$OUT/fuzz-guesttext"
printf '\001title\033]0;pwn\007\033[2J\302\233FAKE\n\tok' >"$OUT/corpus/escapes"
printf '\000\342\200\256rtl\342\201\246\300\257\355\240\200\364\220\200\200end\r\n' >"$OUT/corpus/utf8"
"$OUT/fuzz-guesttext" -max_total_time="$secs" -max_len=131072 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
