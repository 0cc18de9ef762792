#!/bin/bash
# vm suite, fault injection: the guest's QEMU killed (SIGKILL) while its case runs. Not the
# guest's doing: an infra-error naming how QEMU ended, run again on a fresh guest, whose verdict
# is recorded with the first attempt's fault.
. "$(dirname "$0")/fault-lib.sh"
start_run
wait_case zero-inst-len
kill -KILL "$(running_guest)"
finish_run 0
report
expect_verdicts
record_has zero-inst-len '"attempt":2'
record_has zero-inst-len '"host_fault":"attempt 1: host error: QEMU exited unexpectedly'
record_has zero-inst-len 'libvirt: domain stopped, failed'
for c in valid field-count-mismatch; do
	record_has $c '"attempt":1,'
	record_has $c '"host_fault":null'
done
echo "$name: QEMU killed during zero-inst-len: infra-error, retried, hang recorded"
