#!/bin/bash
# vm suite: run scenarios/quickstart.yaml on real guests in one isolation mode and check every
# verdict, title, input and console log on disk, and the reports written from it.
# Usage: quickstart.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR MODE RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 mode=$5 run=$6
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
rm -rf "$run"
mkdir -p "$(dirname "$run")"

start=$(date +%s)
rc=0
# reuse probes one case in 3 on a guest: the verdicts must not change (the probe vouches later)
extra=()
[ "$mode" != reuse ] || extra=(--probe-every 3)
"$faultline" run --isolation "$mode" "${extra[@]}" --state-dir "$state" -o "$run" \
	"$src/scenarios/quickstart.yaml" >"$run.out" 2>&1 || rc=$?
cat "$run.out"
rm -f "$run.out"
echo "quickstart ($mode): exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || { echo "FAIL: expected exit 0 (every expectation met)"; exit 1; }

res=$run/results.jsonl
[ "$("$check" "$res")" = 14 ] || { echo "FAIL: expected 14 records"; exit 1; }
L=ksensor-legacy H=ksensor-hardened
"$check" "$res" $L valid verdict accepted
"$check" "$res" $H valid verdict accepted
"$check" "$res" $L field-count-mismatch verdict crash
"$check" "$res" $L field-count-mismatch title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$res" $H field-count-mismatch verdict rejected
"$check" "$res" $L truncated verdict crash
"$check" "$res" $L zero-inst-len verdict hang
# a spinning CPU is blamed on the outermost frame of the module (stable wherever it is sampled)
"$check" "$res" $L zero-inst-len title "BUG: soft lockup in ks_write"
# and soon: the guest's watchdog (watchdog_thresh=1, which the agent sets before READY; the boot's
# is 10) reports 2.1 to 3.2 s into the spin; with the panic and the console drained, about 3.5 s
# on a quiet machine, 5 s at load 12. The bound is loose for a loaded CI, and fails the 8.2 s or
# more the old threshold (4) takes at the least (and the boot's 10 more so).
ms=$(grep '"sensor":"'$L'","case":"zero-inst-len"' "$res" | sed -n 's/.*"verdict_ms":\([0-9]*\).*/\1/p')
echo "quickstart ($mode): the hang's verdict came ${ms:-?} ms after delivery"
((${ms:-99999} < 8000)) || { echo "FAIL: hang verdict after ${ms:-?} ms, expected < 8000"; exit 1; }
"$check" "$res" $L bad-checksum verdict accepted
for c in truncated huge-instance-count oversized-field-len zero-inst-len bad-checksum; do
	"$check" "$res" $H $c verdict rejected
	"$check" "$res" $H $c matched true
done
if [ "$mode" = reuse ]; then
	# every hardened case kept its protection, some of them vouched for by a later probe
	[ "$(grep -c '"sensor":"'$H'".*"protection":"kept"' "$res")" = 7 ] ||
		{ echo "FAIL: a hardened case without protection kept"; exit 1; }
	grep -q '"probed_after":"' "$res" || { echo "FAIL: no case was held for a later probe"; exit 1; }
	# a held case is one that was healthy, and a probe after it passed
	if grep '"probed_after":"' "$res" | grep -v '"verdict":"\(accepted\|rejected\)"' | grep -q . ||
		grep '"probed_after":"' "$res" | grep -vq '"protection":"kept"'; then
		echo "FAIL: a held record is not a healthy case with protection kept"; exit 1
	fi
fi
grep -q "\"isolation\":\"$mode\"" "$run/run.json" || { echo "FAIL: run.json isolation"; exit 1; }

# the exact input bytes are kept and match the recorded hash
sha=$(sha256sum "$run/inputs/field-count-mismatch.bin" | cut -d' ' -f1)
"$check" "$res" $L field-count-mismatch input_sha256 "$sha"
# the console log of the crash holds the oops, and only this case's
log=$run/consoles/$L/field-count-mismatch.log
grep -q 'RIP: 0010:ks_eval_field' "$log" || { echo "FAIL: console log lacks the oops"; exit 1; }
grep -q 'faultline: case field-count-mismatch' "$log" || { echo "FAIL: no case marker"; exit 1; }
if grep 'faultline: case ' "$log" | grep -vq field-count-mismatch; then
	echo "FAIL: another case's marker in the log"; exit 1
fi
grep -q '"finished"' "$run/run.json" || { echo "FAIL: run.json not finished"; exit 1; }

# reports of a real run: written by run, and by the report command; JUnit is well-formed
[ -s "$run/report.html" ] && [ -s "$run/results.xml" ] || { echo "FAIL: run wrote no reports"; exit 1; }
"$faultline" report "$run" --format junit -o "$run/junit.xml"
if command -v xmllint >/dev/null; then xmllint --noout "$run/junit.xml"; fi
grep -q 'ks_eval_field' "$run/report.html" || { echo "FAIL: report lacks the crash title"; exit 1; }

# a recorded crash replays from the kept bytes to the same verdict and title (once: snapshot)
if [ "$mode" = snapshot ]; then
	"$faultline" replay "$run/field-count-mismatch" --sensor $L --state-dir "$state" |
		tee "$run/replay.out"
	grep -qx reproduced "$run/replay.out" || { echo "FAIL: replay did not reproduce"; exit 1; }
fi
echo "quickstart ($mode): all verdicts as expected"
