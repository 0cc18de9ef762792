#!/bin/bash
# record.sh — record real kernel consoles for the classifier's fixtures.
#
# Builds tests/crashme/crashme.c against the installed Debian linux-headers (the version is
# discovered, never hard-coded), packs it with busybox-static into a minimal initramfs, boots the
# Debian kernel under QEMU (TCG) once per failure kind with a command line that makes the failure
# visible, and saves each console as tests/data/console/real-<kind>.log.
#
# Usage: tests/crashme/record.sh [KIND...]      (default: every kind)
# Environment: OUT (build dir, default /tmp/faultline-crashme), DEST (fixture dir),
#              TIMEOUT (seconds per boot, default 120), KVER (kernel version to use),
#              APPEND (more kernel command line, e.g. printk.time=0, or crashme.noise for a
#              user-space process flooding the console meanwhile), SUFFIX (file name suffix:
#              real-<kind><SUFFIX>.log), SMP (CPUs, default 1).
# Needs: linux-headers-<ver> and linux-image-<ver> installed, busybox-static, cpio, qemu.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/faultline-crashme}
DEST=${DEST:-$here/../data/console}
TIMEOUT=${TIMEOUT:-120}

# The newest kernel that has both an image and matching headers.
if [ -z "${KVER:-}" ]; then
	for d in /lib/modules/*/build; do
		v=$(basename "$(dirname "$d")")
		[ -e "/boot/vmlinuz-$v" ] && [ -e "$d/Makefile" ] && KVER=$v
	done
fi
[ -n "${KVER:-}" ] || { echo "record.sh: no kernel with matching headers installed" >&2; exit 2; }
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && file -L "$BUSYBOX" | grep -q 'statically linked' ||
	{ echo "record.sh: needs busybox-static" >&2; exit 2; }

# Build the module outside the source tree.
mkdir -p "$OUT/mod"
cp "$here/crashme.c" "$here/Kbuild" "$OUT/mod/"
make -s -C "/lib/modules/$KVER/build" M="$OUT/mod" modules >"$OUT/build.log" 2>&1 ||
	{ cat "$OUT/build.log" >&2; exit 1; }

# The initramfs: busybox, the module, an init that triggers the kind named on the command line.
root="$OUT/root"
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$OUT/mod/crashme.ko" "$root/crashme.ko"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
kind=$(sed -n 's/.*crashme=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
echo "init: user space up, kind=$kind"
insmod /crashme.ko
echo "init: BUG: this line is user-space output and must not count as a crash"
# crashme.noise on the command line: user space writes to the console while the kernel reports
# (for about two seconds around the trigger, to keep the fixture small)
if grep -q 'crashme.noise' /proc/cmdline; then
	(i=0; while [ $i -lt 400 ]; do
		echo "noise: user space line $i BUG WARNING panic"; i=$((i+1)); usleep 5000
	done) &
	usleep 300000
fi
case "$kind" in
hung) sh -c "echo hung > /proc/crashme" & sleep 40 ;;
clean) echo "init: nothing to trigger"; ls /proc >/dev/null ;;
*) sh -c "echo $kind > /proc/crashme"; sleep 30 ;;
esac
echo "init: done"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/initrd.gz"

# oops=panic: panic_on_oops is only a sysctl in 6.1, "panic_on_oops=1" on the command line is
# ignored (passed to init)
base="console=ttyS0 panic=-1 oops=panic loglevel=7"
cmdline_for() {
	case "$1" in
	warn) echo "$base" ;;
	doublefree | uaf) echo "$base slub_debug=FZPU" ;;
	softlockup) echo "$base softlockup_panic=1 watchdog_thresh=4" ;;
	hardlockup) echo "$base nmi_watchdog=1 watchdog_thresh=4 rcupdate.rcu_cpu_stall_timeout=5" ;;
	rcustall) echo "$base rcupdate.rcu_cpu_stall_timeout=3 sysctl.kernel.panic_on_rcu_stall=1" ;;
	hung) echo "$base sysctl.kernel.hung_task_timeout_secs=5 hung_task_panic=1" ;;
	*) echo "$base" ;;
	esac
}

kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(null pagefault gpf bugon warn div0 ud2 doublefree uaf
	stackoverflow fortify stackprotector softlockup hardlockup rcustall hung panic listcorrupt refcount
	usercopy atomicsleep clean)
mkdir -p "$DEST"
for kind in "${kinds[@]}"; do
	log="$OUT/$kind.raw"
	smp=${SMP:-1}
	case "$kind" in hardlockup | rcustall) smp=2 ;; esac
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 256 -smp "$smp" -no-reboot \
		-display none -monitor none -serial "file:$log" \
		-kernel "/boot/vmlinuz-$KVER" -initrd "$OUT/initrd.gz" \
		-append "$(cmdline_for "$kind") ${APPEND:-} crashme=$kind" </dev/null || true
	out="$DEST/real-$kind${SUFFIX:-}.log"
	tr -d '\r' <"$log" >"$out"
	echo "recorded $kind: $(wc -l <"$out") lines ($KVER)"
done
