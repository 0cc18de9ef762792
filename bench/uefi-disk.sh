#!/bin/bash
# uefi-disk.sh — a foreign disk image that boots by itself under UEFI (guest: {disk: PATH,
# firmware: uefi}): the Debian 12 image faultline built for ksensor-legacy-deb (the agent in it),
# made into a GPT disk with an EFI system partition and systemd-boot by
# guests/make-uefi-disk.sh, then given by path only; OVMF boots it. The quickstart's first two
# cases in snapshot isolation must give the initramfs' verdicts and titles. Too slow for the vm
# suite under TCG (a full system's boot under OVMF), hence here.
#
# Usage: bench/uefi-disk.sh [BUILD_DIR] [STATE_DIR]
#   (defaults: ./build, /var/lib/faultline as root else ~/.cache/faultline; the Debian image is
#   built first if it is not there, which takes minutes)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
state=${2:-}
bench_state
bench_faultline "$build"
[ -r /usr/share/ovmf/OVMF.fd ] || { echo "no OVMF: install ovmf (.ci/setup does)"; exit 77; }
bench_work uefi
bench_load start
bench_disk uefi 400s GPT/ESP "BdsDxe\|systemd-boot\|EFI stub" \
	"the template booted through the firmware (console: OVMF/systemd-boot/EFI stub)"
exit $rc
