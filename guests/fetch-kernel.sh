#!/bin/bash
# fetch-kernel.sh — a Debian kernel for faultline's guests, fetched by name and unpacked (never
# installed) into a kernel root that guests/build-image.sh --kernel-root and the sensor builds read.
#
#   guests/fetch-kernel.sh --archive URI [--security URI] --suite SUITE [--arch amd64|arm64]
#                          [--kver KVER] --dir KERNELS_DIR
#
# SUITE is bullseye, bookworm or trixie; URI the Debian archive, --security the Debian security
# archive (faultline derives both from the host's /etc/apt/sources.list.d). The packages are
# looked up in SUITE, SUITE-updates and SUITE-security: a Debian machine that takes its security
# updates runs the newest kernel of the three. Without --kver the version is the one
# linux-image-ARCH of those depends on, asked of the archive when the last answer, kept in
# KERNELS_DIR/names/SUITE[-arm64], is older than FAULTLINE_KERNEL_MAX_AGE seconds (default 86400:
# a day; 0 asks at every run). Asking costs an apt-get update, 30 s and more here (the archive's
# InRelease files are fetched whole every time), so a run within the day takes the kept answer.
# When the archive cannot be reached, the remembered version is used, and a line
# "fetch-kernel.sh: offline: ..." says so; when it lists a newer version whose packages it
# cannot give, the remembered one too ("fetch-kernel.sh: unavailable: ..."). Apt runs with a private configuration (lists, cache and sources under
# KERNELS_DIR/apt/SUITE, the host's Debian keyring): the host's apt state is untouched.
# The root is KERNELS_DIR/KVER, built in KERNELS_DIR/KVER.new and renamed when whole.
# Prints "KVER ROOT" on its last line of standard output; progress and errors on standard error.
#
# What it takes to build modules against another release's headers on this host:
#  - .kernelvariables names the compiler the kernel was built with (gcc-10 for 5.10, gcc-14 for
#    6.12), which this host may not have: CC is pointed at the host's gcc.
#  - 6.12's config says the compiler has -fmin-function-alignment (gcc 14); gcc 12 does not: that
#    Kconfig symbol is dropped from include/config/auto.conf, so the kernel's Makefile falls back
#    to -falign-functions (the same 16-byte alignment for the module's functions).
#  - 6.12's headers carry vmlinux, so module builds run pahole for BTF (not installed here, and
#    the sensors do not need module BTF): CONFIG_DEBUG_INFO_BTF_MODULES is dropped from auto.conf.
#  - a kbuild program linked against a newer glibc than the host's (trixie's modpost, objtool and
#    resolve_btfids need GLIBC_2.38): it is run through that release's own dynamic loader and
#    libraries, unpacked beside it under ROOT/runtime, by a wrapper in its place.
#
# --arch arm64 (guests for qemu-system-aarch64, built on this amd64 host):
#  - the arm64 linux-headers' scripts/ point into linux-kbuild-SERIES, whose fixdep, modpost,
#    genksyms... are arm64 programs. The amd64 linux-kbuild of the same version is built from
#    the same source, so it is the one unpacked: the module build then runs host programs.
#  - .kernelvariables gets CC = aarch64-linux-gnu-gcc and CROSS_COMPILE = aarch64-linux-gnu-
#    (package gcc-aarch64-linux-gnu); its ARCH is already arm64.
#  - the guest's busybox is busybox-static of the suite's arm64 packages, unpacked in
#    ROOT/cross (ROOT/cross/bin/busybox).
#  - user-space loaders that link libraries statically (the eBPF design's: libbpf, libelf, zlib,
#    zstd) find the arm64 -dev packages of Debian 12 unpacked in ROOT/cross too (the host's
#    cross compiler is Debian 12's, whatever the guest's release).
set -euo pipefail

prog=fetch-kernel.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

archive='' security='' suite='' kver='' dir='' arch=amd64
while [ $# -gt 0 ]; do
	case "$1" in
	--archive) archive=${2-}; shift 2 || die "--archive needs a value" ;;
	--security) security=${2-}; shift 2 || die "--security needs a value" ;;
	--suite) suite=${2-}; shift 2 || die "--suite needs a value" ;;
	--kver) kver=${2-}; shift 2 || die "--kver needs a value" ;;
	--arch) arch=${2-}; shift 2 || die "--arch needs a value" ;;
	--dir) dir=${2-}; shift 2 || die "--dir needs a value" ;;
	*) die "usage: $prog --archive URI [--security URI] --suite SUITE [--arch ARCH] [--kver KVER] --dir DIR" ;;
	esac
done
if [ -z "$archive" ] || [ -z "$suite" ] || [ -z "$dir" ]; then
	die "--archive, --suite and --dir are required"
fi
case "$arch" in
amd64) tag=$suite archs=(-o "APT::Architectures::=amd64") ;;
arm64) tag=$suite-arm64 archs=(-o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64") ;;
*) die "--arch $arch: expected amd64 or arm64" ;;
esac
names_tag=$tag

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
aptdir=$dir/apt/$tag
apt_opts=(-o "Dir::State=$aptdir/state" -o "Dir::State::status=$aptdir/state/status"
	-o "Dir::Cache=$aptdir/cache" -o "Dir::Etc::SourceList=$aptdir/sources.list"
	-o "Dir::Etc::SourceParts=$aptdir/parts.d" -o "Dir::Etc::Preferences=$aptdir/preferences"
	-o "Dir::Etc::PreferencesParts=$aptdir/parts.d" -o "APT::Architecture=amd64"
	"${archs[@]}" -o "Debug::NoLocking=1" -o "Acquire::http::Timeout=20" -o "Acquire::Retries=1" -q)

usable() { # ROOT KVER
	[ -f "$1/boot/vmlinuz-$2" ] && [ -f "$1/lib/modules/$2/modules.dep" ] &&
		[ -f "$1/lib/modules/$2/build/Makefile" ]
}

sources() {
	echo "deb [signed-by=$keyring] $archive $suite main"
	echo "deb [signed-by=$keyring] $archive $suite-updates main"
	if [ -n "$security" ]; then
		echo "deb [signed-by=$keyring] $security $suite-security main"
	fi
}

# The private apt's sources and lists. Lists already fetched are reused unless "refresh" is
# given (a name's resolution); returns 1 when that refresh failed (the archive unreachable).
apt_setup() { # [refresh]
	mkdir -p "$aptdir/parts.d" "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial"
	touch "$aptdir/state/status"
	sources >"$aptdir/sources.list.new"
	if ! cmp -s "$aptdir/sources.list.new" "$aptdir/sources.list"; then
		mv "$aptdir/sources.list.new" "$aptdir/sources.list"
		rm -f "$aptdir/updated"
	fi
	rm -f "$aptdir/sources.list.new"
	[ -f "$aptdir/updated" ] && [ "${1-}" != refresh ] && return 0
	if ! apt-get "${apt_opts[@]}" update >&2; then
		[ "${1-}" = refresh ] && return 1
		die "apt-get update of $suite from $archive failed (is $suite on that archive?)"
	fi
	touch "$aptdir/updated"
}

# the version linux-image-ARCH of the suite depends on
suite_kver() {
	apt-cache "${apt_opts[@]}" depends "linux-image-$arch:$arch" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^:]*\)\(:[a-z0-9]*\)\?$/\1/p' | head -n 1
}

# the package names of linux-headers-KVER's dependencies that carry files; the kbuild tools
# are always the host's (amd64: see the top)
header_deps() {
	apt-cache "${apt_opts[@]}" depends "linux-headers-$1:$arch" 2>/dev/null |
		sed -n 's/^ *Depends: <\?\(linux-headers-[^ :>]*-common\)\(:[a-z0-9]*\)\?>\?$/\1/p
			s/^ *Depends: \(linux-kbuild-[^ :]*\)\(:[a-z0-9]*\)\?$/\1:amd64/p'
}

download() { # DEST PKG...
	local dest=$1
	shift
	mkdir -p "$dest"
	# apt downloads as _apt where that user exists
	if getent passwd _apt >/dev/null; then
		chown _apt "$dest"
	fi
	local p
	for p in "$@"; do
		(cd "$dest" && apt-get "${apt_opts[@]}" download "$p" >&2) ||
			die "cannot fetch package $p of $suite from $archive"
	done
}

glibc_needed() { # ELF: the newest GLIBC_2.N it names, as N
	objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' | sed 's/GLIBC_2\.//' | sort -n |
		tail -n 1
}

# kbuild programs the host's glibc cannot run: through the release's own loader (see the top)
wrap_new_glibc() { # STAGE
	local stage=$1 host f need list=()
	host=$(getconf GNU_LIBC_VERSION | sed 's/^glibc 2\.//')
	while IFS= read -r -d '' f; do
		head -c 4 "$f" | grep -q 'ELF' || continue
		need=$(glibc_needed "$f")
		[ -n "$need" ] && [ "$need" -gt "$host" ] && list+=("$f")
	done < <(find "$stage"/usr/lib/linux-kbuild-* -type f -perm -u+x -print0)
	[ ${#list[@]} -gt 0 ] || return 0
	local kbuild pkgs=() rt=$stage/runtime
	kbuild=$(basename "$stage"/usr/lib/linux-kbuild-*)
	while read -r p; do
		pkgs+=("$p")
	# the host's (amd64) libraries only: with arm64 also configured, a foreign one is named lib:arm64
	done < <(apt-cache "${apt_opts[@]}" depends --recurse --important "$kbuild:amd64" 2>/dev/null |
		sed -n 's/^ *\(PreDepends\|Depends\): \(lib[^ <>:]*\)\(:amd64\)\?$/\2/p' | sort -u)
	download "$stage/debs-rt" "${pkgs[@]}"
	for deb in "$stage"/debs-rt/*.deb; do
		dpkg-deb -x "$deb" "$rt"
	done
	rm -rf "$stage/debs-rt"
	local final=$dir/$kver/runtime ld libs
	ld=
	for f in usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; do
		[ -e "$rt/$f" ] && ld=$f && break
	done
	[ -n "$ld" ] || die "no dynamic loader in $suite's libc6"
	libs="$final/usr/lib/x86_64-linux-gnu:$final/lib/x86_64-linux-gnu"
	for f in "${list[@]}"; do
		mv "$f" "$f.bin"
		# shellcheck disable=SC2016 # $0 and $@ are the wrapper's own
		printf '#!/bin/sh\nexec %s --library-path %s --argv0 "$0" "$0.bin" "$@"\n' \
			"$final/$ld" "$libs" >"$f"
		chmod 755 "$f"
		echo "$prog: ${f#"$stage"/} needs GLIBC_2.$(glibc_needed "$f.bin"): runs on $suite's libc" >&2
	done
}

unpack() { # KVER
	local kver=$1 root=$dir/$1 stage=$dir/$1.new pkgs hdr
	pkgs=("linux-image-$kver:$arch" "linux-headers-$kver:$arch")
	while read -r p; do
		pkgs+=("$p")
	done < <(header_deps "$kver")
	[ ${#pkgs[@]} -ge 4 ] || die "package linux-headers-$kver (or its -common and linux-kbuild) is not in $suite of $archive"
	rm -rf "$stage"
	download "$stage/debs" "${pkgs[@]}"
	for deb in "$stage"/debs/*.deb; do
		dpkg-deb -x "$deb" "$stage"
	done
	rm -rf "$stage/debs"
	# a package that ships /usr/lib/modules (merged /usr) is read where the others are
	if [ ! -e "$stage/lib" ] && [ -d "$stage/usr/lib/modules" ]; then
		ln -s usr/lib "$stage/lib"
	fi
	[ -f "$stage/boot/vmlinuz-$kver" ] || die "package linux-image-$kver of $suite has no /boot/vmlinuz-$kver"
	depmod -b "$stage" "$kver"
	# The packages point at /usr/src with absolute paths: point them into the final root.
	hdr=$stage/usr/src/linux-headers-$kver
	ln -sfn "$root/usr/src/linux-headers-$kver" "$stage/lib/modules/$kver/build"
	sed -i "s#^include /usr/src/#include $root/usr/src/#" "$hdr/Makefile"
	if [ "$arch" = arm64 ]; then
		command -v aarch64-linux-gnu-gcc >/dev/null ||
			die "aarch64-linux-gnu-gcc not found (install gcc-aarch64-linux-gnu)"
		sed -i 's/^CC = .*/CC = aarch64-linux-gnu-gcc/' "$hdr/.kernelvariables"
		grep -q '^CROSS_COMPILE' "$hdr/.kernelvariables" ||
			echo 'CROSS_COMPILE = aarch64-linux-gnu-' >>"$hdr/.kernelvariables"
		download "$stage/debs-cross" "busybox-static:arm64"
		dpkg-deb -x "$stage"/debs-cross/busybox-static_*.deb "$stage/cross"
		rm -rf "$stage/debs-cross"
		# trixie's package has merged /usr: usr/bin/busybox
		if [ ! -e "$stage/cross/bin/busybox" ] && [ -f "$stage/cross/usr/bin/busybox" ]; then
			mkdir -p "$stage/cross/bin"
			ln -s ../usr/bin/busybox "$stage/cross/bin/busybox"
		fi
		[ -f "$stage/cross/bin/busybox" ] || die "package busybox-static:arm64 of $suite has no /bin/busybox"
	else
		sed -i 's/^CC = .*/CC = gcc/' "$hdr/.kernelvariables"
	fi
	if ! gcc -Werror -fmin-function-alignment=16 -x c -c -o /dev/null /dev/null 2>/dev/null; then
		sed -i '/^CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=/d' "$hdr/include/config/auto.conf"
	fi
	# module BTF needs pahole of the kernel's generation; the sensors do not need it
	sed -i '/^CONFIG_DEBUG_INFO_BTF_MODULES=/d' "$hdr/include/config/auto.conf"
	wrap_new_glibc "$stage"
	rm -rf "$root"
	mv "$stage" "$root"
	usable "$root" "$kver" || die "$root/lib/modules/$kver incomplete"
	echo "$prog: $kver of $suite unpacked in $root" >&2
}

mkdir -p "$dir/names"
# one fetcher at a time per suite and arch (runs at once share KERNELS_DIR and its private apt)
exec 9>"$dir/.lock-$tag"
flock 9
named=
if [ -z "$kver" ]; then
	named=1
	# names/TAG: the version, then which sources gave it (an answer from other sources, or
	# one without that line, is asked again whatever its age)
	remembered='' online='' same=''
	sig=$(sources | sha256sum | cut -c1-16)
	if [ -f "$dir/names/$tag" ] && usable "$dir/$(head -n 1 "$dir/names/$tag")" "$(head -n 1 "$dir/names/$tag")"; then
		remembered=$(head -n 1 "$dir/names/$tag")
		[ "$(sed -n 2p "$dir/names/$tag")" = "$sig" ] && same=1
	fi
	max_age=${FAULTLINE_KERNEL_MAX_AGE:-86400}
	case "$max_age" in '' | *[!0-9]*) die "FAULTLINE_KERNEL_MAX_AGE=$max_age: expected seconds" ;; esac
	if [ -n "$same" ] && [ $(($(date +%s) - $(stat -c %Y "$dir/names/$tag"))) -lt "$max_age" ]; then
		kver=$remembered # asked less than max_age ago
	elif apt_setup refresh; then
		online=1
		kver=$(suite_kver)
		[ -n "$kver" ] || die "package linux-image-$arch not found in $suite of $archive"
		if [ -n "$remembered" ] && [ "$remembered" != "$kver" ]; then
			echo "$prog: $suite ($arch) now means $kver (was $remembered)" >&2
		fi
	elif [ -n "$remembered" ]; then
		kver=$remembered
		echo "$prog: offline: $archive cannot be reached; $suite ($arch) is the remembered $kver of $(date -u -r "$dir/names/$tag" +%F), perhaps not the newest" >&2
	else
		die "apt-get update of $suite from $archive failed, and no version of $suite ($arch) is remembered"
	fi
fi
# A name's newest version that the archive lists but cannot give (a mirror without that file):
# the remembered version, said so, and kept as the name's answer for the day.
if [ -n "$named" ] && [ -n "$remembered" ] && [ "$remembered" != "$kver" ] && ! usable "$dir/$kver" "$kver"; then
	set +e
	(
		set -e
		apt_setup
		unpack "$kver"
	)
	rc=$?
	set -e
	if [ "$rc" != 0 ]; then
		rm -rf "${dir:?}/$kver.new"
		echo "$prog: unavailable: $kver of $suite ($arch) cannot be fetched from $archive; the remembered $remembered is used" >&2
		kver=$remembered
	fi
fi
if ! usable "$dir/$kver" "$kver"; then
	apt_setup
	if ! apt-cache "${apt_opts[@]}" show "linux-image-$kver:$arch" >/dev/null 2>&1; then
		# lists fetched before that version was published
		apt_setup refresh || true
		apt-cache "${apt_opts[@]}" show "linux-image-$kver:$arch" >/dev/null 2>&1 ||
			die "package linux-image-$kver not found in $suite of $archive"
	fi
	unpack "$kver"
fi
# the arm64 static libraries, into a root fetched before they were part of it too
cross_libs="libbpf-dev libelf-dev zlib1g-dev libzstd-dev"
if [ "$arch" = arm64 ] && [ ! -f "$dir/$kver/cross/.libs" ]; then
	if [ "$suite" != bookworm ]; then # the host's cross libc is bookworm's
		suite=bookworm aptdir=$dir/apt/bookworm-arm64
		apt_opts=(-o "Dir::State=$aptdir/state" -o "Dir::State::status=$aptdir/state/status"
			-o "Dir::Cache=$aptdir/cache" -o "Dir::Etc::SourceList=$aptdir/sources.list"
			-o "Dir::Etc::SourceParts=$aptdir/parts.d" -o "Dir::Etc::Preferences=$aptdir/preferences"
			-o "Dir::Etc::PreferencesParts=$aptdir/parts.d" -o "APT::Architecture=amd64"
			"${archs[@]}" -o "Debug::NoLocking=1" -o "Acquire::http::Timeout=20" -q)
	fi
	apt_setup
	# shellcheck disable=SC2086,SC2046 # a list of names
	download "$dir/$kver/cross/debs" $(printf '%s:arm64 ' $cross_libs)
	for deb in "$dir/$kver"/cross/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/$kver/cross"
	done
	rm -rf "$dir/$kver/cross/debs"
	touch "$dir/$kver/cross/.libs"
fi
if [ -n "$named" ] && [ -n "$online" ]; then
	printf '%s\n%s\n' "$kver" "$sig" >"$dir/names/$names_tag.new"
	mv "$dir/names/$names_tag.new" "$dir/names/$names_tag"
fi
echo "$kver $dir/$kver"
