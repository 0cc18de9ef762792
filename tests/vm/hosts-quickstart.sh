#!/bin/bash
# vm suite: the quickstart across two hosts, the embedded driver and a real libvirtd reached
# over TCP (hosts-lib.sh): the same verdicts and titles as on one host, both hosts ran cases,
# the guest images went through the daemon's storage pool, and nothing is left on either host.
# Usage: hosts-quickstart.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
. "$(dirname "$0")/hosts-lib.sh"
hosts_two 16601 "$src"

run=$tmp/run
"$faultline" run --state-dir "$state" -o "$run" "$tmp/two.yaml" >"$tmp/out" 2>&1 &
pid=$!
hosts_wait_run hosts-quickstart $pid
L=ksensor-legacy H=ksensor-hardened
"$check" "$res" $L valid verdict accepted
"$check" "$res" $H valid verdict accepted
"$check" "$res" $L field-count-mismatch title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$res" $L truncated title "BUG: unable to handle page fault in ks_parse_instance"
"$check" "$res" $L zero-inst-len title "BUG: soft lockup in ks_write"
"$check" "$res" $L bad-checksum verdict accepted
for c in field-count-mismatch truncated huge-instance-count oversized-field-len zero-inst-len bad-checksum; do
	"$check" "$res" $H $c verdict rejected
done
hosts=$(sed 's|\\/|/|g' "$res" | grep -o '"host":"[^"]*"')
n_local=$(echo "$hosts" | grep -c '"host":"qemu:///embed' || true)
n_remote=$(echo "$hosts" | grep -c "\"host\":\"$HOST_URI\"" || true)
echo "hosts-quickstart: $n_local cases on the embedded driver, $n_remote on $HOST_URI"
[ "$n_local" -gt 0 ] && [ "$n_remote" -gt 0 ] || { echo "FAIL: both hosts must run cases"; exit 1; }
[ $((n_local + n_remote)) = 14 ] || { echo "FAIL: a record without its host"; exit 1; }
grep -q "uploaded .* MiB of guest images to $HOST_URI" "$tmp/out" ||
	{ echo "FAIL: the guest images were not uploaded"; exit 1; }

# the pool holds the images (by hash), no saved guest; no domain, no QEMU of the run
vols=$(virsh -q -c "$HOST_URI" vol-list faultline | awk '{print $1}')
echo "$vols" | grep -q -- '-vmlinuz$' || { echo "FAIL: no kernel in the pool"; exit 1; }
if echo "$vols" | grep -q '\.save$'; then echo "FAIL: saved guests left in the pool"; exit 1; fi
[ -z "$(virsh -q -c "$HOST_URI" list --all --name)" ] || { echo "FAIL: domains left"; exit 1; }
if pgrep -af "guest=fl-$pid-"; then echo "FAIL: QEMU left behind"; exit 1; fi
grep -q 'ks_eval_field' "$run/report.html" || { echo "FAIL: report lacks the crash title"; exit 1; }
echo "hosts-quickstart: verdicts as on one host, both hosts ran cases, nothing left"
