#!/bin/bash
# report-bench.sh — how long `faultline report` and `faultline compare` take on a large run.
# Generates two run directories of N records each (default 100,000: 3 sensors, 12 mutation
# classes, about 3% crashes over 40 signatures with 1 KiB console excerpts, 0.5% hangs, a
# truncated last line), then times every output format and the comparison.
#
# Usage: bench/report-bench.sh [BUILD_DIR] [N]     (BUILD_DIR defaults to ./build)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

build=${1:-build}
n=${2:-100000}
bench_faultline "$build"
bench_work report

gen() { # DIR RUN_ID SALT
	mkdir -p "$1"
	cat >"$1/run.json" <<JSON
{"run_id": "$2", "scenario": "bench", "scenario_path": "scenarios/bench.yaml",
 "started": "2026-11-25T09:15:00Z", "finished": "2026-11-27T01:02:03Z",
 "faultline_version": "0.1.0", "kernel": "6.1.0-bench-amd64", "uri": "qemu:///embed?root=/x",
 "accel": "tcg", "isolation": "boot", "seed": 1,
 "sensors": ["ksensor-legacy", "ksensor-hardened", "usensor"], "host": "bench", "argv": "bench"}
JSON
	awk -v n="$n" -v run="$2" -v salt="$3" 'BEGIN {
		split("ksensor-legacy ksensor-hardened usensor", sensors, " ")
		split("bit_flip byte_flip random_bytes truncate extend zero_range set_field " \
		      "count_plus_one count_minus_one length_past_end offset_out_of_range drop_instance",
		      ops, " ")
		excerpt = ""
		for (i = 0; i < 16; i++)
			excerpt = excerpt sprintf("[   %2d.%06d] RIP: 0010:ks_eval_field+0x%x/0x120 [ksensor]\\n", i, i * 7919, i)
		srand(salt)
		for (i = 0; i < n; i++) {
			s = sensors[i % 3 + 1]; op = ops[int(i / 3) % 12 + 1]; c = sprintf("case-%06d", int(i / 3))
			r = rand(); title = "null"; report = "null"; expect = "null"
			if (i < 3) { op = ""; verdict = "accepted"; expect = "\"accepted\"" }
			else if (r < 0.03 && s != "ksensor-hardened") {
				verdict = "crash"
				title = sprintf("\"BUG: unable to handle page fault in ks_fn_%d\"", int(rand() * 40))
				report = "\"" excerpt "\""
			} else if (r < 0.035) {
				verdict = "hang"; title = "\"watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [ksensor]\""
			} else if (r < 0.3) verdict = "accepted"
			else if (r < 0.301) verdict = "infra-error"
			else verdict = "rejected"
			muts = op == "" ? "[]" : sprintf("[{\"op\":\"%s\",\"offset\":%d}]", op, i % 977)
			printf "{\"run_id\":\"%s\",\"scenario\":\"bench\",\"sensor\":\"%s\",\"case\":\"%s\",", run, s, c
			printf "\"case_name\":\"%s\",\"seed\":1,\"seed_file\":\"scenarios/content/basic.kscu\",", c
			printf "\"mutations\":%s,\"input_sha256\":\"%064d\",\"input\":\"inputs/%s.bin\",", muts, i, c
			printf "\"input_size\":%d,\"verdict\":\"%s\",\"title\":%s,\"detail\":null,", 96 + i % 50, verdict, title
			printf "\"report\":%s,\"console\":\"consoles/%s/%s.log\",\"expect\":%s,", report, s, c, expect
			printf "\"matched\":null,\"attempt\":1,\"timings\":{\"boot_ms\":%d,\"deliver_ms\":40,", 5000 + int(rand() * 400)
			printf "\"verdict_ms\":%d,\"total_ms\":%d},\"agent\":{\"outcome\":null,\"errno\":0,", 800 + int(rand() * 300), 6000 + int(rand() * 3000)
			printf "\"message\":null},\"started\":\"2026-11-25T09:15:03Z\",\"kernel\":\"6.1.0-bench-amd64\",\"faultline_version\":\"0.1.0\"}\n"
		}
		printf "{\"run_id\":\"%s\",\"scenario\":\"bench\",\"sensor\":\"usensor\",\"ca", run
	}' >"$1/results.jsonl"
}

t0=$(date +%s.%N)
gen "$work/base" bench-base 1
gen "$work/new" bench-new 2
t1=$(date +%s.%N)
printf 'generated 2 x %d records (%s + %s) in %.1f s\n' "$n" \
	"$(du -h "$work/base/results.jsonl" | cut -f1)" "$(du -h "$work/new/results.jsonl" | cut -f1)" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"

measure() { # LABEL OUTPUT COMMAND...
	local label=$1 out=$2 st
	shift 2
	set +e
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr"
	st=$?
	set -e
	# the last line: time puts "Command exited with non-zero status N" before it (compare's 1)
	read -r secs kb < <(tail -n 1 "$work/time")
	[ -n "$out" ] || out="$work/stdout"
	printf '%-28s exit %d  %6.2f s  %5d MiB peak  output %s\n' "$label" "$st" "$secs" \
		"$((kb / 1024))" "$(du -h "$out" | cut -f1)"
}

measure "report html" "$work/report.html" "$faultline" report "$work/base" -o "$work/report.html"
measure "report junit" "$work/results.xml" "$faultline" report "$work/base" --format junit \
	-o "$work/results.xml"
measure "report markdown" "" "$faultline" report "$work/base" --format markdown
measure "report json" "" "$faultline" report "$work/base" --format json
measure "report html, 2 runs merged" "$work/both.html" "$faultline" report "$work/base" \
	"$work/new" -o "$work/both.html"
measure "compare" "" "$faultline" compare "$work/base" "$work/new"
grep -m1 'skipped' "$work/stderr" || true
if command -v xmllint >/dev/null; then
	xmllint --noout "$work/results.xml" && echo "results.xml: well-formed (xmllint)"
fi
