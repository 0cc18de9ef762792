#!/bin/bash
# vm suite, fault injection: a guest that floods its console (the agent's test mode: from READY
# on, a process writes to /dev/console without pause). The console logs stay bounded (the bound
# lowered to 64 KiB for the test: past it a log is cut to its last quarter, with a line saying
# so), the crash and hang reports at the end of a log are kept, and every verdict is the
# sensor's.
. "$(dirname "$0")/fault-lib.sh"
max=65536
FAULTLINE_AGENT_TEST=flood FAULTLINE_CONSOLE_MAX=$max start_run --isolation snapshot
finish_run 0
report
expect_verdicts
logs=$run/consoles/$L
grep -q 'faultline-agent test: console flood' "$logs/valid.log" || fail "no flood in valid.log"
grep -q 'faultline: the guest flooded its console: [0-9]* bytes dropped here' "$logs/valid.log" ||
	fail "valid.log was not cut down"
for f in "$logs"/*.log; do
	size=$(stat -c %s "$f")
	((size <= max + 16384)) || fail "$f has $size bytes, past the bound of $max"
done
grep -q 'RIP: 0010:ks_eval_field' "$logs/field-count-mismatch.log" || fail "the oops was lost"
echo "$name: console logs at most $(stat -c %s "$logs"/*.log | sort -n | tail -1) bytes, verdicts kept"
