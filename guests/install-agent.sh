#!/bin/sh
# install-agent.sh — install the faultline agent into a copy of a disk image, for
# `guest: {disk: PATH}`: no mount, no KVM, no libguestfs. The image is converted to raw
# (qemu-img), debugfs writes the files into its ext4, and the result is converted to qcow2.
#
#   guests/install-agent.sh --agent PATH --conf SENSOR_CONF [--file SRC=DST]... IMAGE OUT
#
# IMAGE (qcow2 or raw, left as it is) must hold an ext4 file system on the whole disk (no
# partition table: faultline boots it with its own kernel and root=/dev/vda) with systemd as
# /sbin/init. Written into OUT (qcow2):
#   /usr/sbin/faultline-agent                   the static agent (build/guests/faultline-agent)
#   /etc/faultline/sensor.conf                  what the agent runs (faultline writes one per
#                                               sensor: STATE_DIR/build/SENSOR/sensor.conf)
#   /etc/systemd/system/faultline-agent.service the unit, enabled in multi-user.target; the agent
#                                               finds the virtio-serial port org.faultline.agent.0
#   and each --file (its mode kept; its folder must exist in the image).
set -eu

# shellcheck source=lib-disk.sh
. "$(dirname "$0")/lib-disk.sh"
agent= conf= files=
nl='
'
while [ $# -gt 0 ]; do
	case "$1" in
	--agent) [ $# -ge 2 ] || die "--agent needs a path"; agent=$2; shift 2 ;;
	--conf) [ $# -ge 2 ] || die "--conf needs a path"; conf=$2; shift 2 ;;
	--file) [ $# -ge 2 ] || die "--file needs SRC=DST"; files="$files$2$nl"; shift 2 ;;
	-h | --help) disk_usage; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || die "expected IMAGE OUT (see --help)"
image=$1 out=$2
[ -f "$agent" ] || die "agent binary '$agent' not found (--agent)"
[ -f "$conf" ] || die "sensor conf '$conf' not found (--conf)"
[ -f "$image" ] || die "image $image not found"
disk_need "qemu-utils, e2fsprogs" qemu-img debugfs

disk_tmp
disk_raw "$image" "$tmp/disk.raw"
debugfs -R "stat /sbin/init" "$tmp/disk.raw" >/dev/null 2>&1 ||
	die "$image: no ext4 with /sbin/init on the whole disk"

cat >"$tmp/faultline-agent.service" <<'EOF'
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
chmod 0644 "$tmp/faultline-agent.service"
cp "$agent" "$tmp/agent" && chmod 0755 "$tmp/agent"
cp "$conf" "$tmp/conf" && chmod 0644 "$tmp/conf"

# debugfs carries on past a failing command: each result is checked below
{
	echo "mkdir /etc/faultline"
	echo "mkdir /etc/systemd/system/multi-user.target.wants"
	for f in /usr/sbin/faultline-agent /etc/faultline/sensor.conf \
		/etc/systemd/system/faultline-agent.service \
		/etc/systemd/system/multi-user.target.wants/faultline-agent.service; do
		echo "rm $f"
	done
	echo "write $tmp/agent /usr/sbin/faultline-agent"
	echo "write $tmp/conf /etc/faultline/sensor.conf"
	echo "write $tmp/faultline-agent.service /etc/systemd/system/faultline-agent.service"
	echo "symlink /etc/systemd/system/multi-user.target.wants/faultline-agent.service /etc/systemd/system/faultline-agent.service"
	printf '%s' "$files" | while IFS= read -r spec; do
		src=${spec%%=*} dst=${spec#*=}
		[ -f "$src" ] || die "--file '$spec': $src not found"
		echo "rm $dst"
		echo "write $src $dst"
	done
} >"$tmp/cmds"
debugfs -w -f "$tmp/cmds" "$tmp/disk.raw" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "debugfs failed"; }
for f in /usr/sbin/faultline-agent /etc/faultline/sensor.conf \
	/etc/systemd/system/faultline-agent.service \
	/etc/systemd/system/multi-user.target.wants/faultline-agent.service; do
	debugfs -R "stat $f" "$tmp/disk.raw" 2>/dev/null | grep -q "Inode:" ||
		{ cat "$tmp/log" >&2; die "$f was not written"; }
done
disk_finish "agent installed in $out"
