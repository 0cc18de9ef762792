#!/bin/bash
# vm suite: `faultline minimize` on real guests. A quickstart-like crash made with four mutations
# (tests/data/vm/minimize.yaml) must come back 3/3 on fresh guests and shrink to the one field
# difference that matters, explained in the format's terms; the result shows in the report and
# its replay command reproduces it.
# Usage: minimize.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run"
mkdir -p "$(dirname "$run")"
L=ksensor-legacy
fail() { echo "FAIL: $*"; exit 1; }

"$faultline" run --state-dir "$state" -o "$run" "$src/tests/data/vm/minimize.yaml" ||
	fail "the run did not meet its expectations"
"$check" "$run/results.jsonl" $L field-drop-plus verdict crash
"$check" "$run/results.jsonl" $L field-drop-plus title "BUG: unable to handle page fault in ks_eval_field"

# a case that did not fail is refused before any guest boots
rc=0
"$faultline" minimize "$run/valid" --sensor $L --state-dir "$state" 2>"$run/refused.err" || rc=$?
[ "$rc" = 2 ] && grep -q "was accepted, not a failure" "$run/refused.err" ||
	fail "minimize of an accepted case: exit $rc, $(cat "$run/refused.err")"

start=$(date +%s)
rc=0
"$faultline" minimize "$run/field-drop-plus" --sensor $L --state-dir "$state" \
	>"$run/minimize.out" 2>"$run/minimize.err" || rc=$?
took=$(($(date +%s) - start))
cat "$run/minimize.err" "$run/minimize.out"
[ "$rc" = 0 ] || fail "minimize exit $rc"
echo "minimize: $took s, $(grep -o 'guest runs: [0-9]*' "$run/minimize.out")"

out=$run/minimized/$L/field-drop-plus
grep -qx "reproduced: 3/3 on fresh guests (crash - BUG: unable to handle page fault in ks_eval_field)" \
	"$run/minimize.out" || fail "not reproduced 3/3"
# the single field difference: exactly the quickstart's field-count-mismatch input
want='instances[0]: field_count 3 -> 2 (template 1 declares 3 input fields)'
[ "$(cat "$out/explanation.txt")" = "$want" ] || fail "explanation: $(cat "$out/explanation.txt")"
"$faultline" mutate --format kscu --op '{op: drop, at: "instances[0].fields[last]"}' \
	"$src/scenarios/content/basic.kscu" "$run/expected" >/dev/null
cmp "$out/minimal.bin" "$run/expected/000000.bin" || fail "minimal input is not the field drop alone"
(cd "$out" && sha256sum -c --quiet minimal.bin.sha256) || fail "minimal.bin.sha256"
grep -q '"reproduced":3' "$out/minimize.json" && grep -q '"tries":3' "$out/minimize.json" &&
	grep -q '"status":"minimized"' "$out/minimize.json" &&
	grep -q '"guest_runs":[1-9]' "$out/minimize.json" || fail "minimize.json: $(cat "$out/minimize.json")"
grep -q '"kept":true' "$out/steps.json" || fail "steps.json has no kept step"

# the report shows the explanation and the reproduction rate beside the signature
grep -q 'instances\[0\]: field_count 3 -&gt; 2 (template 1 declares 3 input fields)' "$run/report.html" ||
	fail "report.html lacks the explanation"
grep -q 'reproduced 3/3' "$run/report.html" || fail "report.html lacks the reproduction rate"

# the replay command of the minimal input reproduces it
cmd=$(sed -n 's/^replay: //p' "$run/minimize.out")
[ -n "$cmd" ] || fail "no replay command"
# shellcheck disable=SC2086
"$faultline" ${cmd#faultline } --state-dir "$state" >"$run/replay.out" 2>&1 || {
	cat "$run/replay.out"; fail "replay of the minimal input"; }
grep -qx reproduced "$run/replay.out" || fail "replay did not reproduce"
echo "minimize: all as expected"
