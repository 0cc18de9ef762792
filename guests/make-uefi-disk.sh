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
# line always carries what faultline gives its own guests (console=ttyS0, panic=-1, oops=panic,
# the lockup panics): a UEFI guest boots by its own loader, so faultline cannot add it.
# Needs: qemu-img, sfdisk (fdisk), mkfs.vfat (dosfstools), mtools, cpio, gzip and
# /usr/lib/systemd/boot/efi/systemd-bootx64.efi (systemd-boot-efi).
set -eu

prog=make-uefi-disk.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}
faultline_cmdline="console=ttyS0,115200 panic=-1 oops=panic softlockup_panic=1 watchdog_thresh=10 \
faultline.watchdog_thresh=1 \
hung_task_panic=1 sysctl.kernel.hung_task_timeout_secs=10 rcupdate.rcu_cpu_stall_timeout=15 \
mitigations=off no_timer_check"
boot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
kernel='' initrd='' cmdline=''
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || die "--kernel needs a path"; kernel=$2; shift 2 ;;
	--initrd) [ $# -ge 2 ] || die "--initrd needs a path"; initrd=$2; shift 2 ;;
	--cmdline) [ $# -ge 2 ] || die "--cmdline needs a text"; cmdline=$2; shift 2 ;;
	-h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || die "expected ROOT_IMAGE OUT (see --help)"
root=$1 out=$2
[ -f "$kernel" ] || die "kernel '$kernel' not found (--kernel)"
[ -f "$initrd" ] || die "initrd '$initrd' not found (--initrd)"
[ -f "$root" ] || die "root image $root not found"
[ -f "$boot" ] || die "$boot not found (install systemd-boot-efi)"
for t in qemu-img sfdisk mkfs.vfat mcopy mmd cpio gzip; do
	command -v $t >/dev/null || die "$t not found (qemu-utils, fdisk, dosfstools, mtools, cpio)"
done

tmp=$(mktemp -d) || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT INT TERM
qemu-img convert -O raw "$root" "$tmp/root.raw" || die "qemu-img cannot read $root"

# the initrd: a faultline switch-root one mounts the disk it names; here the root is partition 2
mkdir "$tmp/initrd"
(cd "$tmp/initrd" && gzip -dc <"$initrd" | cpio -id --quiet) || die "$initrd is not a gzip'd cpio"
if grep -q "^SWITCH_ROOT='/dev/vda'$" "$tmp/initrd/init" 2>/dev/null; then
	sed -i "s|^SWITCH_ROOT='/dev/vda'$|SWITCH_ROOT='/dev/vda2'|" "$tmp/initrd/init"
fi
(cd "$tmp/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.img"

esp_mib=64
mkfs.vfat -C -n ESP "$tmp/esp.raw" $((esp_mib * 1024)) >/dev/null || die "mkfs.vfat failed"
printf 'default faultline.conf\ntimeout 0\n' >"$tmp/loader.conf"
printf 'title faultline guest\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=/dev/vda2 rw %s%s%s\n' \
	"$faultline_cmdline" "${cmdline:+ }" "$cmdline" >"$tmp/entry.conf"
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
qemu-img convert -O qcow2 "$tmp/disk.raw" "$out.tmp" && mv -f "$out.tmp" "$out" ||
	die "cannot write $out"
echo "$prog: UEFI disk written to $out"
