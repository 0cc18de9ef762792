#!/bin/bash
# vm suite: the quickstart's first cases (valid, field-count-mismatch) on full Debian 12 guests
# (guest: {system: debian-12}, guests/build-debian.sh) against the packaged ksensor builds
# (ksensor-legacy-deb, ksensor-hardened-deb: .debs whose module systemd loads at boot) in snapshot
# isolation: the same verdicts and titles as on the initramfs. Then bad input, each an error
# before any guest: an unknown system name (located), a package that does not install. Then the
# built image as a user's own (guest: {disk: PATH}): the agent installed by install-agent.sh, then
# made a BIOS disk with GRUB by make-bios-disk.sh, booted by its own loader (its firmware found
# from the disk), in warm isolation (a full system is restored per case); a disk that is not
# there, and firmware: uefi on that disk (no ESP: a located error).
# The Debian image is cached in the default state dir (its first build bootstraps Debian from
# this machine's archive: minutes); the run's libvirt root too.
# Usage: debian-quickstart.sh FAULTLINE JSONL_CHECK SOURCE_DIR RUN_DIR
set -euo pipefail
faultline=$1 check=$2 src=$3 run=$4
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
command -v mmdebstrap >/dev/null || { echo "SKIP: no mmdebstrap (run .ci/setup)"; exit 77; }
rm -rf "$run" "$run-disk"
mkdir -p "$run.in"
trap 'rm -rf "$run.in"' EXIT
sc=$run.in/debian-ci.yaml
cat >"$sc" <<EOF
name: debian-ci
seed: 1
format: kscu
fleet: {size: 0, memory: 256, accel: auto}
sensors: [ksensor-legacy-deb, ksensor-hardened-deb]
guest: {system: debian-12}
timeouts: {boot: 300s, observe: 2s, hang: 15s, case: 60s}
cases:
  - name: valid
    content: $src/scenarios/content/basic.kscu
    expect: accepted
  - name: field-count-mismatch
    content: $src/scenarios/content/basic.kscu
    mutations:
      - {op: drop, at: "instances[0].fields[last]"}
    expect: {ksensor-legacy-deb: crash, ksensor-hardened-deb: rejected}
EOF

start=$(date +%s)
rc=0
"$faultline" run --isolation snapshot -o "$run" "$sc" >"$run.in/out" 2>&1 || rc=$?
cat "$run.in/out"
echo "debian-quickstart: exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || { echo "FAIL: expected exit 0 (every expectation met)"; exit 1; }
res=$run/results.jsonl
[ "$("$check" "$res")" = 4 ] || { echo "FAIL: expected 4 records"; exit 1; }
L=ksensor-legacy-deb H=ksensor-hardened-deb
"$check" "$res" $L valid verdict accepted
"$check" "$res" $H valid verdict accepted
"$check" "$res" $L field-count-mismatch verdict crash
"$check" "$res" $L field-count-mismatch title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$res" $H field-count-mismatch verdict rejected
# the guest was the full system: systemd booted it and started the agent as a service
boot=$run/consoles/$L/_template-boot.log
grep -q 'systemd\[1\]: systemd 252' "$boot" || { echo "FAIL: no systemd in the boot log"; exit 1; }
# (systemd shortens unit names in its status lines: "faultline-agent.se…")
grep -q 'Started .*faultline-agent' "$boot" || { echo "FAIL: the agent was not a unit"; exit 1; }
# the module came from the package, loaded by systemd at boot
grep -q 'Finished .*ksensor-content' "$boot" || { echo "FAIL: the package's unit did not run"; exit 1; }
grep -q 'RIP: 0010:ks_eval_field' "$run/consoles/$L/field-count-mismatch.log" ||
	{ echo "FAIL: console log lacks the oops"; exit 1; }
# no overlay left behind in the run's work dirs
if find "$run" -name '*.qcow2' | grep -q .; then echo "FAIL: overlays left behind"; exit 1; fi

# an unknown system: a located scenario error, exit 2, before any guest
sed 's/system: debian-12/system: debian-99/' "$sc" >"$run.in/bad.yaml"
rc=0
"$faultline" run -o "$run.in/bad" "$run.in/bad.yaml" >"$run.in/bad.out" 2>&1 || rc=$?
cat "$run.in/bad.out"
[ "$rc" = 2 ] || { echo "FAIL: unknown system: expected exit 2, got $rc"; exit 1; }
grep -q "bad.yaml:6:.*unknown guest system 'debian-99'; expected debian-12" "$run.in/bad.out" ||
	{ echo "FAIL: unknown system: no located error"; exit 1; }
# a package whose maintainer script fails: a sensor error naming the package, before any guest
mkdir -p "$run.in/badpkg"
cat >"$run.in/badpkg/sensor.yaml" <<'EOF'
name: badpkg
format: kscu
build:
  command: >-
    mkdir -p "$FAULTLINE_BUILD/d/DEBIAN" &&
    printf 'Package: badpkg\nVersion: 1\nArchitecture: all\nMaintainer: t <t@localhost>\nDescription: t\n' >"$FAULTLINE_BUILD/d/DEBIAN/control" &&
    printf '#!/bin/sh\necho badpkg: postinst fails >&2\nexit 1\n' >"$FAULTLINE_BUILD/d/DEBIAN/postinst" &&
    chmod 755 "$FAULTLINE_BUILD/d/DEBIAN/postinst" &&
    dpkg-deb --root-owner-group --build "$FAULTLINE_BUILD/d" "$FAULTLINE_BUILD/badpkg.deb"
package: $FAULTLINE_BUILD/badpkg.deb
guest: {system: debian-12}
deliver: {method: device, path: /dev/ksensor}
EOF
sed 's|sensors: \[.*\]|sensors: [./badpkg]|; /expect: {/d' "$sc" >"$run.in/badpkg.yaml"
rc=0
"$faultline" run -o "$run.in/badpkg-run" "$run.in/badpkg.yaml" >"$run.in/badpkg.out" 2>&1 || rc=$?
cat "$run.in/badpkg.out"
[ "$rc" != 0 ] || { echo "FAIL: a package that does not install: expected an error"; exit 1; }
grep -q "sensor error: the package of badpkg .* does not install on debian-12" "$run.in/badpkg.out" ||
	{ echo "FAIL: the bad package is not named"; exit 1; }
if [ -e "$run.in/badpkg-run/results.jsonl" ] && grep -q verdict "$run.in/badpkg-run/results.jsonl"; then
	echo "FAIL: cases ran with a package that does not install"; exit 1
fi
# A user's own image (guest: {disk: PATH}): the Debian image built above, copied, the agent taken
# out, then put back by guests/install-agent.sh (no mount, no KVM); given by path only.
state=/var/lib/faultline
[ "$(id -u)" = 0 ] || state=$HOME/.cache/faultline
built=$state/images/$L/root.qcow2
[ -f "$built" ] || { echo "FAIL: no built image at $built"; exit 1; }
qemu-img convert -O raw "$built" "$run.in/stripped.raw"
printf 'rm %s\n' /usr/sbin/faultline-agent /etc/faultline/sensor.conf \
	/etc/systemd/system/faultline-agent.service \
	/etc/systemd/system/multi-user.target.wants/faultline-agent.service >"$run.in/strip.cmds"
debugfs -w -f "$run.in/strip.cmds" "$run.in/stripped.raw" >/dev/null 2>&1
if debugfs -R "stat /usr/sbin/faultline-agent" "$run.in/stripped.raw" 2>/dev/null | grep -q Inode:; then
	echo "FAIL: the agent was not taken out"; exit 1
fi
"$src/guests/install-agent.sh" --agent "$(dirname "$faultline")/guests/faultline-agent" \
	--conf "$state/build/$L/sensor.conf" "$run.in/stripped.raw" "$run.in/foreign.qcow2"
rm -f "$run.in/stripped.raw"
# ... and made a BIOS disk that boots by its own loader (an MBR, GRUB in the gap, the kernel in
# its /boot): given by path only, its firmware found from the disk; SeaBIOS then GRUB boot it
"$src/guests/make-bios-disk.sh" --kernel "$state/images/$L/vmlinuz" \
	--initrd "$state/images/$L/initrd.img" "$run.in/foreign.qcow2" "$run.in/foreign-bios.qcow2"
mv -f "$run.in/foreign-bios.qcow2" "$run.in/foreign.qcow2"
sed "s|guest: {system: debian-12}|guest: {disk: foreign.qcow2}|; s|sensors: \[.*\]|sensors: [$L]|; s|expect: {$L: crash.*|expect: crash|" \
	"$sc" >"$run.in/disk.yaml"
before=$(sha256sum <"$run.in/foreign.qcow2")
start=$(date +%s)
rc=0
# (in warm isolation, which restores a full system per case as snapshot does: its qcow2 root
# cannot be refilled under QEMU; each record says so)
"$faultline" run --isolation warm -o "$run-disk" "$run.in/disk.yaml" >"$run.in/disk.out" 2>&1 || rc=$?
cat "$run.in/disk.out"
echo "debian-quickstart (disk): exit $rc in $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || { echo "FAIL: disk: expected exit 0"; exit 1; }
"$check" "$run-disk/results.jsonl" $L valid verdict accepted
"$check" "$run-disk/results.jsonl" $L field-count-mismatch title "BUG: unable to handle page fault in ks_eval_field"
"$check" "$run-disk/results.jsonl" $L valid system disk-bios
[ "$(grep -c 'warm isolation: full systems are not reset in place' "$run-disk/results.jsonl")" = 2 ] ||
	{ echo "FAIL: disk: a warm record does not say its full system was restored per case"; exit 1; }
# GRUB, not faultline, gave the kernel its command line (GRUB adds BOOT_IMAGE=), with faultline's
# options (guests/guest-cmdline) to the last
grep -q 'Command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 rw console=ttyS0.* cryptomgr.notests' \
	"$run-disk/consoles/$L/_template-boot.log" ||
	{ echo "FAIL: the disk's own GRUB did not boot it with faultline's options"; exit 1; }
# the user's image is never written: every guest ran on an overlay of it
[ "$(sha256sum <"$run.in/foreign.qcow2")" = "$before" ] || { echo "FAIL: the user's image changed"; exit 1; }
# a disk that is not there: a scenario error naming it, before any guest
sed "s|foreign.qcow2|missing.qcow2|" "$run.in/disk.yaml" >"$run.in/nodisk.yaml"
rc=0
"$faultline" run -o "$run.in/nodisk" "$run.in/nodisk.yaml" >"$run.in/nodisk.out" 2>&1 || rc=$?
cat "$run.in/nodisk.out"
[ "$rc" != 0 ] && grep -q "scenario error: $run.in/nodisk.yaml:[0-9]*: guest disk .*missing.qcow2: No such file" "$run.in/nodisk.out" ||
	{ echo "FAIL: a missing disk is not named"; exit 1; }
# firmware: uefi on that BIOS disk (no ESP): the disk contradicts it, a scenario error at the
# firmware: key before any guest (the firmware is otherwise found from the disk, as above)
sed "s|guest: {disk: foreign.qcow2}|guest: {disk: foreign.qcow2, firmware: uefi}|" "$run.in/disk.yaml" >"$run.in/uefi.yaml"
rc=0
"$faultline" run -o "$run.in/uefi" "$run.in/uefi.yaml" >"$run.in/uefi.out" 2>&1 || rc=$?
cat "$run.in/uefi.out"
[ "$rc" != 0 ] && grep -q "scenario error: $run.in/uefi.yaml:[0-9]*: guest disk .*foreign.qcow2 has no EFI system partition" "$run.in/uefi.out" ||
	{ echo "FAIL: firmware: uefi on a disk without an ESP is not a located error"; exit 1; }
[ ! -e "$run.in/uefi/results.jsonl" ] || ! grep -q verdict "$run.in/uefi/results.jsonl" ||
	{ echo "FAIL: cases ran on a disk that contradicts its firmware"; exit 1; }
echo "debian-quickstart: all verdicts as expected"
