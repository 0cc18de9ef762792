#!/bin/bash
# system-cost.sh — what a full Debian 12 guest (guest: {system: debian-12}) costs per case against
# the busybox initramfs, measured in one run at the same load, and the packaged usensor's
# protection gap under systemd against the initramfs usensor's under the agent's supervise.
#
# 1. Per-case cost in snapshot isolation: the first CASES cases of scenarios/bench-hardened.yaml
#    (rejected, so no case reboots) by `faultline bench --modes snapshot`, once against
#    ksensor-hardened (initramfs) and once against ksensor-hardened-deb (the same module as a
#    .deb on Debian 12, loaded by systemd); the rates' ratio (goal: the full system at least
#    half the initramfs rate).
# 2. The protection gap: the updates that kill usensor (field-count-mismatch once,
#    huge-instance-count REPEAT times, each with another count so that they are not one case),
#    against usensor (restarted by the agent's supervise) and usensor-deb (usensor.service,
#    Restart=on-failure): each record's protection and protection_gap_ms (from the death to the
#    first probe that passes after the restart).
#
# Usage: bench/system-cost.sh [BUILD_DIR] [CASES] [REPEAT]   (defaults: ./build, 40, 3)
# Environment: FAULTLINE_BENCH_KEEP=1 keeps the runs; FAULTLINE_BENCH_GAP_ONLY=1 skips part 1.
# The Debian images are built on first use (minutes; cached after). Prints the load at start.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
cases=${2:-40}
repeat=${3:-3}
bench_faultline "$build"
bench_work system
# content: paths stay relative to scenarios/, so the variants live there for the run
init=$src/scenarios/.bench-system-init.yaml deb=$src/scenarios/.bench-system-deb.yaml
gap=$src/scenarios/.bench-system-gap.yaml
# FAULTLINE_BENCH_KEEP=1 keeps the runs (consoles, journals) in the printed folder
if [ -n "${FAULTLINE_BENCH_KEEP:-}" ]; then
	trap 'rm -f "$init" "$deb" "$gap"; echo "runs kept in $work"' EXIT
else
	trap 'rm -rf "$work" "$init" "$deb" "$gap"' EXIT
fi
bench_load start

sed 's/^name: bench-hardened/name: system-init/' "$src/scenarios/bench-hardened.yaml" >"$init"
sed 's/^name: bench-hardened/name: system-deb/; s/^sensors: \[ksensor-hardened\]/sensors: [ksensor-hardened-deb]/;
     s/^timeouts: {boot: 90s/timeouts: {boot: 300s/' "$src/scenarios/bench-hardened.yaml" >"$deb"
grep -q 'sensors: \[ksensor-hardened-deb\]' "$deb" || { echo "bench-hardened.yaml changed shape"; exit 1; }
# FAULTLINE_BENCH_GAP_ONLY=1: the protection gap only
for v in init deb; do
	[ -z "${FAULTLINE_BENCH_GAP_ONLY:-}" ] || break
	f=$init
	[ $v = deb ] && f=$deb
	echo "== snapshot, $v"
	"$faultline" bench --modes snapshot --cases "$cases" -q -o "$work/$v" "$f" | tee "$work/$v.txt" || true
done
# the table's snapshot row: mode cases wall_s cases/min ...
rate() { [ ! -f "$1" ] || awk '$1 == "snapshot" && $2 ~ /^[0-9]+$/ { print $4; exit }' "$1"; }
a=$(rate "$work/init.txt") b=$(rate "$work/deb.txt")
if [ -n "$a" ] && [ -n "$b" ]; then
	awk -v a="$a" -v b="$b" 'BEGIN { printf "snapshot cases/min: initramfs %.1f, debian-12 %.1f (%.2f of the initramfs rate; goal 0.50)\n", a, b, b / a }'
fi

{
	cat <<EOF
name: system-gap
seed: 1
format: kscu
fleet: {size: 0, memory: 256, accel: auto}
sensors: [usensor, usensor-deb]
timeouts: {boot: 300s, observe: 15s, hang: 15s, case: 120s}
cases:
EOF
	cat <<EOF
  - name: field-count-mismatch
    content: content/basic.kscu
    mutations:
      - {op: drop, at: "instances[0].fields[last]"}
EOF
	for i in $(seq 1 "$repeat"); do
		cat <<EOF
  - name: huge-instance-count-$i
    content: content/basic.kscu
    mutations:
      - {op: set, at: instance_count, value: $((0x10000 - i))}
EOF
	done
} >"$gap"
echo "== protection gap: usensor (supervise) and usensor-deb (systemd), $((repeat + 1)) updates"
"$faultline" run --isolation snapshot -q -o "$work/gap" "$gap" >"$work/gap.out" 2>&1 || true
python3 - "$work/gap/results.jsonl" <<'EOF'
import json, sys, statistics
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "verdict" not in r:
        continue
    rows.setdefault(r.get("sensor"), []).append(r)
for s, rs in sorted(rows.items()):
    gaps = [r["protection_gap_ms"] for r in rs if (r.get("protection_gap_ms") or -1) >= 0]
    kinds = {}
    for r in rs:
        kinds[r.get("protection") or "-"] = kinds.get(r.get("protection") or "-", 0) + 1
    print(f"{s} ({rs[0].get('system')}): verdicts {sorted({r['verdict'] for r in rs})}, "
          f"protection {kinds}, restarts {[r.get('sensor_restarts') for r in rs]}")
    if gaps:
        print(f"  protection gap ms: median {statistics.median(gaps):.0f}, min {min(gaps)}, "
              f"max {max(gaps)} ({len(gaps)} records)")
EOF
bench_load end
