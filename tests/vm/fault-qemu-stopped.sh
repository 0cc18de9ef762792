#!/bin/bash
# vm suite, fault injection: the guest's QEMU stopped (SIGSTOP) for longer than the hang timeout
# while its case runs, then continued, as an overloaded host does. The guest's clock jumps and
# its RCU stall detector fires first ("INFO: rcu detected stall in ks_write"): the harness must
# notice that the guest got no CPU, run the case again and record the real signature, with the
# stall.
. "$(dirname "$0")/fault-lib.sh"
start_run
wait_case zero-inst-len
q=$(running_guest)
kill -STOP "$q"
cleanup_extra="kill -CONT $q 2>/dev/null || true"
sleep 20 # the scenario's hang timeout is 15 s, the guest's RCU stall timeout 15 s
kill -CONT "$q"
finish_run 0
report
expect_verdicts
record_has zero-inst-len '"attempt":2'
record_has zero-inst-len '"host_fault":"attempt 1: host error: the host stalled for'
record_has zero-inst-len "the guest's verdict then: hang"
stall=$(record zero-inst-len | sed -n 's/.*"host_stall_ms":\([0-9]*\).*/\1/p')
((stall >= 15000)) || fail "host_stall_ms $stall, expected about 20000"
for c in valid field-count-mismatch; do record_has $c '"host_stall_ms":0'; done
echo "$name: QEMU stopped 20 s during zero-inst-len: stall of $stall ms noticed, case run again"
