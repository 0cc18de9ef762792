#!/bin/bash
# classify-bench.sh — how fast does `faultline classify` read a console log?
# Generates 10 MB logs (kernel-looking noise with the crash at the very end, so that every byte is
# read; and a hostile one made of near-miss header lines that exercise the pattern matcher's
# backtracking) and times the command on each, printing MB/s.
# With a reference build (another branch's, say main's), times both on the same logs in the same
# run and prints the ratio: the classifier must not get more than 20% slower.
# Usage: bench/classify-bench.sh [BUILD_DIR [REFERENCE_BUILD_DIR]]     (default: build)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
bin=$build/faultline
ref=${2:+$2/faultline}
[ -x "$bin" ] || { echo "classify-bench.sh: $bin not built" >&2; exit 2; }
[ -z "$ref" ] || [ -x "$ref" ] || { echo "classify-bench.sh: $ref not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
size=$((10 * 1024 * 1024))

awk -v size=$size 'BEGIN {
	srand(1); n = 0; i = 0
	while (n < size) {
		t = sprintf("[%5d.%06d] ", i / 1000, (i * 7919) % 1000000)
		r = i % 6
		if (r == 0) l = t "ksensor: event " i " matched rule " (i % 97) " (process /usr/bin/x" i ")"
		else if (r == 1) l = "agent: heartbeat " i " ok, queue=" (i % 13)
		else if (r == 2) l = t "audit: type=1400 audit(1700000000." i "): apparmor=\"DENIED\" operation=\"open\""
		else if (r == 3) l = t "INFO: ksensor content v" i " staged"
		else if (r == 4) l = "WARNING: user-space tool says the disk is " (i % 100) "% full"
		else l = t " ? some_function_name+0x" sprintf("%x", i) "/0x200"
		print l; n += length(l) + 1; i++
	}
	print "[99999.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008"
	print "[99999.000001] RIP: 0010:ks_eval_field+0x1a/0x60 [ksensor]"
}' >"$tmp/noise.log"

awk -v size=$size 'BEGIN {
	pad = sprintf("%900s", ""); gsub(/ /, "a", pad)
	n = 0; i = 0
	while (n < size) {
		r = i % 4
		if (r == 0) l = "BUG " pad " (" pad
		else if (r == 1) l = "WARNING: " pad " at " pad
		else if (r == 2) l = "Unable to handle kernel " pad
		else l = "INFO: task " pad " blocked for more than " pad
		print l; n += length(l) + 1; i++
	}
}' >"$tmp/hostile.log"

# best of three runs: the figure is the classifier's, not the machine's other load
best_time() { # binary, log -> seconds (best of three)
	local best= start end t
	for _ in 1 2 3; do
		start=$(date +%s.%N)
		"$1" classify "$2" >"$tmp/out.json"
		end=$(date +%s.%N)
		t=$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')
		best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$best"
}
for f in noise hostile; do
	bytes=$(stat -c %s "$tmp/$f.log")
	best=$(best_time "$bin" "$tmp/$f.log")
	verdict=$(sed -n 's/.*"verdict": *"\([a-z]*\)".*/\1/p' "$tmp/out.json")
	awk -v b="$bytes" -v t="$best" -v f="$f" -v v="$verdict" 'BEGIN {
		printf "%-8s %6.1f MB in %.3f s: %7.1f MB/s (verdict %s)\n", f, b / 1e6, t, b / 1e6 / t, v }'
	if [ -n "$ref" ]; then
		rbest=$(best_time "$ref" "$tmp/$f.log")
		awk -v t="$best" -v r="$rbest" -v f="$f" 'BEGIN {
			printf "%-8s reference %.3f s: this build takes %.2fx its time\n", f, r, t / r }'
	fi
done
