#!/bin/sh
# build-image.sh — build the default faultline guest: Debian's kernel plus a busybox initramfs
# holding the guest agent, the sensor's files and the kernel modules the guest needs.
#
#   guests/build-image.sh --kver V [--kernel-root DIR] --agent PATH --conf SENSOR_CONF
#                         --out OUT_DIR [--file SRC=DST]... [--module NAME]... [--switch-root DEV]
#                         [--busybox PATH]
#
# Writes OUT_DIR/vmlinuz (copy of /boot/vmlinuz-V), OUT_DIR/initrd.img (gzip'd newc cpio) and
# OUT_DIR/inputs.sha256. The persistence modules (virtio_blk, ext4 and what they need) are always
# in the image, listed in /etc/faultline/persist-modules.order, and loaded by /init only when the
# kernel command line has faultline.persist=1: then /dev/vda, the content partition the harness
# attaches (scenarios/README.md, "Persistence and boot loops"), is mounted on /persist before the agent starts. When the SHA-256 over every input matches inputs.sha256 the build is
# skipped. Files are built in a temporary directory and renamed into place, inputs.sha256 last,
# so an interrupted build is never mistaken for a good one.
# With --switch-root DEV the initramfs only boots a full system (guests/build-debian.sh): /init
# loads the modules, mounts the ext4 on DEV and hands over to its /sbin/init (systemd), which
# starts the agent from its own root.
#
# Environment: FAULTLINE_BUSYBOX (default: busybox on PATH, must be static),
#              FAULTLINE_KERNEL_ROOT (--kernel-root's default; empty: /boot and /lib/modules).
set -eu

prog=build-image.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}
usage() {
	cat <<EOF
Usage: $prog --kver V [--kernel-root DIR] --agent PATH --conf SENSOR_CONF --out OUT_DIR
                      [--file SRC=DST]... [--module NAME]...
Build OUT_DIR/vmlinuz and OUT_DIR/initrd.img for a faultline guest.
  --kver V         guest kernel version (/boot/vmlinuz-V, /lib/modules/V)
  --kernel-root D  read those under D (a kernel unpacked by .ci/guest-kernel); default: /
  --agent PATH     the static faultline-agent binary
  --conf FILE      sensor.conf for the agent (installed as /etc/faultline/sensor.conf)
  --out DIR        output directory (created)
  --file SRC=DST   copy SRC into the initramfs at absolute path DST (repeatable; mode kept)
  --module NAME    also load kernel module NAME at boot, with its modules.dep dependencies
  --switch-root D  mount the ext4 on device D and run its /sbin/init instead of the agent
  --busybox PATH   the guest's static busybox (default: \$FAULTLINE_BUSYBOX, else busybox on PATH)
EOF
}

kver= agent= conf= out=
root=${FAULTLINE_KERNEL_ROOT:-}
files=
switch_root=
modules="virtio_pci virtio_console pvpanic_mmio"
# crc32c: ext4's metadata checksums ask the crypto API for it, and the initramfs has no modprobe
persist_modules="virtio_blk crc32c_generic ext4"
nl='
'
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=${2-}; shift 2 || die "--kver needs a value" ;;
	--kernel-root) [ $# -ge 2 ] || die "--kernel-root needs a value"; root=$2; shift 2 ;;
	--agent) agent=${2-}; shift 2 || die "--agent needs a value" ;;
	--conf) conf=${2-}; shift 2 || die "--conf needs a value" ;;
	--out) out=${2-}; shift 2 || die "--out needs a value" ;;
	--file) [ $# -ge 2 ] || die "--file needs SRC=DST"; files="$files$2$nl"; shift 2 ;;
	--module) [ $# -ge 2 ] || die "--module needs a name"; modules="$modules $2"; shift 2 ;;
	--switch-root) [ $# -ge 2 ] || die "--switch-root needs a device"; switch_root=$2; shift 2 ;;
	--busybox) [ $# -ge 2 ] || die "--busybox needs a path"; FAULTLINE_BUSYBOX=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || die "missing --kver"
[ -n "$agent" ] || die "missing --agent"
[ -n "$conf" ] || die "missing --conf"
[ -n "$out" ] || die "missing --out"
[ -z "$switch_root" ] || printf '%s\n' "$switch_root" | grep -Eqx '/dev/[a-z0-9]+' ||
	die "--switch-root '$switch_root': expected /dev/NAME"

vmlinuz=$root/boot/vmlinuz-$kver
moddir=$root/lib/modules/$kver
[ -f "$vmlinuz" ] || die "kernel $vmlinuz not found (is linux-image-$kver installed?)"
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep not found (is linux-image-$kver installed?)"
[ -f "$agent" ] || die "agent binary $agent not found (build it with meson first)"
[ -f "$conf" ] || die "sensor conf $conf not found"
busybox=${FAULTLINE_BUSYBOX:-$(command -v busybox || true)}
[ -n "$busybox" ] && [ -f "$busybox" ] || die "busybox not found (install busybox-static)"
if "$busybox" ldd "$busybox" >/dev/null 2>&1 || LC_ALL=C ldd "$busybox" 2>/dev/null | grep -q '=>'; then
	die "$busybox is dynamically linked; install busybox-static"
fi
for t in cpio gzip sha256sum; do
	command -v $t >/dev/null || die "$t not found"
done

# Validate --file arguments before hashing anything.
printf '%s' "$files" | while IFS= read -r spec; do
	src=${spec%%=*}
	dst=${spec#*=}
	[ "$src" != "$spec" ] && [ -n "$src" ] || die "--file '$spec': expected SRC=DST"
	case "$dst" in /?*) ;; *) die "--file '$spec': DST must be an absolute path" ;; esac
	[ -f "$src" ] || die "--file '$spec': $src not found"
done

# Resolve the modules and their dependencies into load order (dependencies first).
resolve() { # name -> path relative to moddir, "" for built-in; exits on unknown
	n=$(printf '%s' "$1" | tr - _)
	p=$(sed -n 's/^\([^:]*\):.*/\1/p' "$moddir/modules.dep" |
		awk -v n="$n" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b);
			gsub(/-/, "_", b); if (b == n) { print; exit } }')
	if [ -n "$p" ]; then
		echo "$p"
	elif sed 's/.*\///; s/\.ko$//; s/-/_/g' "$moddir/modules.builtin" 2>/dev/null | grep -qx "$n"; then
		echo ""
	else
		return 1
	fi
}
order=
add_with_deps() { # path
	case "$nl$order" in *"$nl$1$nl"*) return 0 ;; esac
	deps=$(awk -v m="$1:" '$1 == m { for (i = NF; i > 1; i--) print $i; exit }' "$moddir/modules.dep")
	for d in $deps; do
		add_with_deps "$d"
	done
	case "$nl$order" in *"$nl$1$nl"*) ;; *) order="$order$1$nl" ;; esac
}
add_modules() { # names
	for m in "$@"; do
		p=$(resolve "$m") || die "kernel module '$m' not found in $moddir/modules.dep"
		[ -z "$p" ] || add_with_deps "$p"
	done
}
# Before 5.11 (Debian 11's 5.10) the pvpanic device's driver is one module, pvpanic
if ! resolve pvpanic_mmio >/dev/null && resolve pvpanic >/dev/null; then
	modules=$(echo "$modules" | sed 's/\bpvpanic_mmio\b/pvpanic/')
fi
# Debian's arm64 kernels have no pvpanic at all: a panic there is seen on the console, and its
# reset (panic=-1) ends the domain
if ! resolve pvpanic_mmio >/dev/null && ! resolve pvpanic >/dev/null; then
	modules=$(echo "$modules" | sed 's/\bpvpanic_mmio\b//')
fi
# shellcheck disable=SC2086 # lists of names
add_modules $modules
boot_order=$order
# shellcheck disable=SC2086
add_modules $persist_modules
persist_order=${order#"$boot_order"}
for p in $order; do
	# Debian 13 ships its modules xz-compressed; busybox's insmod takes plain ELF: unpacked below
	case "$p" in *.ko | *.ko.xz) ;; *) die "module $p is compressed other than xz; only .ko and .ko.xz are supported" ;; esac
	[ -f "$moddir/$p" ] || die "module file $moddir/$p missing"
done

# The cache key: every input's content, and where it goes.
self=$(command -v "$0" 2>/dev/null || echo "$0")
key=$(
	{
		echo "script $(sha256sum <"$self" | cut -d' ' -f1)"
		echo "kver $kver"
		echo "switch-root $switch_root"
		echo "vmlinuz $(sha256sum <"$vmlinuz" | cut -d' ' -f1)"
		echo "agent $(sha256sum <"$agent" | cut -d' ' -f1)"
		echo "conf $(sha256sum <"$conf" | cut -d' ' -f1)"
		echo "busybox $(sha256sum <"$busybox" | cut -d' ' -f1)"
		for p in $order; do
			echo "module $p $(sha256sum <"$moddir/$p" | cut -d' ' -f1)"
		done
		printf '%s' "$files" | while IFS= read -r spec; do
			src=${spec%%=*}
			echo "file ${spec#*=} $(stat -c %a "$src") $(sha256sum <"$src" | cut -d' ' -f1)"
		done
	} | sha256sum | cut -d' ' -f1
)

mkdir -p "$out" || die "cannot create $out"
if [ -f "$out/inputs.sha256" ] && [ -f "$out/initrd.img" ] && [ -f "$out/vmlinuz" ] &&
	[ "$(cat "$out/inputs.sha256")" = "$key" ]; then
	exit 0
fi

tmp=$(mktemp -d "$out/.build.XXXXXX") || die "cannot create a temporary directory in $out"
trap 'rm -rf "$tmp"' EXIT INT TERM
r=$tmp/root
mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc/faultline" "$r/proc" "$r/sys" \
	"$r/dev" "$r/tmp" "$r/run" "$r/root" "$r/lib/modules/$kver"

cp "$busybox" "$r/bin/busybox"
# another architecture's busybox (arm64 guests) does not run here: the host's of the same
# Debian package names the same applets
applets=$("$busybox" --list-full 2>/dev/null) || applets=$(busybox --list-full) ||
	die "cannot list $busybox's applets (and no busybox on PATH)"
printf '%s\n' "$applets" | while IFS= read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$r/$(dirname "$applet")"
	ln -sf /bin/busybox "$r/$applet"
done
cp "$agent" "$r/sbin/faultline-agent"
chmod 0755 "$r/sbin/faultline-agent"
cp "$conf" "$r/etc/faultline/sensor.conf"

: >"$r/etc/faultline/modules.order"
: >"$r/etc/faultline/persist-modules.order"
for p in $order; do
	mkdir -p "$r/lib/modules/$kver/$(dirname "$p")"
	ko=${p%.xz}
	case "$p" in
	*.xz) xz -dc "$moddir/$p" >"$r/lib/modules/$kver/$ko" ;;
	*) cp "$moddir/$p" "$r/lib/modules/$kver/$p" ;;
	esac
	list=modules.order
	case "$nl$persist_order" in *"$nl$p$nl"*) list=persist-modules.order ;; esac
	echo "/lib/modules/$kver/$ko" >>"$r/etc/faultline/$list"
done

printf '%s' "$files" | while IFS= read -r spec; do
	src=${spec%%=*}
	dst=${spec#*=}
	mkdir -p "$r$(dirname "$dst")"
	cp -p "$src" "$r$dst"
done

echo "faultline" >"$r/etc/hostname"
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
echo "root:x:0:" >"$r/etc/group"

# PID 1. It must never exit (the kernel would panic and blame the wrong party).
cat >"$r/init" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
load_modules() { # list file
	while read -r m; do
		insmod "$m" || echo "faultline-init: insmod $m failed" >/dev/kmsg
	done <"$1"
}
load_modules /etc/faultline/modules.order
# The content partition, only when the harness attached one (the agent checks the mount).
case " $(cat /proc/cmdline) " in
*" faultline.persist=1 "*)
	load_modules /etc/faultline/persist-modules.order
	mkdir -p /persist
	n=0
	while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	mount -t ext4 /dev/vda /persist ||
		echo "faultline-init: cannot mount the content partition" >/dev/kmsg
	;;
esac
if [ -n "$SWITCH_ROOT" ]; then
	load_modules /etc/faultline/persist-modules.order
	mkdir -p /newroot
	n=0
	while [ ! -b "$SWITCH_ROOT" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if mount -t ext4 -o rw "$SWITCH_ROOT" /newroot &&
		{ [ -e /newroot/sbin/init ] || [ -L /newroot/sbin/init ]; }; then
		umount /tmp
		for m in dev proc sys run; do
			mount --move /$m /newroot/$m
		done
		exec switch_root /newroot /sbin/init
	fi
	# no agent will ever answer: say why on the console, which the harness keeps
	echo "faultline-init: cannot mount the root file system $SWITCH_ROOT" >/dev/kmsg
	while :; do sleep 3600; done
fi
[ -d /sys/kernel/security ] && mount -t securityfs securityfs /sys/kernel/security
hostname -F /etc/hostname
echo "faultline-init: starting agent" >/dev/kmsg
while :; do
	/sbin/faultline-agent
	echo "faultline-init: agent exited with status $?, restarting" >/dev/kmsg
	sleep 1
done
EOF
chmod 0755 "$r/init"
sed -i "2a SWITCH_ROOT='$switch_root'" "$r/init"

(cd "$r" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -n -6 >"$tmp/initrd.img" || die "cpio/gzip failed"
cp "$vmlinuz" "$tmp/vmlinuz"
echo "$key" >"$tmp/inputs.sha256"

rm -f "$out/inputs.sha256"
mv -f "$tmp/vmlinuz" "$out/vmlinuz"
mv -f "$tmp/initrd.img" "$out/initrd.img"
mv -f "$tmp/inputs.sha256" "$out/inputs.sha256"
