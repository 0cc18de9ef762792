#!/bin/sh
# make-bios-disk.sh — turn a whole-disk ext4 system image (what guests/build-debian.sh makes,
# the agent installed) into an MBR disk that boots by itself under a PC BIOS (SeaBIOS) through
# GRUB, for `guest: {disk: PATH}` (firmware: bios, found from the disk): no mount, no KVM, no
# root.
#
#   guests/make-bios-disk.sh --kernel VMLINUZ --initrd INITRD [--cmdline TEXT] ROOT_IMAGE OUT
#
# OUT (qcow2): an MBR (DOS) partition table with one bootable Linux partition, the ext4 of
# ROOT_IMAGE (qcow2 or raw), the kernel and initrd written into its /boot by debugfs. GRUB's
# boot.img is the MBR's boot code; its core.img (grub-mkimage -O i386-pc) fills the gap before
# the partition and carries its own configuration: root (hd0,msdos1), then linux, initrd, boot,
# with no menu. A faultline switch-root initrd (images/SENSOR/initrd.img) is rewritten to mount
# /dev/vda1 instead of /dev/vda. The command line always carries what faultline gives its own
# guests (console=ttyS0, panic=-1, oops=panic, the lockup panics): a disk that boots by its own
# loader gets no command line from faultline.
# Needs: qemu-img, sfdisk (fdisk), debugfs and resize2fs (e2fsprogs), cpio, gzip and GRUB's
# i386-pc images and grub-mkimage (grub-pc-bin, grub-common).
set -eu

prog=make-bios-disk.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}
faultline_cmdline="console=ttyS0,115200 panic=-1 oops=panic softlockup_panic=1 watchdog_thresh=10 \
faultline.watchdog_thresh=1 \
hung_task_panic=1 sysctl.kernel.hung_task_timeout_secs=10 rcupdate.rcu_cpu_stall_timeout=15 \
mitigations=off no_timer_check"
grub=/usr/lib/grub/i386-pc
kernel='' initrd='' cmdline=''
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || die "--kernel needs a path"; kernel=$2; shift 2 ;;
	--initrd) [ $# -ge 2 ] || die "--initrd needs a path"; initrd=$2; shift 2 ;;
	--cmdline) [ $# -ge 2 ] || die "--cmdline needs a text"; cmdline=$2; shift 2 ;;
	-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || die "expected ROOT_IMAGE OUT (see --help)"
root=$1 out=$2
[ -f "$kernel" ] || die "kernel '$kernel' not found (--kernel)"
[ -f "$initrd" ] || die "initrd '$initrd' not found (--initrd)"
[ -f "$root" ] || die "root image $root not found"
[ -f "$grub/boot.img" ] || die "$grub/boot.img not found (install grub-pc-bin)"
for t in qemu-img sfdisk debugfs resize2fs e2fsck grub-mkimage cpio gzip; do
	command -v $t >/dev/null ||
		die "$t not found (qemu-utils, fdisk, e2fsprogs, grub-common, cpio)"
done

tmp=$(mktemp -d) || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT INT TERM
qemu-img convert -O raw "$root" "$tmp/root.raw" || die "qemu-img cannot read $root"

# the initrd: a faultline switch-root one mounts the disk it names; here the root is partition 1
mkdir "$tmp/initrd"
(cd "$tmp/initrd" && gzip -dc <"$initrd" | cpio -id --quiet) || die "$initrd is not a gzip'd cpio"
if grep -q "^SWITCH_ROOT='/dev/vda'$" "$tmp/initrd/init" 2>/dev/null; then
	sed -i "s|^SWITCH_ROOT='/dev/vda'$|SWITCH_ROOT='/dev/vda1'|" "$tmp/initrd/init"
fi
(cd "$tmp/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.img"

# the kernel and the initrd into the file system's /boot, with room made for them
need=$(($(stat -c %s "$kernel") + $(stat -c %s "$tmp/initrd.img") + 8 * 1048576))
truncate -s +$need "$tmp/root.raw"
e2fsck -fp "$tmp/root.raw" >/dev/null 2>&1 || [ $? -le 1 ] || die "e2fsck: $root is not a sound ext4"
resize2fs -f "$tmp/root.raw" >/dev/null 2>&1 || die "resize2fs failed on $root"
cat >"$tmp/debugfs.cmd" <<EOF
mkdir /boot
rm /boot/vmlinuz
rm /boot/initrd.img
write $kernel /boot/vmlinuz
write $tmp/initrd.img /boot/initrd.img
EOF
debugfs -w -f "$tmp/debugfs.cmd" "$tmp/root.raw" >"$tmp/debugfs.log" 2>&1 ||
	die "debugfs cannot write into $root: $(cat "$tmp/debugfs.log")"
for f in vmlinuz initrd.img; do
	debugfs -R "stat /boot/$f" "$tmp/root.raw" 2>/dev/null | grep -q "^Inode:" ||
		die "debugfs did not write /boot/$f: $(cat "$tmp/debugfs.log")"
done

# GRUB's core image, its configuration inside: no file of GRUB's on the disk is needed
cat >"$tmp/early.cfg" <<EOF
set root=(hd0,msdos1)
linux /boot/vmlinuz root=/dev/vda1 rw $faultline_cmdline${cmdline:+ }$cmdline
initrd /boot/initrd.img
boot
EOF
grub-mkimage -O i386-pc -d "$grub" -c "$tmp/early.cfg" -p /boot/grub -o "$tmp/core.img" \
	biosdisk part_msdos ext2 linux boot || die "grub-mkimage failed"
# boot.img loads core.img from sector 1 (its default), and core.img's first sector the rest
# from sector 2 on (its default block list): both fit before the partition at 1 MiB
[ "$(stat -c %s "$tmp/core.img")" -le $((2047 * 512)) ] || die "core.img does not fit in 1 MiB"

root_mib=$((($(stat -c %s "$tmp/root.raw") + 1048575) / 1048576))
truncate -s $(((1 + root_mib) * 1048576)) "$tmp/disk.raw"
sfdisk -q "$tmp/disk.raw" >/dev/null <<EOF || die "sfdisk failed"
label: dos
start=2048, size=$((root_mib * 2048)), type=83, bootable
EOF
# the MBR's boot code only (440 bytes): the disk signature and the partition table stay
dd if="$grub/boot.img" of="$tmp/disk.raw" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/core.img" of="$tmp/disk.raw" bs=512 seek=1 conv=notrunc status=none
dd if="$tmp/root.raw" of="$tmp/disk.raw" bs=1M seek=1 conv=notrunc status=none
qemu-img convert -O qcow2 "$tmp/disk.raw" "$out.tmp" && mv -f "$out.tmp" "$out" ||
	die "cannot write $out"
echo "$prog: BIOS disk written to $out"
