#!/bin/bash
# bios-disk.sh — a foreign disk image that boots by itself under a PC BIOS (guest: {disk:
# PATH}, its firmware found from the disk): the Debian 12 image faultline built for
# ksensor-legacy-deb (the agent in it), made into an MBR disk with GRUB by
# guests/make-bios-disk.sh, then given by path only; SeaBIOS boots GRUB, GRUB the kernel in the
# image's /boot. The quickstart's first two cases in snapshot isolation must give the
# initramfs' verdicts and titles. Then the bad inputs: firmware: uefi on it (a located scenario
# error, no guest), persistence: on (refused, no guest), the same disk with its GRUB core
# wiped (it does not boot) and with its agent taken out (it boots, no agent): each an
# infra-error naming the cause, never a sensor verdict. The last two wait for the boot
# timeout twice each (a retry): minutes under TCG, hence here and not in the vm suite.
#
# Usage: bench/bios-disk.sh [BUILD_DIR] [STATE_DIR] [--quick]
#   (defaults: ./build, /var/lib/faultline as root else ~/.cache/faultline; the Debian image is
#   built first if it is not there, which takes minutes; --quick: the good disk only)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
state=${2:-}
quick=${3:-}
bench_state
bench_faultline "$build"
[ -r /usr/lib/grub/i386-pc/boot.img ] || { echo "no GRUB i386-pc: install grub-pc-bin (.ci/setup does)"; exit 77; }
bench_work bios
bench_load start
# GRUB adds BOOT_IMAGE= to the command line it gives
bench_disk bios 300s MBR/GRUB "Command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1" \
	"the template booted through its own GRUB (console: BOOT_IMAGE=/boot/vmlinuz)"
[ "$rc" = 0 ] || exit "$rc"
[ "$quick" = --quick ] && exit 0

# bad inputs: a contradiction and persistence are refused before any guest
sed 's|guest: {disk: bios.qcow2}|guest: {disk: bios.qcow2, firmware: uefi}|' "$sc" >"$work/uefi.yaml"
rc=0
"$faultline" run --state-dir "$state" -o "$work/uefi" "$work/uefi.yaml" >"$work/uefi.out" 2>&1 || rc=$?
cat "$work/uefi.out"
grep -q "scenario error: $work/uefi.yaml:6: guest disk .*bios.qcow2 has no EFI system partition" "$work/uefi.out" &&
	[ "$rc" != 0 ] || { echo "FAIL: firmware: uefi on a BIOS disk is not a located error"; exit 1; }
sed 's|^seed: 1|seed: 1\npersistence: on|' "$sc" >"$work/persist.yaml"
rc=0
"$faultline" run --state-dir "$state" -o "$work/persist" "$work/persist.yaml" >"$work/persist.out" 2>&1 || rc=$?
cat "$work/persist.out"
grep -q "boots by its own loader (disk-bios)" "$work/persist.out" && [ "$rc" != 0 ] ||
	{ echo "FAIL: persistence on a BIOS disk is not refused"; exit 1; }

# a disk that does not boot (GRUB's core wiped) and one that boots without an agent
qemu-img convert -O raw "$work/bios.qcow2" "$work/raw"
dd if=/dev/zero of="$work/raw" bs=512 seek=1 count=2047 conv=notrunc status=none
qemu-img convert -O qcow2 "$work/raw" "$work/noboot.qcow2"
qemu-img convert -O raw "$work/bios.qcow2" "$work/raw"
dd if="$work/raw" of="$work/part" bs=1M skip=1 status=none # make-bios-disk.sh's partition
printf 'rm /usr/sbin/faultline-agent\n' >"$work/rm.cmds"
debugfs -w -f "$work/rm.cmds" "$work/part" >/dev/null 2>&1
dd if="$work/part" of="$work/raw" bs=1M seek=1 conv=notrunc status=none
qemu-img convert -O qcow2 "$work/raw" "$work/noagent.qcow2"
rm -f "$work/raw" "$work/part"
for d in noboot noagent; do
	sed "s|bios.qcow2|$d.qcow2|; s|boot: 300s|boot: 150s|" "$sc" | sed '/- name: field-count-mismatch/,$d' |
		sed '/expect:/d' >"$work/$d.yaml"
	start=$(date +%s)
	rc=0
	"$faultline" run --state-dir "$state" -o "$work/$d" "$work/$d.yaml" >"$work/$d.out" 2>&1 || rc=$?
	echo "$d: exit $rc in $(($(date +%s) - start)) s"
	python3 - "$work/$d/results.jsonl" "$d" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"verdict"' in l]
for r in recs:
    print(f"{sys.argv[2]}: {r['case']}: {r['verdict']}, detail {r.get('detail')!r}")
if not recs or any(r["verdict"] != "infra-error" or not r.get("detail") for r in recs):
    sys.exit(f"FAIL: {sys.argv[2]}: expected infra-error with a cause")
PYEOF
done
echo "bios-disk: all as expected"
