#!/bin/sh
# build-debian.sh — build a full Debian guest for faultline: a root file system made by
# mmdebstrap from the Debian archive this machine's apt uses, with systemd, udev, kmod, the guest
# kernel's modules, the sensor's files and the faultline agent as a systemd service, on a qcow2
# disk; plus the kernel and a small initramfs that mounts that disk and runs its systemd.
#
#   guests/build-debian.sh --system debian-12 --kver V [--kernel-root DIR] --agent PATH
#                          --conf SENSOR_CONF --out OUT_DIR [--base-cache DIR]
#                          [--file SRC=DST]... [--module NAME]... [--package NAME]... [--deb PATH]
#
# Writes OUT_DIR/vmlinuz, OUT_DIR/initrd.img, OUT_DIR/root.qcow2 and OUT_DIR/inputs.sha256
# (the SHA-256 over every input; when it matches, nothing is built). The guest boots with
# root=/dev/vda (the disk, attached by the harness as a qcow2 overlay per guest). The package
# set alone is bootstrapped once into BASE_CACHE/base-KEY.tar and reused by every sensor's image.
# Nothing is mounted: mmdebstrap writes a directory, mke2fs -d makes the ext4 from it,
# qemu-img converts it to qcow2.
#
# --deb installs a sensor's own package: its Depends are bootstrapped with the rest (resolved from
# the archive), then dpkg installs it in the root (its maintainer scripts chrooted there); a
# package that does not install fails the build (exit status 3), before any guest boots.
#
# Environment: FAULTLINE_DEBIAN_MIRROR (default: the first Debian archive in
#              /etc/apt/sources.list.d/ or /etc/apt/sources.list),
#              FAULTLINE_KERNEL_ROOT (--kernel-root's default).
set -eu

prog=build-debian.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}
usage() {
	cat <<EOF
Usage: $prog --system debian-12 --kver V [--kernel-root DIR] --agent PATH --conf SENSOR_CONF
                       --out OUT_DIR [--base-cache DIR] [--file SRC=DST]... [--module NAME]...
                       [--package NAME]... [--deb PATH]
Build OUT_DIR/{vmlinuz,initrd.img,root.qcow2}: a full Debian system for a faultline guest.
  --system NAME    debian-12 (the only one today)
  --kver V         guest kernel version (/boot/vmlinuz-V, /lib/modules/V)
  --kernel-root D  read those under D (a kernel unpacked by .ci/guest-kernel); default: /
  --agent PATH     the static faultline-agent binary (installed as faultline-agent.service)
  --conf FILE      sensor.conf for the agent (installed as /etc/faultline/sensor.conf)
  --out DIR        output directory (created)
  --base-cache D   where the bootstrapped package set is kept (default: OUT_DIR)
  --file SRC=DST   copy SRC into the root file system at absolute path DST (mode kept)
  --module NAME    load kernel module NAME at boot (/etc/modules-load.d)
  --package NAME   install Debian package NAME too
  --deb PATH       install the .deb at PATH (a sensor's package), its dependencies from the archive
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
system= kver= agent= conf= out= cache=
root=${FAULTLINE_KERNEL_ROOT:-}
files= modules= packages= deb=
base_packages=systemd,systemd-sysv,udev,kmod
nl='
'
while [ $# -gt 0 ]; do
	case "$1" in
	--system) [ $# -ge 2 ] || die "--system needs a name"; system=$2; shift 2 ;;
	--kver) [ $# -ge 2 ] || die "--kver needs a value"; kver=$2; shift 2 ;;
	--kernel-root) [ $# -ge 2 ] || die "--kernel-root needs a value"; root=$2; shift 2 ;;
	--agent) [ $# -ge 2 ] || die "--agent needs a value"; agent=$2; shift 2 ;;
	--conf) [ $# -ge 2 ] || die "--conf needs a value"; conf=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
	--base-cache) [ $# -ge 2 ] || die "--base-cache needs a value"; cache=$2; shift 2 ;;
	--file) [ $# -ge 2 ] || die "--file needs SRC=DST"; files="$files$2$nl"; shift 2 ;;
	--module) [ $# -ge 2 ] || die "--module needs a name"; modules="$modules $2"; shift 2 ;;
	--package) [ $# -ge 2 ] || die "--package needs a name"; packages="$packages,$2"; shift 2 ;;
	--deb) [ $# -ge 2 ] || die "--deb needs a path"; deb=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case "$system" in
debian-12) suite=bookworm ;;
"") die "missing --system" ;;
*) die "unknown system '$system'; expected debian-12" ;;
esac
[ -n "$kver" ] || die "missing --kver"
[ -n "$agent" ] || die "missing --agent"
[ -n "$conf" ] || die "missing --conf"
[ -n "$out" ] || die "missing --out"
[ -n "$cache" ] || cache=$out
vmlinuz=$root/boot/vmlinuz-$kver
moddir=$root/lib/modules/$kver
[ -f "$vmlinuz" ] || die "kernel $vmlinuz not found"
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep not found"
[ -f "$agent" ] || die "agent binary $agent not found (build it with meson first)"
[ -f "$conf" ] || die "sensor conf $conf not found"
for t in mmdebstrap mke2fs qemu-img depmod sha256sum tar; do
	command -v $t >/dev/null || die "$t not found (run .ci/setup: mmdebstrap, e2fsprogs, qemu-utils, kmod)"
done
[ -z "$packages" ] || printf '%s' "$packages" | grep -Eq '^(,[a-z0-9][a-z0-9.+-]*)*$' ||
	die "--package: expected Debian package names"
printf '%s' "$files" | while IFS= read -r spec; do
	src=${spec%%=*}
	dst=${spec#*=}
	[ "$src" != "$spec" ] && [ -n "$src" ] || die "--file '$spec': expected SRC=DST"
	case "$dst" in /?*) ;; *) die "--file '$spec': DST must be an absolute path" ;; esac
	[ -f "$src" ] || die "--file '$spec': $src not found"
done

# The sensor's package: its dependencies join the bootstrap (alternatives: the first; versions:
# whatever the archive has).
if [ -n "$deb" ]; then
	[ -f "$deb" ] || die "package $deb not found (did the sensor's build make it?)"
	command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
	debname=$(dpkg-deb -f "$deb" Package 2>/dev/null) || die "$deb is not a Debian package"
	[ -n "$debname" ] || die "$deb has no Package field"
	for d in $({ dpkg-deb -f "$deb" Depends; dpkg-deb -f "$deb" Pre-Depends; } |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//' | tr -d ' '); do
		case ",$base_packages$packages," in *",$d,"*) ;; *) packages="$packages,$d" ;; esac
	done
	[ -z "$packages" ] || printf '%s' "$packages" | grep -Eq '^(,[a-z0-9][a-z0-9.+-]*)*$' ||
		die "$deb: cannot read its Depends ($packages)"
fi

# The archive: this machine's own apt source for Debian (never a name written here).
mirror=${FAULTLINE_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		mirror=$(awk -v s="$suite" 'tolower($1) == "uris:" { u = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) found = 1 }
			/^[ \t]*$/ { if (found && u) { print u; exit } found = 0; u = "" }
			END { if (found && u) print u }' "$f" | head -n 1)
		[ -z "$mirror" ] || break
	done
fi
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$suite" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\// && $(i + 1) == s) { print $i; exit } }')
fi
[ -n "$mirror" ] || die "no Debian archive for $suite in /etc/apt/sources.list.d/; set FAULTLINE_DEBIAN_MIRROR"

include="$base_packages$packages"
base_key=$(printf '%s\n' bootstrap-1 "$suite" "$mirror" "$include" |
	sha256sum | cut -c1-16)
base=$cache/debian-$suite-$base_key.tar

self_sum() { sha256sum <"$1" | cut -d' ' -f1; }
key=$(
	{
		echo "script $(self_sum "$0")"
		echo "initrd-builder $(self_sum "$here/build-image.sh")"
		echo "base $base_key"
		echo "kver $kver"
		echo "vmlinuz $(self_sum "$vmlinuz")"
		echo "modules.dep $(self_sum "$moddir/modules.dep")"
		echo "agent $(self_sum "$agent")"
		echo "conf $(self_sum "$conf")"
		echo "modules $modules"
		[ -z "$deb" ] || echo "deb $(self_sum "$deb")"
		printf '%s' "$files" | while IFS= read -r spec; do
			src=${spec%%=*}
			echo "file ${spec#*=} $(stat -c %a "$src") $(self_sum "$src")"
		done
	} | sha256sum | cut -d' ' -f1
)
mkdir -p "$out" "$cache" || die "cannot create $out"
if [ -f "$out/inputs.sha256" ] && [ -f "$out/root.qcow2" ] && [ -f "$out/initrd.img" ] &&
	[ -f "$out/vmlinuz" ] && [ "$(cat "$out/inputs.sha256")" = "$key" ]; then
	exit 0
fi

tmp=$(mktemp -d "$out/.build.XXXXXX") || die "cannot create a temporary directory in $out"
trap 'rm -rf "$tmp"' EXIT INT TERM
t0=$(date +%s)

# 1. The package set, bootstrapped once per (suite, archive, packages).
if [ ! -f "$base" ]; then
	echo "$prog: bootstrapping $suite ($include) from $mirror"
	mmdebstrap --variant=minbase --include="$include" --format=tar \
		--customize-hook='rm -f "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*_Packages' \
		"$suite" "$tmp/base.tar" "deb $mirror $suite main" ||
		die "mmdebstrap failed (packages: $include)"
	mv -f "$tmp/base.tar" "$base"
fi
t1=$(date +%s)

# 2. The root file system: the packages, then faultline's and the sensor's files.
r=$tmp/root
mkdir -p "$r"
tar -C "$r" --numeric-owner -xpf "$base" || die "cannot unpack $base"
mkdir -p "$r/lib/modules/$kver"
# The kernel's modules, without the hardware a guest never has (sound, GPUs, cameras, Wi-Fi).
(cd "$moddir" && tar --exclude=./build --exclude=./source --exclude=./kernel/sound \
	--exclude=./kernel/drivers/gpu --exclude=./kernel/drivers/media \
	--exclude=./kernel/drivers/infiniband --exclude=./kernel/drivers/iio \
	--exclude=./kernel/drivers/staging --exclude=./kernel/drivers/net/wireless \
	--exclude=./kernel/drivers/net/ethernet -cf - .) | tar -C "$r/lib/modules/$kver" -xf - ||
	die "cannot copy the modules of $kver"
depmod -b "$r" "$kver" || die "depmod failed"

install -D -m 0755 "$agent" "$r/usr/sbin/faultline-agent"
install -D -m 0644 "$conf" "$r/etc/faultline/sensor.conf"
printf '%s' "$files" | while IFS= read -r spec; do
	src=${spec%%=*}
	dst=${spec#*=}
	mkdir -p "$r$(dirname "$dst")"
	cp -p "$src" "$r$dst"
done
{
	echo "# faultline: the port to the host, the panic device, then what the sensor asks for"
	for m in virtio_console pvpanic_mmio $modules; do echo "$m"; done
} >"$r/etc/modules-load.d/faultline.conf"

# The agent: started by systemd once the system is up (multi-user.target reached), so that the
# sensor starts, and the template is saved, on a settled system rather than one still booting
# (under TCG the boot's own work made the start's protection probe miss its 3 s). It finds the
# port by its name (org.faultline.agent.0) in /sys/class/virtio-ports and waits for it.
cat >"$r/etc/systemd/system/faultline-agent.service" <<'EOF'
[Unit]
Description=faultline guest agent (virtio-serial port org.faultline.agent.0)
After=multi-user.target

[Service]
ExecStart=/usr/sbin/faultline-agent
Restart=always
RestartSec=1
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/faultline-agent.service \
	"$r/etc/systemd/system/multi-user.target.wants/faultline-agent.service"
# What a test guest never needs, and costs seconds of boot under TCG. getty.target: nobody logs
# in, and multi-user.target (which the agent waits for) would wait for /dev/ttyS0's device unit,
# 90 s on a loaded host.
for u in getty.target apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer systemd-timesyncd.service man-db.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$r/etc/systemd/system/$u"
done
# Hardware a faultline guest has but never uses (the IDE controller, floppy, PC speaker, mouse,
# SMBus): udev's coldplug would load their modules after multi-user.target, while the sensor
# starts and its probe runs (measured: 30 s of a loaded TCG guest's boot).
{
	echo "# faultline: hardware the guest never uses"
	for m in floppy pcspkr psmouse serio_raw i2c_piix4 joydev evdev ata_piix ata_generic \
		pata_acpi libata parport_pc ppdev sg sr_mod intel_agp button; do
		echo "blacklist $m"
	done
} >"$r/etc/modprobe.d/faultline-blacklist.conf"
ln -sf /lib/systemd/system/multi-user.target "$r/etc/systemd/system/default.target"
echo faultline >"$r/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 0" >"$r/etc/fstab"
: >"$r/etc/machine-id"
if [ -n "$deb" ]; then
	cp "$deb" "$r/tmp/faultline-sensor.deb"
	# exit status 3: the package's fault, not the machine's (image.c names the sensor)
	chroot "$r" dpkg -i /tmp/faultline-sensor.deb || {
		echo "$prog: the package $debname ($deb) does not install in $system (dpkg -i failed, above)" >&2
		exit 3
	}
	rm -f "$r/tmp/faultline-sensor.deb"
fi
t2=$(date +%s)

# 3. The disk: ext4 from the directory (no mount), then qcow2.
kib=$(du -sk "$r" | cut -f1)
mib=$((kib / 1024 * 13 / 10 + 256))
mke2fs -q -t ext4 -L faultline-root -d "$r" "$tmp/root.img" "${mib}M" || die "mke2fs failed"
qemu-img convert -f raw -O qcow2 "$tmp/root.img" "$tmp/root.qcow2" || die "qemu-img convert failed"
rm -rf "$r" "$tmp/root.img"
t3=$(date +%s)

# 4. The kernel and an initramfs that mounts the disk and runs its systemd.
"$here/build-image.sh" --kver "$kver" --kernel-root "$root" --agent "$agent" --conf "$conf" \
	--out "$tmp/boot" --switch-root /dev/vda || die "building the initramfs failed"
cp "$vmlinuz" "$tmp/vmlinuz"
echo "$key" >"$tmp/inputs.sha256"
chmod 0644 "$tmp/root.qcow2"

rm -f "$out/inputs.sha256"
mv -f "$tmp/vmlinuz" "$out/vmlinuz"
mv -f "$tmp/boot/initrd.img" "$out/initrd.img"
mv -f "$tmp/root.qcow2" "$out/root.qcow2"
mv -f "$tmp/inputs.sha256" "$out/inputs.sha256"
echo "$prog: built $out in $(($(date +%s) - t0)) s (bootstrap $((t1 - t0)) s, root $((t2 - t1)) s, disk $((t3 - t2)) s)"
