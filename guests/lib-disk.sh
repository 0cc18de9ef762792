# shellcheck shell=sh
# lib-disk.sh — what the disk image scripts share, sourced first thing: guests/install-agent.sh,
# make-bios-disk.sh and make-uefi-disk.sh. Their errors, --help, checks, temporary folder, an
# image made raw and the qcow2 written at the end; for the two make-*-disk.sh, their options, the
# switch-root initrd pointed at the root partition and faultline's kernel command line
# (guests/guest-cmdline, the one source the binary is built with). Each script keeps only its
# own work: the files it writes, or its partitions, loader and their configuration.
# POSIX sh; the functions set the globals named in their comments.

prog=$(basename "$0")
disk_here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "$prog: $*" >&2
	exit 1
}

# The script's top comment (after the #! line, up to the first line that is not a comment).
disk_usage() {
	awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"
}

# Options and operands: sets kernel, initrd, cmdline, root and out, and faultline_cmdline
# (guests/guest-cmdline's options), or dies.
disk_args() {
	kernel='' initrd='' cmdline=''
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel) [ $# -ge 2 ] || die "--kernel needs a path"; kernel=$2; shift 2 ;;
		--initrd) [ $# -ge 2 ] || die "--initrd needs a path"; initrd=$2; shift 2 ;;
		--cmdline) [ $# -ge 2 ] || die "--cmdline needs a text"; cmdline=$2; shift 2 ;;
		-h | --help) disk_usage; exit 0 ;;
		-*) die "unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -eq 2 ] || die "expected ROOT_IMAGE OUT (see --help)"
	root=$1 out=$2
	[ -f "$kernel" ] || die "kernel '$kernel' not found (--kernel)"
	[ -f "$initrd" ] || die "initrd '$initrd' not found (--initrd)"
	[ -f "$root" ] || die "root image $root not found"
	faultline_cmdline=$(disk_faultline_cmdline) && [ -n "$faultline_cmdline" ] ||
		die "cannot read $disk_here/guest-cmdline"
}

# disk_need HINT TOOL...: every tool on PATH, or die naming the packages in HINT.
disk_need() {
	hint=$1
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || die "$t not found ($hint)"
	done
}

# tmp, a temporary folder removed on exit.
disk_tmp() {
	tmp=$(mktemp -d) || die "cannot create a temporary directory"
	trap 'rm -rf "$tmp"' EXIT INT TERM
}

# disk_raw IMAGE RAW: IMAGE (qcow2 or raw) as the raw file RAW.
disk_raw() {
	qemu-img convert -O raw "$1" "$2" || die "qemu-img cannot read $1"
}

# disk_initrd DEV: the initrd as $tmp/initrd.img; a faultline switch-root one mounts the disk it
# names, rewritten to DEV, the root's partition.
disk_initrd() {
	mkdir "$tmp/initrd"
	(cd "$tmp/initrd" && gzip -dc <"$initrd" | cpio -id --quiet) ||
		die "$initrd is not a gzip'd cpio"
	if grep -q "^SWITCH_ROOT='/dev/vda'$" "$tmp/initrd/init" 2>/dev/null; then
		sed -i "s|^SWITCH_ROOT='/dev/vda'$|SWITCH_ROOT='$1'|" "$tmp/initrd/init"
	fi
	(cd "$tmp/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.img"
}

# guests/guest-cmdline's options on one line: comment lines dropped, blanks made one space.
disk_faultline_cmdline() {
	awk '!/^[ \t]*#/ { for (i = 1; i <= NF; i++) { printf "%s%s", sep, $i; sep = " " } }' \
		"$disk_here/guest-cmdline"
}

# disk_kernel_cmdline DEV: the loader's command line: the root, faultline's options, --cmdline's.
disk_kernel_cmdline() {
	echo "root=$1 rw $faultline_cmdline${cmdline:+ }$cmdline"
}

# disk_finish WHAT: $tmp/disk.raw to OUT ($out) as qcow2, then "PROG: WHAT".
disk_finish() {
	qemu-img convert -O qcow2 "$tmp/disk.raw" "$out.tmp" && mv -f "$out.tmp" "$out" ||
		die "cannot write $out"
	echo "$prog: $1"
}
