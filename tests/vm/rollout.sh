#!/bin/bash
# vm suite: a staged rollout on real guests (scenarios/rollout.yaml, the shipped scenario, on a
# fleet of 24: 15 offices, 7 build servers, 2 kiosks on another vendor's sensor). The update
# crashes only the machines whose workload execs kstrigger on the legacy sensor: all at once it
# downs exactly the build servers; in rings the canary (seed 3: two build servers) fails its
# gate and the rollout halts there. Every machine has a record pointing to its console log, and
# the reports say the same. Afterwards: no QEMU left. Bad input first (a bad ring size, verdict,
# weight, profile system): located errors before any guest.
# Usage: rollout.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run"
mkdir -p "$(dirname "$run")"
fail() { echo "FAIL: $*"; exit 1; }
T="BUG: unable to handle page fault in ks_eval_field"

# bad input: located errors, exit 2, nothing booted (no run directory made)
bad=$(mktemp -d)
trap 'rm -rf "$bad"' EXIT
sed 's/size: 25%/size: 99%/' "$src/scenarios/rollout.yaml" >"$bad/rings.yaml"
sed 's/gate: {max_down: 0}/gate: {max_down: 0, down: [crash, melted]}/' \
	"$src/scenarios/rollout.yaml" >"$bad/verdict.yaml"
sed '/^    weight: 30$/d' "$src/scenarios/rollout.yaml" >"$bad/weight.yaml"
sed 's/^    weight: 30$/    weight: 30\n    system: debian-99/' "$src/scenarios/rollout.yaml" >"$bad/system.yaml"
cp -r "$src/scenarios/content" "$bad/"
for f in rings:"more than the fleet" verdict:"unknown verdict 'melted'" weight:"has no weight" \
	system:"unknown profile system 'debian-99'; expected debian-12"; do
	name=${f%%:*} want=${f#*:}
	rc=0
	out=$("$faultline" rollout --state-dir "$state" -o "$bad/run-$name" -q "$bad/$name.yaml" 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "$name: exit $rc, expected 2: $out"
	grep -q "$bad/$name.yaml:[0-9]*:[0-9]*: .*$want" <<<"$out" || fail "$name: no located '$want' in: $out"
	[ ! -e "$bad/run-$name" ] || fail "$name: a run directory was made"
done

start=$(date +%s)
rc=0
"$faultline" rollout --state-dir "$state" --fleet 24 -o "$run" -q "$src/scenarios/rollout.yaml" \
	>"$run.out" 2>&1 || rc=$?
cat "$run.out"
echo "rollout: exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || fail "expected exit 0"

rec=$run/rollout.jsonl
grep '"strategy":"all-at-once"' "$rec" >"$run/all.jsonl"
grep '"strategy":"rings"' "$rec" >"$run/rings.jsonl"
[ "$("$check" "$run/all.jsonl")" = 24 ] || fail "all at once: expected 24 records"
[ "$("$check" "$rec")" = 26 ] || fail "expected 26 records (24 all at once, 2 canaries)"

# all at once: exactly the build servers are down, each with the crash's title
"$check" "$run/all.jsonl" --list >"$run/all.list"
builds=$(awk '$2 ~ /^build-server-/' "$run/all.list" | wc -l)
[ "$builds" = 7 ] || fail "expected 7 build servers in the fleet, got $builds"
awk '$2 ~ /^build-server-/ && $3 != "crash" { exit 1 }' "$run/all.list" || fail "a build server is not down"
awk '$2 !~ /^build-server-/ && $3 == "crash" { exit 1 }' "$run/all.list" || fail "another profile is down"
awk '$2 ~ /^office-/ && $3 != "accepted" { exit 1 }' "$run/all.list" || fail "an office did not take the update"
awk '$2 ~ /^kiosk-/ && ($1 != "ksensor-hardened" || $3 != "rejected") { exit 1 }' "$run/all.list" ||
	fail "a kiosk (hardened sensor) did not reject the update"
"$check" "$run/all.jsonl" ksensor-legacy build-server-0001 title "$T"
grep -q '^all-at-once  total .* 24 *24 *7 ' "$run.out" || fail "table: all at once is not 7 of 24 down"

# rings: the canary's two build servers fail its gate; nothing else is updated
"$check" "$run/rings.jsonl" --list >"$run/rings.list"
[ "$(wc -l <"$run/rings.list")" = 2 ] || fail "rings: expected the 2 canaries only"
"$check" "$run/rings.jsonl" ksensor-legacy build-server-0001 verdict crash
"$check" "$run/rings.jsonl" ksensor-legacy build-server-0002 rollout.ring canary
grep -q '^rings  *canary .*FAILED (2 down, allows 0)' "$run.out" || fail "table: canary gate"
grep -q '^rings  *early .*not reached' "$run.out" || fail "table: early was reached"
grep -q '^rings  *total .*halted at canary' "$run.out" || fail "table: rings did not halt at canary"
grep -q 'all at once: 7 of 24 machines down; rings: 2 of 24 machines down, halted at canary' \
	"$run.out" || fail "the one-line answer"

# every record points to its console log (the strategy's, the profile's, the machine's own)
n=0
while IFS= read -r line; do
	id=$(grep -o '"case":"[^"]*"' <<<"$line" | sed 's/^"case":"//; s/"$//')
	log=$(grep -o '"console":"[^"]*"' <<<"$line" | sed 's/^"console":"//; s/"$//; s#\\/#/#g')
	case $log in
	all-at-once/consoles/${id%-*}/$id.log | rings/consoles/${id%-*}/$id.log) ;;
	*) fail "$id: console '$log' is not its own" ;;
	esac
	[ -s "$run/$log" ] || fail "$id: console $log missing or empty"
	grep -q "faultline: case $id: delivering" "$run/$log" || fail "$id: no case mark in $log"
	n=$((n + 1))
done <"$rec"
[ "$n" = 26 ] || fail "expected 26 consoles checked, got $n"
# the profiles' workloads ran: the offices' programs, with their jitter
grep -q 'workload: profile office machine [0-9]' "$rec" && grep -q 'workload: exec outlook at [0-9]*ms' "$rec" ||
	fail "no office workload in the records"

# the profiles' guest options: the kiosks' command line, the build servers' memory
grep -q 'Command line:.*faultline.profile=kiosk audit=0' \
	"$run/all-at-once/consoles/kiosk/_template-boot.log" || fail "kiosk: no profile command line"
grep -q 'Memory: [0-9]*K/32[0-9][0-9][0-9][0-9]K available' \
	"$run/all-at-once/consoles/build-server/_template-boot.log" || fail "build-server: not 320 MiB"

# the reports
[ -s "$run/report.html" ] && [ -s "$run/rollout.md" ] && [ -s "$run/rollout.json" ] || fail "reports missing"
grep -q '<svg class="blast"' "$run/report.html" || fail "no blast-radius chart"
grep -q 'all at once: 7 of 24 machines down' "$run/report.html" || fail "no answer in the HTML"
grep -q 'halted at canary' "$run/rollout.md" || fail "no answer in the Markdown"

compgen -G "$state/work-*" >/dev/null && fail "save images or partitions left in $state"
echo "rollout: OK"
