#!/bin/bash
# minimize-cli.sh — `faultline minimize` refuses bad input before any guest: a run or case that
# does not exist, a sensor not in the run, a case whose verdict was not a failure, a run that
# kept no input, bad options. Each is a clear message and exit 2. (What it does with a real
# crash is the vm test tests/vm/minimize.sh.)
# Usage: minimize-cli.sh FAULTLINE SOURCE_DIR
set -uo pipefail
bin=$1
runs=$2/tests/data/runs
fail=0

# expect NAME PATTERN ARGS...: exit 2 and PATTERN in what it printed on stderr
expect() {
	local name=$1 pattern=$2 out rc
	shift 2
	out=$("$bin" minimize "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" != 2 ]; then
		echo "FAIL: $name: exit $rc, expected 2 ($out)"; fail=1
	elif ! grep -q -- "$pattern" <<<"$out"; then
		echo "FAIL: $name: expected '$pattern' in: $out"; fail=1
	else
		echo "ok: $name: $out"
	fi
}

base=$runs/quickstart-base
expect "no run directory" "usage: no run directory $runs/nope" "$runs/nope/field-count-mismatch"
expect "no such case" "has no record of no-such-case on ksensor-legacy" \
	"$base/no-such-case" --sensor ksensor-legacy
expect "sensor not in the run" "sensor usensor is not in the run .* (it ran: ksensor-legacy, ksensor-hardened)" \
	"$base/field-count-mismatch" --sensor usensor
expect "not a failure (accepted)" "seed on ksensor-legacy was accepted, not a failure" \
	"$base/seed" --sensor ksensor-legacy
expect "not a failure (rejected)" "field-count-mismatch on ksensor-hardened was rejected, not a failure" \
	"$base/field-count-mismatch" --sensor ksensor-hardened
expect "two sensors, none named" "ran on several sensors; say which with --sensor" \
	"$base/field-count-mismatch"
expect "no kept input" "the run kept no input $base/inputs/field-count-mismatch.bin" \
	"$base/field-count-mismatch" --sensor ksensor-legacy
expect "bad --tries" "usage: --tries takes a number from 1 to 100" --tries 0 "$base/x"
expect "bad --budget" "usage: --budget takes a duration" --budget soon "$base/x"
expect "no case" "usage: expected one RUN_DIR/CASE" --sensor ksensor-legacy

"$bin" minimize --help | grep -q "Usage: faultline minimize" || { echo "FAIL: --help"; fail=1; }
exit $fail
