#!/bin/bash
# format-cli.sh FAULTLINE SOURCE_DIR — `faultline format show` decodes every shipped format's
# seeds (every field, and their sizes add up to the file), and says where and why a broken one
# stops; `faultline mutate --op '[]'` writes nothing; inputs equal to the seed are dropped and
# counted, and a checksum fix-up that undid a byte op is said.
set -uo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# every shipped format with the seeds a scenario feeds it (the same list as test-format.c's
# test_shipped_seeds_roundtrip, which re-encodes them byte for byte)
seeds="kscu basic.kscu
kscu ext.kscu
apparmor apparmor.aa
clamav-cvd clamav.cud
kref kref-basic.kref
kref kref-nested.kref
selinux selinux.pol
bpf-bytecode bpf-bytecode.bpf"
for f in "$src"/guests/formats/*.yaml; do
	name=$(basename "$f" .yaml)
	grep -q "^$name " <<<"$seeds" || bad "guests/formats/$name.yaml: no seed in format-cli.sh and test-format.c"
done
while read -r format seed; do
	out=$("$bin" format show "$src/scenarios/content/$seed" --format "$format" 2>&1)
	rc=$?
	[ "$rc" = 0 ] || bad "$format $seed: exit $rc: $(head -3 <<<"$out")"
	size=$(stat -c %s "$src/scenarios/content/$seed")
	# the file's line: offset 0, the seed's size
	grep -qE "^ +0 +$size  \(file\)$" <<<"$out" || bad "$format $seed: no (file) line of $size bytes"
	# every leaf ends where the next begins, the last at the end of the file
	end=$(awk '/ = / { if ($1 != pos && NR > 3) { print "gap at " $1; exit } pos = $1 + $2 } END { print pos }' <<<"$out")
	[ "$end" = "$size" ] || bad "$format $seed: the leaves do not tile the file ($end of $size)"
	echo "ok: $format $seed: $(grep -c ' = ' <<<"$out") fields"
done <<<"$seeds"

# a broken seed: where (path, offset) and why, exit 1
head -c 40 "$src/scenarios/content/basic.kscu" >"$tmp/short.kscu"
out=$("$bin" format show "$tmp/short.kscu" --format kscu 2>&1)
rc=$?
[ "$rc" = 1 ] || bad "short seed: exit $rc, expected 1"
grep -q "does not decode: payload at offset 32: payload_len says 69 bytes, 8 left" <<<"$out" ||
	bad "short seed: $out"
"$bin" format show "$tmp/short.kscu" >/dev/null 2>&1
[ $? = 2 ] || bad "format show without --format: not a usage error"
"$bin" format shoe "$tmp/short.kscu" --format kscu >/dev/null 2>&1
[ $? = 2 ] || bad "format shoe: not a usage error"

# mutate: an empty list does nothing
out=$("$bin" mutate --format kscu --op '[]' "$src/scenarios/content/basic.kscu" "$tmp/none" 2>&1)
grep -q "^0 input(s) written .*the mutation list is empty" <<<"$out" || bad "--op '[]': $out"
[ "$(ls "$tmp/none")" = manifest.jsonl ] && [ ! -s "$tmp/none/manifest.jsonl" ] ||
	bad "--op '[]' wrote inputs: $(ls "$tmp/none")"
# a bitflip of the CRC, undone by the fix-up: said, and dropped as equal to the seed
out=$("$bin" mutate --format kscu --op '{op: bitflip, at: crc32, count: 3}' \
	"$src/scenarios/content/basic.kscu" "$tmp/crc" 2>&1)
grep -q "^0 input(s) written .*3 equal to the seed dropped" <<<"$out" || bad "crc bitflip: $out"
grep -q "^warning: 3 mutation(s) undone by the checksum fix-up" <<<"$out" || bad "crc bitflip: $out"
out=$("$bin" mutate --format kscu --op '{op: bitflip, at: crc32, bit: 1}' \
	"$src/scenarios/content/basic.kscu" "$tmp/crc1" 2>&1)
grep -q '"note":"equals the seed: the checksum fix-up' "$tmp/crc1/manifest.jsonl" ||
	bad "one crc bitflip: no note in the manifest"
out=$("$bin" mutate --format kscu --op '{op: bitflip, at: crc32, count: 3, fixup: false}' \
	"$src/scenarios/content/basic.kscu" "$tmp/raw" 2>&1)
grep -q "^3 input(s) written" <<<"$out" || bad "crc bitflip fixup: false: $out"

[ "$fail" = 0 ] && echo "format-cli: ok"
exit "$fail"
