#!/bin/bash
# vm suite: run scenarios/quickstart.yaml on real guests and check every verdict, title, input
# and console log on disk. Usage: quickstart.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
run=$(mktemp -d /tmp/faultline-vm-XXXXXX)
trap 'rm -rf "$run"' EXIT

start=$(date +%s)
rc=0
"$faultline" run --state-dir "$state" -o "$run" "$src/scenarios/quickstart.yaml" >"$run.out" 2>&1 || rc=$?
cat "$run.out"; rm -f "$run.out"
echo "quickstart: exit $rc in $(( $(date +%s) - start )) s"
[ "$rc" = 0 ] || { echo "FAIL: expected exit 0 (every expectation met)"; exit 1; }

[ "$("$check" "$run/results.jsonl")" = 14 ] || { echo "FAIL: expected 14 records"; exit 1; }
L=ksensor-legacy H=ksensor-hardened
"$check" "$run/results.jsonl" $L valid verdict accepted
"$check" "$run/results.jsonl" $H valid verdict accepted
"$check" "$run/results.jsonl" $L field-count-mismatch verdict crash
"$check" "$run/results.jsonl" $L field-count-mismatch title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$run/results.jsonl" $H field-count-mismatch verdict rejected
"$check" "$run/results.jsonl" $L truncated verdict crash
"$check" "$run/results.jsonl" $L zero-inst-len verdict hang
"$check" "$run/results.jsonl" $L bad-checksum verdict accepted
for c in truncated huge-instance-count oversized-field-len zero-inst-len bad-checksum; do
	"$check" "$run/results.jsonl" $H $c verdict rejected
	"$check" "$run/results.jsonl" $H $c matched true
done

# the exact input bytes are kept and match the recorded hash
sha=$(sha256sum "$run/inputs/field-count-mismatch.bin" | cut -d' ' -f1)
"$check" "$run/results.jsonl" $L field-count-mismatch input_sha256 "$sha"
# the console log of the crash holds the oops
grep -q 'RIP: 0010:ks_eval_field' "$run/consoles/$L/field-count-mismatch.log" ||
	{ echo "FAIL: console log lacks the oops"; exit 1; }
grep -q '"finished"' "$run/run.json" || { echo "FAIL: run.json not finished"; exit 1; }
echo "quickstart: all verdicts as expected"
