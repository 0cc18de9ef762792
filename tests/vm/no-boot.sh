#!/bin/bash
# vm suite: a guest that does not boot in time gives infra-error with the reason, after a retry, and the
# run still exits as its expectation says. Usage: no-boot.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
run=$(mktemp -d /tmp/faultline-vm-XXXXXX)
trap 'rm -rf "$run"' EXIT
rc=0
"$faultline" run --state-dir "$state" -o "$run" "$src/tests/data/vm/no-boot.yaml" || rc=$?
[ "$rc" = 0 ] || { echo "FAIL: exit $rc, expected 0 (no expectation)"; exit 1; }
"$check" "$run/results.jsonl" ksensor-hardened valid verdict infra-error
"$check" "$run/results.jsonl" ksensor-hardened valid attempt 2
"$check" "$run/results.jsonl" ksensor-hardened valid title null
grep -q '"detail":"guest' "$run/results.jsonl" || { echo "FAIL: no reason recorded"; exit 1; }
echo "no-boot: infra-error after 2 attempts: $(grep -o '"detail":"[^"]*"' "$run/results.jsonl")"
