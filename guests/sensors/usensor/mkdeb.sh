#!/bin/sh
# mkdeb.sh — package a built usensor as a Debian package, the way a vendor ships a user-mode
# sensor: usensord started and restarted by systemd (usensor.service, Restart=on-failure), its
# log in the journal, its content in /var/lib/usensor, the last good content put back after two
# deaths (ExecStopPost).
#
#   mkdeb.sh PACKAGE OUT     (OUT holds usensord and sensorctl; writes OUT/PACKAGE.deb)
set -eu
[ $# -eq 2 ] || { echo "usage: mkdeb.sh PACKAGE OUT" >&2; exit 64; }
pkg=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
for f in usensord sensorctl; do
	[ -f "$out/$f" ] || { echo "mkdeb.sh: $out/$f not built" >&2; exit 1; }
done
command -v dpkg-deb >/dev/null || { echo "mkdeb.sh: dpkg-deb not found" >&2; exit 1; }
d=$out/deb-root
rm -rf "$d"
install -D -m 0755 "$out/usensord" "$d/usr/lib/usensor/usensord"
install -D -m 0755 "$out/sensorctl" "$d/usr/lib/usensor/sensorctl"
install -D -m 0755 "$top/sensors/lib-usermode/kstrigger" "$d/usr/lib/usensor/kstrigger"
install -D -m 0755 "$top/sensors/lib-usermode/probe" "$d/usr/lib/usensor/probe"
install -D -m 0644 "$top/../scenarios/content/basic.kscu" "$d/usr/lib/usensor/baseline.kscu"
install -D -m 0755 "$here/deb/install-baseline" "$d/usr/lib/usensor/install-baseline"
install -D -m 0755 "$here/deb/rollback" "$d/usr/lib/usensor/rollback"
install -D -m 0644 "$here/deb/usensor.service" "$d/lib/systemd/system/usensor.service"
mkdir -p "$d/var/lib/usensor" "$d/DEBIAN"
sed "s/@PACKAGE@/$pkg/" "$here/deb/control" >"$d/DEBIAN/control"
install -m 0755 "$here/deb/postinst" "$d/DEBIAN/postinst"
# reproducible: the same binaries make the same package (the image cache keys on its bytes)
find "$d" -exec touch -h -d @0 {} +
SOURCE_DATE_EPOCH=0 dpkg-deb --root-owner-group -Zxz --build "$d" "$out/$pkg.deb.new" >/dev/null
cmp -s "$out/$pkg.deb.new" "$out/$pkg.deb" 2>/dev/null && rm -f "$out/$pkg.deb.new" ||
	mv -f "$out/$pkg.deb.new" "$out/$pkg.deb"
rm -rf "$d"
