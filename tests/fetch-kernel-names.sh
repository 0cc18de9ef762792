#!/bin/bash
# fetch-kernel-names.sh — guests/fetch-kernel.sh's resolution of a name (no --kver) with a
# stand-in apt-get and apt-cache: the archive's newest version when it answers (and the
# remembered one replaced), the remembered one when it does not (said so), an error with neither;
# the suite's -updates and -security in the private apt's sources; the remembered version when a
# newer one is listed but cannot be fetched; an answer younger than
# FAULTLINE_KERNEL_MAX_AGE taken without asking.
#   tests/fetch-kernel-names.sh SOURCE_ROOT
set -euo pipefail
src=$1
fetch=$src/guests/fetch-kernel.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# apt-get: "update" as STUB_UPDATE says; apt-cache: linux-image-amd64 depends on STUB_KVER
mkdir -p "$tmp/bin"
cat >"$tmp/bin/apt-get" <<'STUB'
#!/bin/sh
for a; do [ "$a" = update ] && { echo >>"$STUB_ASKED"; [ "$STUB_UPDATE" = ok ] && exit 0; echo "E: unreachable" >&2; exit 100; }; done
exit 0
STUB
cat >"$tmp/bin/apt-cache" <<'STUB'
#!/bin/sh
for a; do
	case "$a" in
	linux-image-amd64:amd64) echo "linux-image-amd64"; echo "  Depends: linux-image-$STUB_KVER"; exit 0 ;;
	esac
done
exit 0
STUB
chmod +x "$tmp/bin/apt-get" "$tmp/bin/apt-cache"
k=$tmp/kernels
for v in 6.1.0-50-amd64 6.1.0-57-amd64; do # roots already unpacked: nothing to download
	mkdir -p "$k/$v/boot" "$k/$v/lib/modules/$v/build"
	touch "$k/$v/boot/vmlinuz-$v" "$k/$v/lib/modules/$v/modules.dep" "$k/$v/lib/modules/$v/build/Makefile"
done
mkdir -p "$k/names"
echo 6.1.0-50-amd64 >"$k/names/bookworm"
run() { # STUB_UPDATE STUB_KVER [MAX_AGE]: the fetcher's output in $tmp/out, errors in $tmp/err
	PATH=$tmp/bin:$PATH STUB_UPDATE=$1 STUB_KVER=$2 STUB_ASKED=$tmp/asked \
		FAULTLINE_KERNEL_MAX_AGE=${3-0} "$fetch" --archive http://m.invalid/debian \
		--security http://s.invalid/debian-security --suite bookworm --dir "$k" \
		>"$tmp/out" 2>"$tmp/err"
}

# the archive answers with a newer kernel than the remembered one: the newer, and remembered
run ok 6.1.0-57-amd64 || fail "online run: $(cat "$tmp/err")"
[ "$(tail -n 1 "$tmp/out")" = "6.1.0-57-amd64 $k/6.1.0-57-amd64" ] || fail "online: $(cat "$tmp/out")"
grep -q "bookworm (amd64) now means 6.1.0-57-amd64 (was 6.1.0-50-amd64)" "$tmp/err" ||
	fail "online: no note of the change: $(cat "$tmp/err")"
[ "$(head -n 1 "$k/names/bookworm")" = 6.1.0-57-amd64 ] || fail "the newer version not remembered"
grep -qx "deb \[signed-by=[^]]*\] http://m.invalid/debian bookworm-updates main" "$k/apt/bookworm/sources.list" ||
	fail "no -updates: $(cat "$k/apt/bookworm/sources.list")"
grep -qx "deb \[signed-by=[^]]*\] http://s.invalid/debian-security bookworm-security main" \
	"$k/apt/bookworm/sources.list" || fail "no -security: $(cat "$k/apt/bookworm/sources.list")"
# already the newest: no note
run ok 6.1.0-57-amd64 || fail "second online run: $(cat "$tmp/err")"
! grep -q "now means\|offline" "$tmp/err" || fail "a note with nothing changed: $(cat "$tmp/err")"

# asked within the day (the default): the kept answer, the archive not asked
rm -f "$tmp/asked"
run ok 6.1.0-99-amd64 86400 || fail "within the day: $(cat "$tmp/err")"
[ "$(tail -n 1 "$tmp/out")" = "6.1.0-57-amd64 $k/6.1.0-57-amd64" ] || fail "within the day: $(cat "$tmp/out")"
[ ! -e "$tmp/asked" ] || fail "within the day: the archive was asked"
# within the day, but remembered from other sources (no -security then): asked again
head -n 1 "$k/names/bookworm" >"$tmp/one" && cp "$tmp/one" "$k/names/bookworm"
run ok 6.1.0-57-amd64 86400 || fail "other sources: $(cat "$tmp/err")"
[ -e "$tmp/asked" ] || fail "an answer from other sources taken without asking"
rm -f "$tmp/asked"
# a day old: asked again
touch -d "25 hours ago" "$k/names/bookworm"
run ok 6.1.0-57-amd64 86400 || fail "a day old: $(cat "$tmp/err")"
[ -e "$tmp/asked" ] || fail "a day old: the archive was not asked"

# a newer version listed that the archive cannot give: the remembered one, said so
run ok 6.1.0-60-amd64 || fail "unavailable: $(cat "$tmp/err")"
[ "$(tail -n 1 "$tmp/out")" = "6.1.0-57-amd64 $k/6.1.0-57-amd64" ] || fail "unavailable: $(cat "$tmp/out")"
grep -q "^fetch-kernel.sh: unavailable: 6.1.0-60-amd64 of bookworm (amd64) cannot be fetched from http://m.invalid/debian; the remembered 6.1.0-57-amd64 is used" \
	"$tmp/err" || fail "unavailable: not said: $(cat "$tmp/err")"
[ ! -e "$k/6.1.0-60-amd64" ] || fail "unavailable: a root left behind"

# the archive does not answer: the remembered version, said so, and the memory unchanged
touch -d 2026-01-02 "$k/names/bookworm"
run fail 6.1.0-99-amd64 || fail "offline run: $(cat "$tmp/err")"
[ "$(tail -n 1 "$tmp/out")" = "6.1.0-57-amd64 $k/6.1.0-57-amd64" ] || fail "offline: $(cat "$tmp/out")"
grep -q "^fetch-kernel.sh: offline: http://m.invalid/debian cannot be reached; bookworm (amd64) is the remembered 6.1.0-57-amd64 of 2026-01-02" \
	"$tmp/err" || fail "offline: not said: $(cat "$tmp/err")"
[ "$(date -u -r "$k/names/bookworm" +%F)" = 2026-01-02 ] || fail "offline: the memory rewritten"

# neither the archive nor a memory: an error naming the suite and the archive
rm "$k/names/bookworm"
if run fail 6.1.0-57-amd64; then fail "no archive and no memory: succeeded"; fi
grep -q "apt-get update of bookworm from http://m.invalid/debian failed, and no version of bookworm (amd64) is remembered" \
	"$tmp/err" || fail "no archive and no memory: $(cat "$tmp/err")"
echo "fetch-kernel names: ok"
