#!/bin/bash
# qemu-versions.sh — the hardened bench on Debian 12's QEMU 7.2 / libvirt 9.0 (this host) and on
# bookworm-backports' QEMU 10.0 / libvirt 11.3 (a chroot), one run each, back to back:
#
#   bench/qemu-versions.sh [--quick] [--root DIR] [--cases N] [--boot-cases N] [--modes LIST]
#   bench/qemu-versions.sh --build-only [--root DIR]        (make the chroot and build in it)
#   bench/qemu-versions.sh --shell [--root DIR] [CMD...]    (a command, or a shell, in it)
#
# The chroot (as root; made once, cached in DIR, default /var/lib/faultline/qemu-backports) is a
# bookworm made by mmdebstrap from this host's own apt source (/etc/apt/sources.list.d/*.sources,
# read at run time) with bookworm-backports added, QEMU, libvirt's embedded QEMU driver and
# libvirt-dev installed from the backports, the rest of faultline's build and run needs from
# bookworm, and the libvirt-qemu user. The host's guest kernel (/boot, /usr/lib/modules,
# /usr/src, /usr/lib/linux-kbuild-*) is bound in read-only. Each use runs in a mount namespace of
# its own whose root is the chroot (pivot_root, not chroot: libvirt's per-QEMU mount namespace
# reads /proc/mounts), so nothing stays mounted afterwards. The committed HEAD of this checkout is built there
# (git archive; rebuilt when HEAD moves) and on the host (build/).
#
# Then, untimed, one reuse case on each side (builds the guest images, fills libvirt's
# capability cache), and timed, back to back: `faultline bench scenarios/bench-hardened.yaml`
# on the host, then in the chroot, all modes, the same cases. Prints one table per mode and
# version: cases/min, median and p95 case, agreement with boot, and the median of each part of
# a case. --quick: 6 cases, 2 in boot mode (a functional check, not a measurement); the default
# is 120 and 12. Logs and runs: $OUT or a new /tmp/qemu-versions-XXXXXX.
# shellcheck disable=SC2016 # single-quoted $1, $r, ${Version}: for mmdebstrap's hooks, the inner shell, dpkg
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

root=/var/lib/faultline/qemu-backports
quick=0 build_only=0 shell=0 cases=120 boot_cases=12 modes=boot,snapshot,warm,reuse
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 cases=6 boot_cases=2; shift ;;
	--root) root=$2; shift 2 ;;
	--cases) cases=$2; shift 2 ;;
	--boot-cases) boot_cases=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--build-only) build_only=1; shift ;;
	--shell) shell=1; shift; break ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) echo "qemu-versions.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "qemu-versions.sh: run as root (mmdebstrap, mounts)" >&2; exit 2; }

die() { echo "qemu-versions.sh: $*" >&2; exit 1; }

# The Debian archive's address for SUITE, from this machine's apt configuration.
mirror_of() { # SUITE
	local f u
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		u=$(awk -v s="$1" 'tolower($1) == "uris:" { u = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) found = 1 }
			/^[ \t]*$/ { if (found && u) { print u; exit } found = 0; u = "" }
			END { if (found && u) print u }' "$f" | head -n 1)
		[ -z "$u" ] || { echo "$u"; return 0; }
	done
	awk -v s="$1" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\// && $(i + 1) == s) { print $i; exit } }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1
}

# From bookworm-backports: what decides the versions under test.
backports=(qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-dev)
# From bookworm: the rest of what building and running faultline needs (.ci/setup's list, less
# arm64, UEFI and Debian-guest tools, which the bench does not use).
stock=(meson ninja-build pkg-config gcc libc6-dev make scdoc libyaml-dev libjson-c-dev
	libssl-dev zlib1g-dev libsqlite3-dev libpq-dev check busybox-static cpio gzip kmod
	e2fsprogs libelf1 binutils xz-utils python3)

make_root() {
	local m sec tmp
	m=$(mirror_of bookworm)
	[ -n "$m" ] || die "no Debian archive for bookworm in /etc/apt/sources.list.d/"
	sec=$(mirror_of bookworm-security)
	command -v mmdebstrap >/dev/null || die "install mmdebstrap"
	tmp=$(mktemp -d)
	{
		printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates bookworm-backports\n' "$m"
		printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		[ -z "$sec" ] || printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$sec"
	} >"$tmp/sources"
	rm -rf "$root.new"
	mkdir -p "$(dirname "$root")"
	echo "qemu-versions.sh: making $root (mmdebstrap, bookworm with backports)" >&2
	# libvirt looks the libvirt-qemu user up even when embedded (as .ci/setup)
	mmdebstrap --quiet --variant=important --include="ca-certificates,$(IFS=,; echo "${stock[*]}")" \
		--customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t bookworm-backports '"${backports[*]}" \
		--customize-hook='chroot "$1" sh -c "getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu; getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu; ! getent group kvm >/dev/null || usermod -aG kvm libvirt-qemu"' \
		--customize-hook='chroot "$1" dpkg-query -W '"${backports[*]}"' >"$1/root/versions"' \
		bookworm "$root.new" "$tmp/sources" >"$tmp/mmdebstrap.log" 2>&1 ||
		{ cat "$tmp/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
	rm -rf "$tmp"
	mv "$root.new" "$root"
}

# CMD... run with the chroot as / in a mount namespace of its own (gone when CMD ends).
in_root() {
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		r=$1
		shift
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		mkdir -p "$r/run/lock" # libvirt locks a console pty in /var/lock
		mount -t tmpfs tmpfs "$r/tmp"
		for d in /boot /usr/lib/modules /usr/src /usr/lib/linux-kbuild-*; do
			[ -d "$d" ] || continue
			mkdir -p "$r$d"
			mount --bind -o ro "$d" "$r$d"
		done
		cp /etc/resolv.conf "$r/etc/resolv.conf"
		cd "$r"
		mkdir -p .host
		pivot_root . .host
		umount -l /.host
		cd /
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb CI=1 "$@"' _ "$root" "$@"
}

build_in_root() {
	local head old f changed=()
	head=$(git -C "$src" rev-parse HEAD)
	old=$(cat "$root/root/faultline.head" 2>/dev/null || true)
	if [ -n "$old" ] && [ "$old" != "$head" ] && git -C "$src" cat-file -e "$old^{commit}" 2>/dev/null; then
		# only what changed, stamped now (--touch), so that ninja rebuilds only that
		while IFS=$'\t' read -r st f; do
			rm -f "$root/root/faultline/$f"
			[ "$st" = D ] || changed+=("$f")
		done < <(git -C "$src" diff --no-renames --name-status "$old" "$head")
		((${#changed[@]} == 0)) ||
			git -C "$src" archive "$head" -- "${changed[@]}" | tar -x --touch -C "$root/root/faultline"
	elif [ "$old" != "$head" ]; then
		rm -rf "$root/root/faultline"
		mkdir -p "$root/root/faultline"
		git -C "$src" archive "$head" | tar -x --touch -C "$root/root/faultline"
	fi
	echo "$head" >"$root/root/faultline.head"
	# QEMU runs as libvirt-qemu: a state dir under the checkout (the vm tests') must be reachable
	chmod 755 "$root/root"
	in_root /bin/sh -c 'cd /root/faultline && { [ -f build/build.ninja ] || meson setup build >/dev/null; } &&
		ninja -C build >/dev/null'
}

[ -d "$root/usr" ] || make_root
[ -z "${QV_NO_BUILD:-}" ] && build_in_root
if ((shell)); then
	(($#)) || set -- /bin/bash
	in_root "$@"
	exit
fi
((!build_only)) || { cat "$root/root/versions"; exit 0; }

{ [ -f build/build.ninja ] || meson setup build >/dev/null; } && ninja -C build >/dev/null
OUT=${OUT:-$(mktemp -d /tmp/qemu-versions-XXXXXX)}
mkdir -p "$OUT"

host_ver="$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')/$(dpkg-query -W -f='${Version}' libvirt0 | cut -d- -f1)"
root_ver="$(in_root qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')/$(in_root dpkg-query -W -f='${Version}' libvirt0 | cut -d- -f1)"

bench_host() { # ARGS...
	build/faultline bench scenarios/bench-hardened.yaml --quiet "$@"
}
bench_root() { # ARGS...
	in_root /bin/sh -c 'cd /root/faultline && exec build/faultline bench scenarios/bench-hardened.yaml --quiet "$@"' _ "$@"
}

# untimed: guest images, templates' first boot, libvirt's capability cache
echo "qemu-versions.sh: warm-up, one reuse case on $host_ver and on $root_ver" >&2
bench_host --modes reuse --cases 1 -o "$OUT/warmup-host" >"$OUT/warmup-host.log" 2>&1 ||
	{ cat "$OUT/warmup-host.log" >&2; die "the warm-up bench failed on the host"; }
rm -rf "$root/root/qv-warmup"
bench_root --modes reuse --cases 1 -o /root/qv-warmup >"$OUT/warmup-root.log" 2>&1 ||
	{ cat "$OUT/warmup-root.log" >&2; die "the warm-up bench failed in the chroot"; }
# a case the harness could not run ends the bench with exit 0: look at the verdicts
for f in "$OUT/warmup-host/reuse/results.jsonl" "$root/root/qv-warmup/reuse/results.jsonl"; do
	grep -q '"verdict":"infra-error"' "$f" && die "the warm-up's case was an infra-error: $(cat "$f")"
	grep -q '"verdict":' "$f" || die "the warm-up left no verdict in $f"
done

args=(--modes "$modes" --cases "$cases" --boot-cases "$boot_cases")
echo "qemu-versions.sh: load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
t0=$(date +%s)
echo "qemu-versions.sh: bench on $host_ver (host): ${args[*]}" >&2
rc_host=0 rc_root=0
bench_host "${args[@]}" -o "$OUT/host" >"$OUT/host.txt" 2>"$OUT/host.err" || rc_host=$?
echo "qemu-versions.sh: load between: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
t1=$(date +%s)
echo "qemu-versions.sh: bench on $root_ver (chroot)" >&2
rm -rf "$root/root/qv-bench"
bench_root "${args[@]}" -o /root/qv-bench >"$OUT/root.txt" 2>"$OUT/root.err" || rc_root=$?
t2=$(date +%s)
cp -r "$root/root/qv-bench" "$OUT/root" 2>/dev/null || true
echo "qemu-versions.sh: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# One table from the two benches' own tables (cli-bench.c's print_figures and print_breakdown).
table() { # FILE VERSION
	awk -v v="$2" '
		$1 == "mode" && $2 == "cases" { fig = 1; next }
		/^per case, median s:/ { fig = 0; br = 1; next }
		fig && NF == 10 { cpm[$1] = $4; med[$1] = $5; p95[$1] = $6; agr[$1] = $10; order[++n] = $1 }
		br && NF == 7 { part[$1] = sprintf("%6s %7s %7s %6s %7s %7s", $2, $3, $4, $5, $6, $7) }
		END { for (i = 1; i <= n; i++) { m = order[i]
			printf "%-9s %-14s %9s %8s %7s %7s  %s\n", m, v, cpm[m], med[m], p95[m], agr[m], part[m] } }' "$1"
}
echo
printf '%-9s %-14s %9s %8s %7s %7s  %6s %7s %7s %6s %7s %7s\n' mode qemu/libvirt cases/min median_s p95_s agree \
	ready deliver observe probe verdict release
{
	table "$OUT/host.txt" "$host_ver"
	table "$OUT/root.txt" "$root_ver"
} | sort -s -k1,1
echo "(cases $cases, boot $boot_cases; host $((t1 - t0)) s, chroot $((t2 - t1)) s; agree: verdict and title as boot's;"
echo " parts: median s per case; exit $rc_host on the host, $rc_root in the chroot; runs and logs in $OUT)"
((quick)) && echo "(--quick: a functional check, not a measurement)"
((rc_host <= 1 && rc_root <= 1)) || exit 1
