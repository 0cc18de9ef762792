#!/bin/bash
# vm suite: the sensor contract (guests/sensors/CONTRACT.md) from outside the checkout. A vendor's
# sensor folder in a temporary directory (ksensor-legacy's sensor.yaml, its paths pointing at the
# shipped build) runs beside the shipped ksensor-hardened in one scenario that names it by a
# relative path. Its guest: section asks for a debug preset and a kernel module with a
# dependency, the scenario's for one more command line option: all three must reach the guest
# (the kernel's "Command line:" on the console, the modules in /proc/modules, checked by a start
# command). It declares only EINVAL a clean rejection and keeps no reject log: its EBADMSG is
# then its own error (sensor-error, errno in the record), while the shipped sensor still rejects
# it. Every record carries the phase of its verdict. An update that blinds the shipped sensor is
# protection-lost by its counter probe.
# Usage: sensor-contract.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$run"
mkdir -p "$(dirname "$run")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ks=$src/guests/sensors

mkdir -p "$tmp/vendor/vendor-ksensor" "$tmp/scenarios"
cat >"$tmp/vendor/vendor-ksensor/sensor.yaml" <<YAML
name: vendor-ksensor
description: ksensor-legacy as a vendor would bring it, from its own folder
format: kscu
build:
  command: make -C "$ks/ksensor" VARIANT=legacy OUT="\$FAULTLINE_BUILD" KDIR="\$FAULTLINE_KBUILD"
files:
  - {src: \$FAULTLINE_BUILD/ksensor.ko, dst: /lib/sensor/ksensor.ko}
  - {src: $ks/ksensor/kstrigger, dst: /lib/sensor/kstrigger}
start:
  - grep -q '^6lowpan ' /proc/modules && grep -q '^nhc_dest ' /proc/modules
  - insmod /lib/sensor/ksensor.ko
deliver: {method: device, path: /dev/ksensor}
trigger: /lib/sensor/kstrigger
reject: {errno: [EINVAL]}
guest:
  debug: [slub]
  modules: [nhc_dest]
YAML
cat >"$tmp/scenarios/contract.yaml" <<YAML
name: contract
sensors: [../vendor/vendor-ksensor, ksensor-hardened]
guest: {cmdline: printk.devkmsg=on}
timeouts: {boot: 120s, observe: 2s, hang: 15s, case: 60s}
cases:
  - name: valid
    content: $src/scenarios/content/basic.kscu
    expect: accepted
  - name: field-count-mismatch
    content: $src/scenarios/content/basic.kscu
    mutations:
      - {op: drop, at: "instances[0].fields[last]"}
    expect: {vendor-ksensor: crash, ksensor-hardened: rejected}
  - name: bad-magic
    content: $src/scenarios/content/basic.kscu
    mutations:
      - {op: set, at: magic, value: 0}
    expect: {vendor-ksensor: sensor-error, ksensor-hardened: rejected}
  # a good update whose one rule no longer names the trigger: the sensor takes it and goes blind
  - name: blinding
    content: $src/scenarios/content/basic.kscu
    mutations:
      - {op: set, at: "instances[0].fields[0].data", value: "xstrigger"}
    expect: {vendor-ksensor: accepted, ksensor-hardened: protection-lost}
YAML

# the search path finds it by name too, and validate says where it looked when it does not
"$faultline" validate -q --sensors-dir "$tmp/vendor" "$tmp/vendor/vendor-ksensor/sensor.yaml"
sed 's|\.\./vendor/vendor-ksensor|vendor-ksensor|' "$tmp/scenarios/contract.yaml" >"$tmp/byname.yaml"
FAULTLINE_SENSORS_DIR=/nonexistent:$tmp/vendor "$faultline" validate -q "$tmp/byname.yaml" ||
	fail "FAULTLINE_SENSORS_DIR does not find the vendor's sensor"
out=$("$faultline" validate "$tmp/byname.yaml" 2>&1) && fail "validate found an unlisted sensor"
grep -qF "unknown sensor 'vendor-ksensor'; looked for $ks/vendor-ksensor/sensor.yaml" <<<"$out" ||
	fail "no located error listing where it looked: $out"

start=$(date +%s)
rc=0
"$faultline" run --state-dir "$state" -o "$run" -j 1 -q "$tmp/scenarios/contract.yaml" || rc=$?
"$check" "$run/results.jsonl" --list
echo "sensor-contract: exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || fail "expected exit 0 (every stated expectation met)"
res=$run/results.jsonl V=vendor-ksensor H=ksensor-hardened F=field-count-mismatch
[ "$("$check" "$res")" = 8 ] || fail "expected 8 records"

# the guest options reached both guests' kernels (the scenario's), the vendor's its own
for s in $V $H; do
	boot=$run/consoles/$s/_template-boot.log
	grep -q 'Command line: .* printk.devkmsg=on' "$boot" || fail "$s: no scenario cmdline option"
	grep -q 'faultline-init: insmod .* failed' "$boot" && fail "$s: a module did not load"
done
grep -q 'Command line: .* slub_debug=FZPU printk.devkmsg=on' "$run/consoles/$V/_template-boot.log" ||
	fail "$V: its debug preset is not on the command line, before the scenario's"
grep -q 'slub_debug' "$run/consoles/$H/_template-boot.log" && fail "$H: got $V's options"

# verdicts and phases: a crash while the trigger ran, rejections while delivering
"$check" "$res" $V valid phase evaluate
"$check" "$res" $H valid phase evaluate
"$check" "$res" $V $F verdict crash
"$check" "$res" $V $F title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$res" $V $F phase evaluate
"$check" "$res" $H $F verdict rejected
"$check" "$res" $H $F phase load
# EBADMSG: not declared by the vendor (its own error), a clean rejection for the shipped sensor
"$check" "$res" $V bad-magic verdict sensor-error
"$check" "$res" $V bad-magic phase load
"$check" "$res" $V bad-magic detail "sensor error: write(/dev/ksensor, 101 bytes): Bad message \
(EBADMSG), not an errno the sensor declares a rejection (errno 74)"
"$check" "$res" $H bad-magic verdict rejected
"$check" "$res" $H bad-magic phase load
# the shipped sensor's probe is the agent's counter probe (probe: counter:), no shell: it saw the
# update blind it (its count stood still over one trigger), and the valid one keep it protecting
"$check" "$res" $H blinding verdict protection-lost
grep -F '"sensor":"'$H'","case":"blinding"' "$res" |
	grep -q 'probe: blind (.*ksensor.*parameters.*matches [0-9]* -> [0-9]*)' ||
	fail "$H blinding: no counter probe's 'blind' in its record"
"$check" "$res" $H valid protection kept
"$check" "$res" $V blinding verdict accepted
grep -q '<span class="muted">at evaluate</span>' "$run/report.html" ||
	fail "the report does not show the crash's phase beside its title"
echo "sensor-contract: ok"
