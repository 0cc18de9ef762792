#!/bin/bash
# vm suite: the kernel's own content validators as sensors. BPF bytecode
# (guests/sensors/bpf-bytecode): the baseline program is taken and runs (the filter passes and
# counts three datagrams), malformed programs are refused by the verifier with its reason, and a
# well-formed change is taken and runs harmlessly (tests/data/vm/kvalid.yaml). SELinux
# (guests/sensors/selinux): the policy compiled by checkpolicy is taken and enforced (a denied read
# stays denied), malformed databases are refused by the kernel's reader and the baseline policy
# still enforces (tests/data/vm/kvalid-selinux.yaml). On the default kernel; the scenarios on
# three kernels are scenarios/bpf-bytecode.yaml and scenarios/selinux.yaml.
# Usage: kvalid.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 base=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
command -v checkpolicy >/dev/null || { echo "SKIP: no checkpolicy (Debian package checkpolicy)"; exit 77; }
. "$src/tests/vm/sensor-lib.sh"

run=$base/bpf
seed_current "$src/scenarios/content/bpf-bytecode.bpf" "$src/guests/sensors/bpf-bytecode/make-seed.sh"
run_vm kvalid 5

s=bpf-bytecode
"$check" "$res" $s valid verdict accepted
"$check" "$res" $s valid protection kept
# the trigger ran the loaded filter: every datagram passed and was counted in its map
record $s valid | grep -q 'run: socket filter: 3 of 3 datagrams passed, map 0 counter 3' ||
	fail "valid: the loaded program did not run as the baseline does"
# refusals: the verifier's own reason and errno, and the loader's line in the kernel log
for c in bad-opcode no-null-check write-r10; do
	"$check" "$res" $s $c verdict rejected
	"$check" "$res" $s $c protection kept # the kernel still loads and runs the baseline
	grep -q 'bpf-bytecode: rejected: BPF_PROG_LOAD' "$run/consoles/$s/$c.log" ||
		fail "$c: no rejection line in the kernel log"
done
record $s bad-opcode | grep -q 'unknown opcode ff.*(errno 22)' || fail "bad-opcode: not the verifier's EINVAL"
record $s no-null-check | grep -q "invalid mem access 'map_value_or_null'.*(errno 13)" ||
	fail "no-null-check: not the verifier's EACCES on the unchecked pointer"
record $s write-r10 | grep -q '(errno 13)' || fail "write-r10: not EACCES"
# well-formed and taken: the filter now returns pkt_type (0) and drops every datagram
"$check" "$res" $s returns-pkt-type verdict accepted
record $s returns-pkt-type | grep -q 'run: socket filter: 0 of 3 datagrams passed' ||
	fail "returns-pkt-type: the program taken did not run"

run=$base/selinux
seed_current "$src/scenarios/content/selinux.pol" \
	"$src/guests/sensors/selinux/compile.sh" "$src/guests/sensors/selinux/faultline.te"
run_vm kvalid-selinux 6
s=selinux
"$check" "$res" $s valid verdict accepted
"$check" "$res" $s valid protection kept
# the trigger ran under the loaded policy: enforcing, the allowed read done, the denied one denied
record $s valid | grep -q 'enforce: 1 version: read cmdline: denied' ||
	fail "valid: the policy taken is not enforced as written"
for c in unknown-version classes-count-huge truncated; do
	"$check" "$res" $s $c verdict rejected
	"$check" "$res" $s $c protection kept # the baseline policy still enforces its denial
	grep -q 'SELinux: failed to load policy' "$run/consoles/$s/$c.log" ||
		fail "$c: no refusal in the kernel log"
	record $s $c | grep -q '(errno 22)\|Invalid argument' || fail "$c: not EINVAL"
done
"$check" "$res" $s duplicate-type verdict rejected
record $s duplicate-type | grep -q 'File exists' || fail "duplicate-type: not EEXIST"
# a class value without a class: 5.10.223 and 6.1.176 crash on it (README); the default
# kernel (6.1.192) refuses it when it builds selinuxfs, and the old policy still enforces
"$check" "$res" $s class-value-duplicate verdict rejected
"$check" "$res" $s class-value-duplicate protection kept
grep -q 'SELinux: failed to initialize selinuxfs' "$run/consoles/$s/class-value-duplicate.log" ||
	fail "class-value-duplicate: not refused while building selinuxfs"
echo "kvalid: every verdict as expected"
