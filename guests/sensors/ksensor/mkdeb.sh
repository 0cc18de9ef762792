#!/bin/sh
# mkdeb.sh — package a built ksensor module as a Debian package, the way a vendor ships it:
# the module under /lib/modules/KVER/updates, loaded at boot by systemd-modules-load
# (/etc/modules-load.d/ksensor.conf), and ksensor-content.service, which loads the kept update
# (/var/lib/ksensor/content.kscu) or the shipped baseline into /dev/ksensor once the module is in.
#
#   mkdeb.sh PACKAGE OUT KVER     (OUT holds ksensor.ko; writes OUT/PACKAGE.deb)
set -eu
[ $# -eq 3 ] || { echo "usage: mkdeb.sh PACKAGE OUT KVER" >&2; exit 64; }
pkg=$1 out=$2 kver=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
[ -f "$out/ksensor.ko" ] || { echo "mkdeb.sh: $out/ksensor.ko not built" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "mkdeb.sh: dpkg-deb not found" >&2; exit 1; }
d=$out/deb-root
rm -rf "$d"
install -D -m 0644 "$out/ksensor.ko" "$d/lib/modules/$kver/updates/ksensor.ko"
install -D -m 0644 /dev/null "$d/etc/modules-load.d/ksensor.conf"
echo ksensor >"$d/etc/modules-load.d/ksensor.conf"
install -D -m 0755 "$here/kstrigger" "$d/usr/lib/ksensor/kstrigger"
install -D -m 0755 "$top/sensors/lib-usermode/probe" "$d/usr/lib/ksensor/probe"
install -D -m 0644 "$top/../scenarios/content/basic.kscu" "$d/usr/lib/ksensor/baseline.kscu"
install -D -m 0755 "$here/deb/load-content" "$d/usr/lib/ksensor/load-content"
install -D -m 0644 "$here/deb/ksensor-content.service" \
	"$d/lib/systemd/system/ksensor-content.service"
mkdir -p "$d/var/lib/ksensor" "$d/DEBIAN"
sed "s/@PACKAGE@/$pkg/; s/@KVER@/$kver/" "$here/deb/control" >"$d/DEBIAN/control"
sed "s/@KVER@/$kver/" "$here/deb/postinst" >"$d/DEBIAN/postinst"
chmod 0755 "$d/DEBIAN/postinst"
# reproducible: the same module makes the same package (the image cache keys on its bytes)
find "$d" -exec touch -h -d @0 {} +
SOURCE_DATE_EPOCH=0 dpkg-deb --root-owner-group -Zxz --build "$d" "$out/$pkg.deb.new" >/dev/null
cmp -s "$out/$pkg.deb.new" "$out/$pkg.deb" 2>/dev/null && rm -f "$out/$pkg.deb.new" ||
	mv -f "$out/$pkg.deb.new" "$out/$pkg.deb"
rm -rf "$d"
