#!/bin/sh
# make-uefi-disk.sh — turn a whole-disk ext4 system image (what guests/build-debian.sh makes,
# the agent installed) into a GPT disk that boots by itself under UEFI, for
# `guest: {disk: PATH, firmware: uefi}`: no mount, no KVM, no root.
#
#   guests/make-uefi-disk.sh --kernel VMLINUZ --initrd INITRD [--cmdline TEXT] ROOT_IMAGE OUT
#
# OUT (qcow2): partition 1 an EFI system partition (FAT, 64 MiB: systemd-boot as
# \EFI\BOOT\BOOTX64.EFI, one loader entry with the kernel, the initrd and the command line,
# timeout 0), partition 2 the ext4 of ROOT_IMAGE (qcow2 or raw). A faultline switch-root initrd
# (images/SENSOR/initrd.img) is rewritten to mount /dev/vda2 instead of /dev/vda. The command
# line always carries what faultline gives its own guests (guests/guest-cmdline: console=ttyS0,
# panic=-1, oops=panic, the lockup panics, ...): a UEFI guest boots by its own loader, so
# faultline cannot add it. Shares its options and most steps with make-bios-disk.sh
# (guests/lib-disk.sh).
# Needs: qemu-img, sfdisk (fdisk), mkfs.vfat (dosfstools), mtools, cpio, gzip and
# /usr/lib/systemd/boot/efi/systemd-bootx64.efi (systemd-boot-efi).
set -eu

# shellcheck source=lib-disk.sh
. "$(dirname "$0")/lib-disk.sh"
boot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
disk_args "$@"
[ -f "$boot" ] || die "$boot not found (install systemd-boot-efi)"
disk_need "qemu-utils, fdisk, dosfstools, mtools, cpio" \
	qemu-img sfdisk mkfs.vfat mcopy mmd cpio gzip
disk_tmp
disk_raw "$root" "$tmp/root.raw"
disk_initrd /dev/vda2

esp_mib=64
mkfs.vfat -C -n ESP "$tmp/esp.raw" $((esp_mib * 1024)) >/dev/null || die "mkfs.vfat failed"
printf 'default faultline.conf\ntimeout 0\n' >"$tmp/loader.conf"
printf 'title faultline guest\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' \
	"$(disk_kernel_cmdline /dev/vda2)" >"$tmp/entry.conf"
export MTOOLS_SKIP_CHECK=1
mmd -i "$tmp/esp.raw" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$tmp/esp.raw" "$boot" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$tmp/esp.raw" "$tmp/loader.conf" ::/loader/loader.conf
mcopy -i "$tmp/esp.raw" "$tmp/entry.conf" ::/loader/entries/faultline.conf
mcopy -i "$tmp/esp.raw" "$kernel" ::/vmlinuz
mcopy -i "$tmp/esp.raw" "$tmp/initrd.img" ::/initrd.img

# GPT: 1 MiB, the ESP, the root, 1 MiB for the backup table
root_mib=$((($(stat -c %s "$tmp/root.raw") + 1048575) / 1048576))
truncate -s $(((1 + esp_mib + root_mib + 1) * 1048576)) "$tmp/disk.raw"
sfdisk -q "$tmp/disk.raw" >/dev/null <<EOF || die "sfdisk failed"
label: gpt
start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP
start=$(((1 + esp_mib) * 2048)), size=$((root_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
EOF
dd if="$tmp/esp.raw" of="$tmp/disk.raw" bs=1M seek=1 conv=notrunc status=none
dd if="$tmp/root.raw" of="$tmp/disk.raw" bs=1M seek=$((1 + esp_mib)) conv=notrunc status=none
disk_finish "UEFI disk written to $out"
