#!/bin/bash
# vm suite: AppArmor as a third-party sensor (guests/sensors/apparmor, brought in through its
# sensor.yaml only): the compiled policy is taken, malformed policy is refused by the kernel's
# unpacker with the errno and the audit line it gives, and a well-formed update that switches
# the profile to complain mode, or renames it by one bit, is taken but leaves the program
# unprotected. Cases from tests/data/vm/apparmor.yaml.
# Usage: apparmor.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
command -v apparmor_parser >/dev/null || [ -x /sbin/apparmor_parser ] ||
	{ echo "SKIP: no apparmor_parser (Debian package apparmor)"; exit 77; }
. "$src/tests/vm/sensor-lib.sh"

seed_current "$src/scenarios/content/apparmor.aa" \
	"$src/guests/sensors/apparmor/compile.sh" "$src/guests/sensors/apparmor/confined.profile"
run_vm apparmor 6

"$check" "$res" apparmor valid verdict accepted
"$check" "$res" apparmor valid protection kept
# the trigger really ran the program under the profile (its output is in the agent's message)
record apparmor valid | grep -q 'label: faultline-confined (enforce)' ||
	fail "valid: the trigger's program was not confined"
record apparmor valid | grep -q 'secret: denied' || fail "valid: the deny rule did not hold"
# refusals: the errno of the write and the unpacker's own reason in the audit line
# (the record's detail carries both: the write's error, the audit line, the errno)
record apparmor unknown-version | grep -q 'Protocol not supported.*(errno 93)' ||
	fail "unknown-version: not EPROTONOSUPPORT"
for c in unknown-version dfa-table-huge truncated; do
	"$check" "$res" apparmor $c verdict rejected
	"$check" "$res" apparmor $c protection kept # the baseline profile still confines
	grep -q 'apparmor="STATUS" info="[^"]*" error=-' "$run/consoles/apparmor/$c.log" ||
		fail "$c: no audit line with the unpacker's reason"
done
record apparmor dfa-table-huge | grep -q 'Protocol error.*info=\\"bad xmatch\\".*(errno 71)' ||
	fail "dfa-table-huge: not EPROTO with the unpacker's reason"
record apparmor unknown-version | grep -qF 'info=\"unsupported interface version\"' ||
	fail "unknown-version: the record does not say why"
# taken, and the program now runs unconfined in effect
"$check" "$res" apparmor complain-mode verdict protection-lost
"$check" "$res" apparmor complain-mode protection lost
record apparmor complain-mode | grep -q 'not confined: faultline-confined (complain)' ||
	fail "complain-mode: the probe's reason is not recorded"
# one bit of the profile's name: taken, a second profile with the same attachment, and the
# program runs unconfined
"$check" "$res" apparmor renamed-profile verdict protection-lost
record apparmor renamed-profile | grep -q 'not confined: unconfined' ||
	fail "renamed-profile: the program is not reported unconfined"
grep -q 'operation="profile_load" profile="unconfined" name="faultline-#onfined"' \
	"$run/consoles/apparmor/renamed-profile.log" || fail "renamed-profile: no new profile loaded"
echo "apparmor: every verdict as expected"
