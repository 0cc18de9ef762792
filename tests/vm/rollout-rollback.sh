#!/bin/bash
# vm suite: a staged rollout with persistence and rollback on real guests. scenarios/rollout.yaml
# with persistence on (the sensor-side boot counter as the recovery), a canary of 2 whose gate
# counts recovered machines as down, and on_gate_failure: rollback; 6 machines, rings only.
# Seed 3 puts a build server and an office in the canary: the build server crashes, is followed
# across boots and recovers; the gate fails; the previous content (the seed) reaches both
# machines, which are up. Every console the records name exists, the boots' too.
# Usage: rollout-rollback.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run"
mkdir -p "$run"
fail() { echo "FAIL: $*"; exit 1; }
T="BUG: unable to handle page fault in ks_eval_field"

sc=$run/scenario
mkdir -p "$sc"
cp -r "$src/scenarios/content" "$sc/"
sed -e 's/^timeouts:/persistence: on\ntimeouts:/' \
	-e 's/      - {op: drop, at: "instances\[0\].fields\[last\]"}/&\n    recovery: {mechanism: counter, boots: 2}/' \
	-e 's/{name: canary, size: 5%, bake: 30s, gate: {max_down: 0}}/{name: canary, size: 2, bake: 30s, gate: {max_down: 0, down: [crash, hang, boot-loop, recovered]}}/' \
	-e 's/on_gate_failure: halt/on_gate_failure: rollback/' \
	"$src/scenarios/rollout.yaml" >"$sc/rollback.yaml"
grep -q 'recovery: {mechanism: counter' "$sc/rollback.yaml" && grep -q 'size: 2,' "$sc/rollback.yaml" &&
	grep -q 'on_gate_failure: rollback' "$sc/rollback.yaml" || fail "the scenario was not rewritten"

start=$(date +%s)
rc=0
"$faultline" rollout --state-dir "$state" --fleet 6 --rings-only -o "$run/out" -q "$sc/rollback.yaml" \
	>"$run/out.txt" 2>&1 || rc=$?
cat "$run/out.txt"
echo "rollout-rollback: exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || fail "expected exit 0"
rec=$run/out/rollout.jsonl
grep '"delivery":"update"' "$rec" >"$run/update.jsonl"
grep '"delivery":"rollback"' "$rec" >"$run/rollback.jsonl"

# the canary: the build server crashed, was followed across boots and came back
"$check" "$run/update.jsonl" ksensor-legacy build-server-0001 verdict recovered
"$check" "$run/update.jsonl" ksensor-legacy build-server-0001 title "$T"
"$check" "$run/update.jsonl" ksensor-legacy build-server-0001 reboot.mechanism counter
"$check" "$run/update.jsonl" ksensor-legacy office-0002 verdict accepted
[ "$("$check" "$run/update.jsonl")" = 2 ] || fail "expected the 2 canaries updated, nothing else"
grep -q '^rings  *canary .*FAILED (1 down, allows 0)' "$run/out.txt" || fail "table: canary gate"
grep -q '^rings  *total .*halted at canary' "$run/out.txt" || fail "table: not halted at canary"

# rollback: the previous content to both canaries (up), each accepted it
[ "$("$check" "$run/rollback.jsonl")" = 2 ] || fail "expected 2 rollbacks"
"$check" "$run/rollback.jsonl" ksensor-legacy build-server-0001 verdict accepted
"$check" "$run/rollback.jsonl" ksensor-legacy office-0002 verdict accepted
"$check" "$run/rollback.jsonl" ksensor-legacy office-0002 input inputs/channel-update.previous.bin
cmp -s "$run/out/inputs/channel-update.previous.bin" "$src/scenarios/content/basic.kscu" ||
	fail "the rollback's content is not the seed"
grep -q '^rings  *total .* 1 *2 *0  halted at canary' "$run/out.txt" || fail "table: recovered 1, rolled back 2"

# every console a record names exists: the machines', the boots', the rollbacks'
grep -o '"console":"[^"]*"' "$rec" | sed 's/^"console":"//; s/"$//; s#\\/#/#g' >"$run/consoles"
[ "$(wc -l <"$run/consoles")" = 7 ] || fail "expected 7 consoles (2 updates, 3 boots, 2 rollbacks)"
while read -r log; do
	[ -s "$run/out/$log" ] || fail "console $log missing or empty"
done <"$run/consoles"
grep -q '^rings/rollback/consoles/office/office-0002.log$' "$run/consoles" || fail "rollback console"
grep -q '^rings/consoles/build-server/build-server-0001.boot3.log$' "$run/consoles" || fail "boot console"
echo "rollout-rollback: OK"
