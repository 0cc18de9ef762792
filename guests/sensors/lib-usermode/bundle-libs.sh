#!/bin/sh
# bundle-libs.sh BINARY OUT.tar — the shared libraries and the ELF loader a dynamic BINARY needs
# (as ldd resolves them on this host), in a tar to unpack at / in the guest, which has busybox
# and static programs only. Paths are kept (the loader must sit where the binary's PT_INTERP
# says). A sensor.yaml ships the tar with files: and unpacks it in start:.
set -eu
bin=$1
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libs=$(LC_ALL=C ldd "$bin" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }')
[ -n "$libs" ] || { echo "bundle-libs: $bin: no shared libraries found (static?)" >&2; exit 1; }
for l in $libs; do
	mkdir -p "$tmp$(dirname "$l")"
	cp -L "$l" "$tmp$l"
done
# Debian's /lib is a symlink to /usr/lib: keep both spellings working in the guest.
# Only the directories that hold files: an entry for "." would re-mode the guest's /.
(cd "$tmp" && tar -cf "$out.tmp" --owner=0 --group=0 --sort=name --mtime=@0 --mode=go+rX -- *)
mv "$out.tmp" "$out"
