#!/bin/bash
# vm suite, fault injection: a guest agent that sends garbage (its test mode, on the guest's
# kernel command line through FAULTLINE_AGENT_TEST): random bytes around every heartbeat,
# frames past the protocol's size limit, frames with bad flags, RESULT frames with a bad CRC, a
# large frame of an unknown type. The controller must drop them, count them, and still give
# every case the sensor's verdict from the whole frames.
. "$(dirname "$0")/fault-lib.sh"
FAULTLINE_AGENT_TEST=garbage start_run --isolation snapshot
finish_run 0
report
expect_verdicts
grep -q 'faultline-agent: TEST MODE garbage' "$run/consoles/$L/_template-boot.log" ||
	fail "the agent did not run in its garbage mode"
note=$(record valid | grep -o '"detail":"[0-9]* malformed frames[^"]*"') ||
	fail "the malformed frames are not recorded"
for kind in 'bad magic [1-9]' 'too large [1-9]' 'bad flags [1-9]' 'bad CRC [1-9]'; do
	echo "$note" | grep -q "$kind" || fail "no frame of kind '$kind' seen: $note"
done
echo "$name: $note"
