#!/bin/bash
# run-fuzz-diskboot.sh — build the disk probe's libFuzzer target with clang (ASan + UBSan) and
# run it for a bounded time, seeded with the first sectors of disks made here: an MBR with boot
# code, a GPT with an EFI system partition, a whole-disk ext4 (when sfdisk and mkfs.ext4 exist).
# Usage: tests/fuzz/run-fuzz-diskboot.sh [SECONDS]    (default 60; OUT=dir for the build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
OUT=${OUT:-/tmp/faultline-fuzz-diskboot}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-diskboot.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/harness/base" \
	"$here/fuzz-diskboot.c" "$src/harness/base/diskboot.c" "$src/harness/base/util.c" \
	-lcrypto -o "$OUT/fuzz-diskboot"
d=$OUT/disk
truncate -s 0 "$d" && truncate -s 2M "$d"
if printf 'label: dos\nstart=2048, type=83\n' | /sbin/sfdisk -q "$d" >/dev/null 2>&1; then
	printf '\353\143\220GRUB' | dd of="$d" conv=notrunc status=none
	head -c 65536 "$d" >"$OUT/corpus/mbr"
	truncate -s 0 "$d" && truncate -s 2M "$d"
	printf 'label: gpt\nstart=2048, size=1024, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n' |
		/sbin/sfdisk -q "$d" >/dev/null 2>&1
	head -c 65536 "$d" >"$OUT/corpus/gpt"
fi
truncate -s 0 "$d" && truncate -s 2M "$d"
/sbin/mkfs.ext4 -q -F "$d" >/dev/null 2>&1 && head -c 4096 "$d" >"$OUT/corpus/ext4"
rm -f "$d"
"$OUT/fuzz-diskboot" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -25
