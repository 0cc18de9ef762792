#!/bin/bash
# cmplog-emulator.sh — `faultline fuzz --cmplog emulator` on QEMU 10 (the bookworm-backports
# chroot of bench/qemu-versions.sh; QEMU 7.2's plugin API reads no registers): campaigns on the
# kref reference sensor from its two valid seeds only, with the emulator's comparison operands
# and without them, side by side (bench/kref-campaign.sh, which maps each find to a planted bug;
# no host build of the sensor is used).
# Usage (as root): bench/cmplog-emulator.sh [DURATION (30m)] [PRNG SEED (1)] [OUT_DIR]
# Everything in the chroot runs under nice 19; OUT_DIR (default a new /tmp/cmplog-emulator-XXXXXX)
# gets the campaigns, their logs and summary.txt (finds, executions, load).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30m} seed=${2:-1}
out=${3:-$(mktemp -d /tmp/cmplog-emulator-XXXXXX)}
root=/var/lib/faultline/qemu-backports
[ "$(id -u)" = 0 ] || { echo "cmplog-emulator.sh: run as root (the chroot)" >&2; exit 2; }
mkdir -p "$out"
nice -n 19 bench/qemu-versions.sh --build-only --root "$root" >"$out/versions.txt"
rm -rf "$root/root/cmplog-emulator"
# shellcheck disable=SC2016 # $1, $2: the inner shell's
QV_NO_BUILD=1 bench/qemu-versions.sh --root "$root" --shell /bin/sh -c \
	'cd /root/faultline && qemu-system-x86_64 --version | head -n 1 &&
	exec nice -n 19 bench/kref-campaign.sh build/faultline emulator /root/cmplog-emulator "$1" "$2"' \
	_ "$duration" "$seed" 2>&1 | tee "$out/bench.log"
cp -r "$root/root/cmplog-emulator/." "$out/"
echo "cmplog-emulator.sh: campaigns and logs in $out (plain: no operands; cmplog: --cmplog emulator)"
