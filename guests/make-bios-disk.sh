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
# guests (guests/guest-cmdline: console=ttyS0, panic=-1, oops=panic, the lockup panics, ...): a
# disk that boots by its own loader gets no command line from faultline. Shares its options and
# most steps with make-uefi-disk.sh (guests/lib-disk.sh).
# Needs: qemu-img, sfdisk (fdisk), debugfs and resize2fs (e2fsprogs), cpio, gzip and GRUB's
# i386-pc images and grub-mkimage (grub-pc-bin, grub-common).
set -eu

# shellcheck source=lib-disk.sh
. "$(dirname "$0")/lib-disk.sh"
grub=/usr/lib/grub/i386-pc
disk_args "$@"
[ -f "$grub/boot.img" ] || die "$grub/boot.img not found (install grub-pc-bin)"
disk_need "qemu-utils, fdisk, e2fsprogs, grub-common, cpio" \
	qemu-img sfdisk debugfs resize2fs e2fsck grub-mkimage cpio gzip
disk_tmp
disk_raw "$root" "$tmp/root.raw"
disk_initrd /dev/vda1

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
linux /boot/vmlinuz $(disk_kernel_cmdline /dev/vda1)
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
disk_finish "BIOS disk written to $out"
