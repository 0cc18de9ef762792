#!/bin/bash
# vm suite: a host lost mid-run. The quickstart on the embedded driver and a loopback libvirtd
# (hosts-lib.sh); the daemon is killed (SIGKILL) while a guest of the run is on it, and started
# again a few seconds later. The cases it had in flight run again elsewhere: the run completes
# with every case recorded once and as expected, the loss in their host_fault, the host
# rejoins, and no QEMU of the run is left on either host.
# Usage: hosts-lost.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4
. "$(dirname "$0")/hosts-lib.sh"
hosts_two 16602 "$src"

run=$tmp/run
"$faultline" run --state-dir "$state" -o "$run" "$tmp/two.yaml" >"$tmp/out" 2>&1 &
pid=$!
# a guest of the run on the daemon (its kernel is in the daemon's pool), once the daemon has
# recorded a case: its guest is then past its boot and in its case loop, with cases left to take
# (a guest still booting has no case in flight, and the loss would rightly note none)
remote() { pgrep -f "guest=fl-$pid-.*/var/lib/libvirt/faultline/" || true; }
remote_recorded() { sed 's|\\/|/|g' "$run/results.jsonl" 2>/dev/null | grep -q "\"host\":\"$HOST_URI\""; }
for _ in $(seq 1 600); do
	if remote_recorded && [ -n "$(remote)" ]; then break; fi
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
done
[ -n "$(remote)" ] || { cat "$tmp/out"; echo "FAIL: no guest ever ran on $HOST_URI"; exit 1; }
echo "hosts-lost: killing libvirtd ($HOST_PID) with guest(s) $(remote | tr '\n' ' ')"
host_kill
sleep 3
host_launch
hosts_wait_run hosts-lost $pid
[ "$(sed 's|\\/|/|g' "$res" | grep -o '"case":"[^"]*","case_name[^,]*' | wc -l)" = 14 ] ||
	{ echo "FAIL: a case recorded twice"; exit 1; }
"$check" "$res" ksensor-legacy field-count-mismatch verdict crash
"$check" "$res" ksensor-hardened field-count-mismatch verdict rejected
grep -q "host $HOST_URI lost" "$tmp/out" || { echo "FAIL: the loss was not reported"; exit 1; }
unesc=$(sed 's|\\/|/|g' "$res")
# the loss's note: "on URI: what failed", after any notes of the guest prepared there
echo "$unesc" | grep -q "\"host_fault\":\"\([^\"]\|\\\\\"\)*on $HOST_URI: " ||
	{ echo "FAIL: no record says its first run was on the lost host"; exit 1; }
if echo "$unesc" | grep -q '"verdict":"infra-error"'; then
	echo "FAIL: an infra-error was recorded"; exit 1
fi
grep -q "host $HOST_URI is back" "$tmp/out" && echo "hosts-lost: the host rejoined"
# the guests the killed daemon left running were destroyed when it came back
for _ in $(seq 1 20); do
	[ -z "$(pgrep -f "guest=fl-$pid-")" ] && break
	sleep 0.5
done
if pgrep -af "guest=fl-$pid-"; then echo "FAIL: QEMU left behind"; exit 1; fi
[ -z "$(virsh -q -c "$HOST_URI" list --all --name)" ] || { echo "FAIL: domains left"; exit 1; }
echo "hosts-lost: the run completed on the other host, every case once, nothing left"
