#!/bin/bash
# exit-status.sh — the exit-status table of faultline(1) (enum cli_exit), where no guest is
# needed: a host error after the input was read exits 1 (report, classify, compare, mutate), the
# user's input 2, --help 0. The interruption statuses (130/143) are test-session's and the vm
# suite's.
# Usage: exit-status.sh FAULTLINE SOURCE_DIR
set -uo pipefail
bin=$1
data=$2/tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect NAME STATUS COMMAND...: the command (stdout to /dev/null unless redirected in it)
# exits STATUS
expect() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >/dev/null 2>"$tmp/err"; rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $name: exit $rc, expected $want: $(head -c 300 "$tmp/err")"; fail=1
	else
		echo "ok: $name: $rc"
	fi
}
# full COMMAND...: run it with its standard output on a full device
full() { "$@" >/dev/full; }

run=$data/runs/quickstart-base
mkdir "$tmp/rollout"
cp "$data/rollout/summary.json" "$tmp/rollout/rollout.json"
printf 'seed' >"$tmp/in.bin"

expect "report: output folder missing (host)" 1 "$bin" report -o "$tmp/no/r.html" "$run"
expect "report: stdout full (host)" 1 full "$bin" report -f markdown "$run"
expect "report: rollout, output folder missing (host)" 1 \
	"$bin" report -o "$tmp/no/r.html" "$tmp/rollout"
expect "classify: stdout full (host)" 1 full "$bin" classify "$data/console/clean-boot-noise.log"
expect "compare: stdout full (host)" 1 full "$bin" compare "$run" "$data/runs/quickstart-new"
expect "mutate: output not writable (host)" 1 "$bin" mutate "$tmp/in.bin" /proc/no-such-dir

expect "no command" 2 "$bin"
expect "unknown command" 2 "$bin" no-such-command
expect "report: no run" 2 "$bin" report "$tmp/none"
expect "report: bad format" 2 "$bin" report -f pdf "$run"
expect "classify: unreadable log" 2 "$bin" classify "$tmp/none.log"
expect "classify: bad --signal" 2 "$bin" classify --user --signal 0 -
expect "compare: one run" 2 "$bin" compare "$run"
expect "mutate: no input" 2 "$bin" mutate "$tmp/none.bin" "$tmp/out"
expect "run: no scenario" 2 "$bin" run
expect "validate: bad file" 2 "$bin" validate "$tmp/none.yaml"

for c in run bench replay minimize report compare classify mutate validate rollout fuzz; do
	expect "$c --help" 0 "$bin" "$c" --help
done
expect "compare: no regression" 0 "$bin" compare "$run" "$run"
exit $fail
