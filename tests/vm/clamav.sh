#!/bin/bash
# vm suite: ClamAV as a third-party sensor (guests/sensors/clamav and clamav-lowmem, brought in
# through their sensor.yaml only): Debian's clamd takes the container and text databases, refuses
# malformed ones and keeps scanning; with ConcurrentDatabaseReload off the same refusal leaves
# clamd alive but unable to scan (protection-lost); a signature whose name is not UTF-8 loads and
# aborts clamd on its first match (sensor-died). Cases from tests/data/vm/clamav.yaml.
# Usage: clamav.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
[ -x /usr/sbin/clamd ] ||
	{ echo "SKIP: no /usr/sbin/clamd (Debian package clamav-daemon)"; exit 77; }
. "$src/tests/vm/sensor-lib.sh"

seed_current "$src/scenarios/content/clamav.cud" \
	"$src/guests/sensors/clamav/make-cud.sh" "$src/guests/sensors/clamav/db"
run_vm clamav 14

for s in clamav clamav-lowmem; do
	for c in valid valid-ldb; do
		"$check" "$res" $s $c verdict accepted
		"$check" "$res" $s $c protection kept
		"$check" "$res" $s $c sensor_restarts 0
	done
	# the container and the text database really loaded, and clamd scanned with them
	record $s valid | grep -q 'Database correctly reloaded (5 signatures)' ||
		fail "$s: the container did not load"
	record $s valid | grep -q 'sample: Faultline.Test.[A-Za-z]*-1.UNOFFICIAL FOUND' ||
		fail "$s: the trigger's scan found nothing"
	record $s valid-ldb | grep -q 'Faultline.Test.Logical-1.UNOFFICIAL FOUND' ||
		fail "$s: the logical signature did not match"
	for c in ldb-cut gzip-method archive-cut; do
		# clamd's own reason, through the kernel log
		record $s $c |
			grep -q 'clamav: rejected update: ERROR: reload_th: Database load failed: Malformed database' ||
			fail "$s $c: clamd's refusal is not recorded"
		"$check" "$res" $s $c sensor_restarts 0
	done
done
for c in ldb-cut gzip-method archive-cut; do
	"$check" "$res" clamav $c verdict rejected
	"$check" "$res" clamav $c protection kept
	# clamav-lowmem: refused, alive, and blind
	"$check" "$res" clamav-lowmem $c verdict protection-lost
	"$check" "$res" clamav-lowmem $c protection lost
	record clamav-lowmem $c | grep -q 'probe: no verdict from clamd' ||
		fail "clamav-lowmem $c: not the probe's reason"
	grep -q 'cl_engine_addref: engine == NULL' "$run/consoles/clamav-lowmem/$c.log" ||
		fail "clamav-lowmem $c: no 'engine == NULL' in the console"
done
# a signature name that is not UTF-8: taken, then the trigger's scan aborts clamd in libclamav's
# Rust code, and every restart dies on the next scan
for s in clamav clamav-lowmem; do
	"$check" "$res" $s utf8-name verdict sensor-died
	"$check" "$res" $s utf8-name title "panic: assertion failed in ffi_util.rs"
	"$check" "$res" $s utf8-name protection lost
	grep -q 'panicked at libclamav_rust/src/ffi_util.rs' "$run/consoles/$s/utf8-name.sensor.log" ||
		fail "$s utf8-name: no panic in clamd's output"
done
# an unsigned container's digest is not checked
"$check" "$res" clamav digest-off verdict accepted
echo "clamav: every verdict as expected"
