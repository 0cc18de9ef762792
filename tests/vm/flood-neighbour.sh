#!/bin/bash
# vm suite: a guest that floods the controller cannot slow, blind or hold up the others. Two
# guests at a time (tests/data/vm/flood.yaml): a ksensor-hardened guest whose agent, in its
# test modes, floods its console (flood) and, once its update arrives, sends minimal frames as
# fast as the channel takes them and never answers (frames), while ksensor-legacy guests run the
# quickstart's cases beside it. The legacy verdicts and titles are the quickstart's (no false
# hang), and the flooder's case ends by its timeouts.
# Usage: flood-neighbour.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
name=flood-neighbour
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
scenario=$src/tests/data/vm/flood.yaml
H=ksensor-hardened L=ksensor-legacy
hang_s=15 case_s=45 # the scenario's timeouts
run=$(mktemp -d /tmp/faultline-vm-XXXXXX)
trap 'rm -rf "$run"' EXIT

fail() {
	echo "FAIL: $name: $*"
	[ -f "$run/out" ] && cat "$run/out"
	[ -f "$run/results.jsonl" ] && cat "$run/results.jsonl"
	exit 1
}
record() { grep "\"sensor\":\"$1\",\"case\":\"$2\"" "$run/results.jsonl" || fail "no record of $1 $2"; }
number() { record "$1" "$2" | grep -o "\"$3\":[0-9]*" | head -1 | cut -d: -f2; }
started() { date -d "$(record "$1" "$2" | grep -o '"started":"[^"]*"' | cut -d'"' -f4)" +%s; }

# Jobs run sensor by sensor: the flooder's other cases are recorded as done (with their inputs'
# hashes, as --resume checks) so that its one case runs beside the legacy ones.
"$faultline" run --list "$scenario" |
	awk -v h=$H 'NF >= 3 && length($3) == 64 && $1 != "valid" {
		printf "{\"sensor\":\"%s\",\"case\":\"%s\",\"verdict\":\"rejected\",\"input_sha256\":\"%s\"}\n", h, $1, $3 }' \
		>"$run/results.jsonl"
[ "$(wc -l <"$run/results.jsonl")" = 6 ] || fail "expected 6 cases recorded ahead"

begin=$(date +%s)
FAULTLINE_AGENT_TEST=flood,frames FAULTLINE_AGENT_TEST_SENSOR=$H \
	"$faultline" run --state-dir "$state" --resume "$run" "$scenario" >"$run/out" 2>&1 &
pid=$!
rc=0
wait $pid || rc=$?
echo "$name: exit $rc in $(($(date +%s) - begin)) s"
[ "$rc" = 0 ] || fail "exit status $rc, expected 0 (every legacy expectation met)"
sleep 1
if pgrep -af "guest=fl-$pid-"; then fail "QEMU processes outlived the run"; fi
n=$("$check" "$run/results.jsonl") || fail "results.jsonl is not valid JSON lines"
[ "$n" = 14 ] || fail "$n records, expected 14"

# the flooder flooded, only the flooder did, and its case ended by a timeout
log=$run/consoles/$H/valid.log
grep -q 'faultline-agent test: flooding frames instead of delivering' "$log" ||
	fail "the flooder did not flood frames"
grep -q 'faultline-agent test: console flood' "$log" || fail "the flooder did not flood its console"
if grep -qs 'faultline-agent: TEST MODE' "$run/consoles/$L"/*.log; then
	fail "a legacy guest ran a test mode"
fi
"$check" "$run/results.jsonl" $H valid verdict hang || fail "the flooder's case is not a hang"
took=$(number $H valid verdict_ms)
((took >= hang_s * 1000 && took <= (case_s + 20) * 1000)) ||
	fail "the flooder's case took $took ms: not ended by its timeouts ($hang_s s, $case_s s)"

# the quickstart's verdicts and titles on the legacy guests
crash="BUG: unable to handle page fault in"
for c in valid bad-checksum; do
	"$check" "$run/results.jsonl" $L $c verdict accepted || fail "$c"
done
"$check" "$run/results.jsonl" $L field-count-mismatch title "$crash ks_eval_field" || fail "crash"
for c in truncated huge-instance-count oversized-field-len; do
	"$check" "$run/results.jsonl" $L $c title "$crash ks_parse_instance" || fail "$c"
done
for c in field-count-mismatch truncated huge-instance-count oversized-field-len; do
	"$check" "$run/results.jsonl" $L $c verdict crash || fail "$c"
done
"$check" "$run/results.jsonl" $L zero-inst-len verdict hang || fail "hang"
"$check" "$run/results.jsonl" $L zero-inst-len title "BUG: soft lockup in ks_write" ||
	fail "hang title"

# and they ran beside the flood: a case runs from its guest's boot (or restore) on, for
# total_ms - boot_ms; the legacy cases whose run overlaps the flooder's
window() { # SENSOR CASE: the case's run, "FROM TO" in seconds
	local s
	s=$(started "$1" "$2")
	echo $((s + $(number "$1" "$2" boot_ms) / 1000)) $((s + ($(number "$1" "$2" total_ms) + 999) / 1000))
}
read -r from to < <(window $H valid)
beside=0
for c in valid field-count-mismatch truncated huge-instance-count oversized-field-len \
	zero-inst-len bad-checksum; do
	read -r a b < <(window $L "$c")
	((a <= to && from <= b)) && beside=$((beside + 1))
done
((beside >= 3)) || fail "only $beside legacy cases ran beside the flood"
echo "$name: the flooder's case ended after $took ms ($(number $H valid frames_dropped) frames" \
	"dropped); $beside legacy cases ran beside it, verdicts and titles kept"
