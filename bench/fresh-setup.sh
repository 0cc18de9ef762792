#!/bin/bash
# fresh-setup.sh — README command 1 (`.ci/setup && build/faultline run scenarios/quickstart.yaml`)
# timed on a fresh Debian 12, once per git ref, back to back in the same session:
#
#   bench/fresh-setup.sh [--keep] [--setup-only] [REF...]     (default refs: main HEAD; as root)
#
# For each ref: a new bookworm chroot made by mmdebstrap from this host's own apt sources
# (/etc/apt/sources.list.d/debian.sources, read at run time), a clean checkout of REF (git
# archive) in /root/faultline, /proc, /sys and /dev mounted, then command 1 run in it. Prints per
# ref the seconds of .ci/setup, of the run to its verdict table, their sum, the run's exit status
# and what apt installed (packages, MB downloaded); the chroot's own console output goes to
# OUT/REF.log. --setup-only times .ci/setup alone (where QEMU cannot run in a chroot, time the
# run on the host instead and say so). OUT: $OUT or a new /tmp/fresh-setup-XXXXXX; the chroots
# are removed unless --keep.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0 setup_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) keep=1; shift ;;
	--setup-only) setup_only=1; shift ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	--*) echo "fresh-setup.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
refs=("$@")
((${#refs[@]})) || refs=(main HEAD)
[ "$(id -u)" = 0 ] || { echo "fresh-setup.sh: run as root (mmdebstrap, chroot, mounts)" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "fresh-setup.sh: install mmdebstrap" >&2; exit 2; }
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || { echo "fresh-setup.sh: no $sources to take the mirror from" >&2; exit 2; }
for ref in "${refs[@]}"; do
	git rev-parse -q --verify "$ref^{commit}" >/dev/null || { echo "fresh-setup.sh: no ref $ref" >&2; exit 2; }
done

OUT=${OUT:-$(mktemp -d /tmp/fresh-setup-XXXXXX)}
mkdir -p "$OUT"
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null || true
	done
	mounted=()
}
trap cleanup EXIT INT TERM

mount_in() { # SRC DST [OPTS...]
	local src=$1 dst=$2
	shift 2
	mkdir -p "$dst"
	mount "$@" "$src" "$dst"
	mounted+=("$dst")
}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

measure() { # REF
	local ref=$1 name root log t0 t1 t2 rc=0 pkgs mb
	name=$(echo "$ref" | tr -c 'A-Za-z0-9._\n-' _)
	root=$OUT/$name.root
	log=$OUT/$name.log
	rm -rf "$root"
	: >"$log"
	echo "== $ref ($(git rev-parse --short "$ref")): mmdebstrap bookworm" >&2
	mmdebstrap --quiet --variant=important --include=ca-certificates bookworm "$root" "$sources" \
		>"$OUT/$name.mmdebstrap.log" 2>&1
	mkdir -p "$root/root/faultline"
	git archive "$ref" | tar -x -C "$root/root/faultline"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# the chroot's / a mount point of its own: libvirt's QEMU namespace makes / a slave mount
	mount_in "$root" "$root" --bind
	mount_in proc "$root/proc" -t proc
	mount_in sysfs "$root/sys" -t sysfs
	mount_in /dev "$root/dev" --rbind
	mount_in tmpfs "$root/run" -t tmpfs

	t0=$(now)
	chroot "$root" /bin/bash -c 'cd /root/faultline && .ci/setup' >>"$log" 2>&1 || rc=$?
	t1=$(now)
	if ((rc == 0 && !setup_only)); then
		chroot "$root" /bin/bash -c 'cd /root/faultline && build/faultline run scenarios/quickstart.yaml' \
			>>"$log" 2>&1 || rc=$?
	fi
	t2=$(now)
	pkgs=$(grep -c '^Setting up ' "$log" || true)
	mb=$(sed -n 's/^Fetched \([0-9.,]*\) \([kMG]\)B.*/\1 \2/p' "$log" | tr -d , |
		awk '{ m = $1 / ($2 == "k" ? 1024 : $2 == "G" ? 1 / 1024 : 1); s += m } END { printf "%.0f", s }')
	printf '%-10s setup %6ss  run %6ss  total %6ss  exit %d  packages %s  download %s MB%s\n' \
		"$ref" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t0" "$t2")" "$rc" "$pkgs" \
		"${mb:-0}" "$( ((setup_only)) && echo '  (setup only)')"
	cleanup
	# never delete through a mount still there (/dev is bound in)
	if grep -q " ${root}[/ ]" /proc/mounts; then
		echo "fresh-setup.sh: $root still has mounts; not removed" >&2
	elif ((!keep)); then
		rm -rf "$root"
	fi
}

for ref in "${refs[@]}"; do
	measure "$ref"
done
echo "logs: $OUT" >&2
