#!/bin/bash
# run-fuzz-scenario.sh — build the scenario-loader, format-reader and sensor.yaml-reader libFuzzer
# targets with clang (ASan + UBSan) and run each for a bounded time, seeded from scenarios/,
# guests/formats/ and guests/sensors/.
# Usage: tests/fuzz/run-fuzz-scenario.sh [SECONDS] [scenario|format|sensor|both]
#        (default 60, both: every target)
#        OUT=dir for the build and corpora (default /tmp/faultline-fuzz-scenario)
# Exit: 0 no finding, 1 a crash/leak/timeout was found (reproducer in $OUT), 77 no clang.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
which=${2:-both}
OUT=${OUT:-/tmp/faultline-fuzz-scenario}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-scenario.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT"
# the format target links base/ and content/ only; the scenario and sensor targets add scenario/
base=("$src"/harness/base/{util,diag,ynode,verdict}.c "$src"/harness/content/*.c)
flags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -I"$src/harness/base" -I"$src/harness/content"
	-I"$src/harness/scenario" -I/usr/include/json-c
	"-DFAULTLINE_SOURCE_DIR=\"$src\"")
libs=(-lyaml -ljson-c -lz -lcrypto)
status=0
run() { # name, seed files...
	local name=$1; shift
	local libsrc=("${base[@]}")
	[ "$name" = format ] || libsrc+=("$src"/harness/scenario/*.c)
	"$CC" "${flags[@]}" "$here/fuzz-$name.c" "${libsrc[@]}" "${libs[@]}" -o "$OUT/fuzz-$name"
	mkdir -p "$OUT/corpus-$name" "$OUT/artifacts-$name"
	cp "$@" "$OUT/corpus-$name/" 2>/dev/null || true
	# -timeout: any single input taking 10 s is a hang finding; memory is bounded by the engine
	"$OUT/fuzz-$name" -max_total_time="$secs" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$OUT/artifacts-$name/" -print_final_stats=1 \
		"$OUT/corpus-$name" 2>&1 | tail -15 || status=1
}
if [ "$which" = scenario ] || [ "$which" = both ]; then
	run scenario "$src"/scenarios/*.yaml
fi
if [ "$which" = format ] || [ "$which" = both ]; then
	# format inputs need a leading selector byte: even = YAML description
	mkdir -p "$OUT/seed-format"
	for f in "$src"/guests/formats/*.yaml; do
		{ printf '\x00'; cat "$f"; } > "$OUT/seed-format/$(basename "$f")"
	done
	for f in "$src"/scenarios/content/*; do
		{ printf '\x01'; cat "$f"; } > "$OUT/seed-format/$(basename "$f").bin"
	done
	run format "$OUT"/seed-format/*
fi
if [ "$which" = sensor ] || [ "$which" = both ]; then
	# the input is read as fuzz/sensor.yaml: a valid seed names the sensor fuzz
	mkdir -p "$OUT/seed-sensor"
	for f in "$src"/guests/sensors/*/sensor.yaml; do
		sed 's/^name: .*/name: fuzz/' "$f" > "$OUT/seed-sensor/$(basename "$(dirname "$f")").yaml"
	done
	run sensor "$OUT"/seed-sensor/*
fi
exit $status
