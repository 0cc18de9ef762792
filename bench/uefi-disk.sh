#!/bin/bash
# uefi-disk.sh — a foreign disk image that boots by itself under UEFI (guest: {disk: PATH,
# firmware: uefi}): the Debian 12 image faultline built for ksensor-legacy-deb (the agent in it),
# made into a GPT disk with an EFI system partition and systemd-boot by
# guests/make-uefi-disk.sh, then given by path only; OVMF boots it. The quickstart's first two
# cases in snapshot isolation must give the initramfs' verdicts and titles. Too slow for the vm
# suite under TCG (a full system's boot under OVMF), hence here.
#
# Usage: bench/uefi-disk.sh [BUILD_DIR] [STATE_DIR]
#   (defaults: ./build, /var/lib/faultline as root else ~/.cache/faultline; the Debian image is
#   built first if it is not there, which takes minutes)
set -euo pipefail
build=${1:-build}
state=${2:-}
[ -n "$state" ] || { state=/var/lib/faultline; [ "$(id -u)" = 0 ] || state=$HOME/.cache/faultline; }
src=$(cd "$(dirname "$0")/.." && pwd)
faultline=$(realpath "$build/faultline")
[ -r /usr/share/ovmf/OVMF.fd ] || { echo "no OVMF: install ovmf (.ci/setup does)"; exit 77; }
work=$(mktemp -d /tmp/faultline-uefi-bench.XXXXXX)
chmod 0755 "$work" # QEMU runs as libvirt-qemu: the disk must be readable to it
trap 'rm -rf "$work"' EXIT
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
L=ksensor-legacy-deb
img=$state/images/$L
sc=$work/uefi.yaml
cat >"$sc" <<EOF
name: uefi-disk
seed: 1
format: kscu
fleet: {size: 0, memory: 256, accel: auto}
sensors: [$L]
guest: {disk: uefi.qcow2, firmware: uefi}
timeouts: {boot: 400s, observe: 2s, hang: 15s, case: 90s}
cases:
  - name: valid
    content: $src/scenarios/content/basic.kscu
    expect: accepted
  - name: field-count-mismatch
    content: $src/scenarios/content/basic.kscu
    mutations:
      - {op: drop, at: "instances[0].fields[last]"}
    expect: crash
EOF
if [ ! -f "$img/root.qcow2" ]; then
	echo "== building the Debian image of $L (faultline validate does not build: one run)"
	sed "s|guest: {disk: uefi.qcow2, firmware: uefi}|guest: {system: debian-12}|" "$sc" >"$work/build.yaml"
	"$faultline" run --state-dir "$state" -q -o "$work/build" "$work/build.yaml" >/dev/null || true
fi
start=$(date +%s)
"$src/guests/make-uefi-disk.sh" --kernel "$img/vmlinuz" --initrd "$img/initrd.img" \
	"$img/root.qcow2" "$work/uefi.qcow2"
echo "GPT/ESP image made in $(($(date +%s) - start)) s"
start=$(date +%s)
rc=0
"$faultline" run --state-dir "$state" --isolation snapshot -o "$work/run" "$sc" >"$work/out" 2>&1 || rc=$?
cat "$work/out"
echo "uefi-disk: exit $rc in $(($(date +%s) - start)) s; load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -q "BdsDxe\|systemd-boot\|EFI stub" "$work/run/consoles/$L/_template-boot.log" &&
	echo "the template booted through the firmware (console: OVMF/systemd-boot/EFI stub)"
python3 - "$work/run/results.jsonl" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "verdict" in r:
        t = r.get("timings") or {}
        print(f"{r['case']}: {r['verdict']} ({r.get('title')}), system {r.get('system')}, "
              f"restore to verdict {t.get('total_ms')} ms")
        want = {"valid": "accepted", "field-count-mismatch": "crash"}[r["case"]]
        if r["verdict"] != want or r.get("system") != "disk-uefi":
            sys.exit(f"FAIL: {r['case']}: {r['verdict']} on {r.get('system')}, expected {want} on disk-uefi")
PYEOF
exit $rc
