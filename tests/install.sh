#!/bin/bash
# install.sh BUILD_DIR SRC AGENT(yes|no) [KEEP_DIR] — `meson install` staged with DESTDIR, the
# staged tree moved elsewhere, and the installed faultline run from there with its source tree
# out of reach (a mount namespace hides it where one can be made; either way the paths it prints
# must be the installed ones): it validates the installed example scenarios and format, lists
# the quickstart's cases, prints its help and man pages, and its completions are in place.
# AGENT says whether this build has the static guest agent (a sanitizer build has not).
# With KEEP_DIR the installed tree is left there (PREFIX in KEEP_DIR/prefix) for a caller that
# runs it further; otherwise it is removed.
set -euo pipefail
build=$1 src=$2 agent=$3 keep=${4:-}
tmp=$(mktemp -d /tmp/faultline-install-XXXXXX)
[ -n "$keep" ] || trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "meson install"; }
exe=$(find "$tmp/stage" -path '*/bin/faultline' -type f)
[ -n "$exe" ] || fail "no bin/faultline installed under $tmp/stage"
prefix=${exe#"$tmp/stage"}
prefix=${prefix%/bin/faultline}
# moved: the binary may not rely on the prefix it was configured with
mv "$tmp/stage$prefix" "$tmp/moved"
rm -rf "$tmp/stage"
p=$tmp/moved
data=$p/share/faultline
[ -n "$keep" ] && { rm -rf "$keep"; mkdir -p "$keep"; mv "$p" "$keep/prefix"; p=$keep/prefix; data=$p/share/faultline; }

# what is installed, and with which modes
for f in bin/faultline share/faultline/guests/build-image.sh \
	share/faultline/guests/sensors/ksensor/kstrigger; do
	[ -x "$p/$f" ] || fail "$f not installed as an executable"
done
for f in share/faultline/guests/sensors/ksensor/Makefile share/faultline/guests/sensors/ksensor/ksensor.c \
	share/faultline/guests/sensors/ksensor-legacy/sensor.yaml share/faultline/guests/formats/kscu.yaml \
	share/faultline/scenarios/quickstart.yaml share/faultline/scenarios/content/basic.kscu \
	share/man/man1/faultline.1 share/man/man1/faultline-run.1 share/man/man1/faultline-bench.1 \
	share/bash-completion/completions/faultline share/zsh/site-functions/_faultline; do
	[ -f "$p/$f" ] || fail "$f not installed"
done
if [ "$agent" = yes ]; then
	[ -x "$data/guests/faultline-agent" ] || fail "the guest agent is not installed"
fi
# install-agent.sh runs from the data dir: its shared part (lib-disk.sh) is beside it
"$data/guests/install-agent.sh" --help | grep -q "^install-agent.sh — " ||
	fail "the installed install-agent.sh does not run"
[ -f "$data/guests/guest-cmdline" ] || fail "guests/guest-cmdline not installed"
for cmd in run bench validate mutate classify replay report compare; do
	[ -f "$p/share/man/man1/faultline-$cmd.1" ] || fail "no man page faultline-$cmd(1)"
done
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$p/share/man/man1/faultline-run.1" 2>/dev/null | grep -q -- '--isolation' ||
		fail "man faultline-run does not render its options"
fi

# Run the installed binary with the source tree hidden: in a mount namespace with an empty
# folder mounted over it when one can be made, else as is.
unset FAULTLINE_DATA_DIR FAULTLINE_SENSORS_DIR FAULTLINE_FORMATS_DIR FAULTLINE_AGENT FAULTLINE_SOURCE_DIR
hidden=no
if unshare -m true 2>/dev/null; then
	hidden=yes
fi
installed() {
	if [ "$hidden" = yes ]; then
		unshare -m sh -c 'mount -t tmpfs tmpfs "$1" && shift && cd / && exec "$@"' _ \
			"$(realpath "$src")" "$p/bin/faultline" "$@"
	else
		(cd / && "$p/bin/faultline" "$@")
	fi
}

installed --version | grep '^faultline ' >/dev/null || fail "faultline --version"
installed run --help | grep -- '--isolation' >/dev/null || fail "faultline run --help"
installed validate "$data"/scenarios/*.yaml "$data"/guests/formats/*.yaml ||
	fail "the installed examples do not validate"
out=$(installed run --list "$data/scenarios/quickstart.yaml") || fail "run --list: $out"
echo "$out" | tail -1 | grep -qx '7 cases x 2 sensors' || fail "run --list printed: $out"
# a sensor it cannot find is looked for among the installed ones, not in the source tree
printf 'name: lost\nsensors: [nosuch]\nformat: kscu\ncases:\n  - name: a\n    content: %s\n' \
	"$data/scenarios/content/basic.kscu" >"$tmp/lost.yaml"
out=$(installed validate "$tmp/lost.yaml" 2>&1) && fail "validate took an unknown sensor"
case $out in
*"$(realpath "$data")/guests/sensors/nosuch/sensor.yaml"*) ;;
*) fail "the installed binary looked for sensors elsewhere: $out" ;;
esac
# FAULTLINE_DATA_DIR moves them
out=$(FAULTLINE_DATA_DIR=/nonexistent installed validate "$tmp/lost.yaml" 2>&1) || true
case $out in
*/nonexistent/guests/sensors/nosuch/*) ;;
*) fail "FAULTLINE_DATA_DIR was not followed: $out" ;;
esac
echo "install: $p runs from its own data (source tree hidden: $hidden)"
