#!/bin/sh
# make-cud.sh DB_DIR OUT.cud — pack the text signature databases of DB_DIR (*.hdb, *.ldb, *.ndb
# and COPYING) into an unsigned CVD container, the form of ClamAV's own updates (main.cvd,
# daily.cvd) that libclamav accepts without ClamAV's signature: `sigtool --unsigned --build`
# makes the same layout, but stamps the current time and asks questions; this is byte for byte
# reproducible, so the committed seed can be checked against its sources:
#
#   512-byte header  "ClamAV-VDB:TIME:VERSION:SIGS:FLEVEL:MD5:DSIG:BUILDER:STIME", space-padded
#                    (MD5: of the archive below; DSIG "X": unsigned)
#   tar.gz           COPYING, NAME.info (the header line, then FILE:SIZE:SHA256 per database),
#                    the databases; ustar, owner 0, mode 0, mtime 0
#
# Regenerate the scenario seed after changing a database:
#   guests/sensors/clamav/make-cud.sh guests/sensors/clamav/db scenarios/content/clamav.cud
set -eu
[ $# -eq 2 ] || { echo "usage: make-cud.sh DB_DIR OUT.cud" >&2; exit 64; }
src=$1
out=$2
name=$(basename "$out" .cud)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dbs=$(cd "$src" && ls -- *.hdb *.ldb *.ndb 2>/dev/null | LC_ALL=C sort)
[ -n "$dbs" ] || { echo "make-cud.sh: no *.hdb, *.ldb or *.ndb in $src" >&2; exit 1; }
sigs=0
for f in $dbs; do
	sigs=$((sigs + $(grep -c . "$src/$f")))
done
# what the header says besides the digest: a fixed build time, version 1, functionality level
# 81 (ClamAV 0.99: everything these signatures use)
fields="01 Jan 2026 00-00 +0000:1:$sigs:81"
{
	echo "ClamAV-VDB:$fields:X:X:faultline:1767225600"
	for f in $dbs; do
		echo "$f:$(wc -c <"$src/$f"):$(sha256sum "$src/$f" | cut -d' ' -f1)"
	done
} >"$tmp/$name.info"
cp "$src/COPYING" "$tmp/COPYING"
for f in $dbs; do cp "$src/$f" "$tmp/$f"; done
(cd "$tmp" && tar -cf archive.tar --format=ustar --owner=0 --group=0 --numeric-owner \
	--mtime=@0 --mode=0 -- COPYING "$name.info" $dbs)
gzip -n -9 <"$tmp/archive.tar" >"$tmp/archive.tgz"
md5=$(md5sum "$tmp/archive.tgz" | cut -d' ' -f1)
header="ClamAV-VDB:$fields:$md5:X:faultline:1767225600"
printf '%-512s' "$header" >"$tmp/out"
cat "$tmp/archive.tgz" >>"$tmp/out"
mv "$tmp/out" "$out"
