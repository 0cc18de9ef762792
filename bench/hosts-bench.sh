#!/bin/bash
# hosts-bench.sh — what the remote path costs per case (README, "Fleets across hosts"): the same
# cases of scenarios/bench-hardened.yaml in snapshot mode on the embedded driver and on a real
# libvirtd on 127.0.0.1 (qemu+tcp://, the vm suite's loopback host: tests/vm/hosts-lib.sh),
# ROUNDS times, the two alternating so that the machine's noise falls on both. Per run: the time
# per case after the first verdict (wall time, the template boot left out), the median case,
# the controller's CPU (user + system) and the daemon's; then the ratio remote / embedded of
# the medians over the rounds. The upload of the guest images is timed on a fresh host (first
# connect) and on the same host again (reused: nothing sent). A run with an infra-error fails
# the bench: a fast broken path is no figure.
#
# Usage (root): bench/hosts-bench.sh [BUILD_DIR] [CASES] [ROUNDS] [JOBS]
#   defaults: ./build, 40 cases, 3 rounds, 1 guest per host
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build=${1:-build}
cases=${2:-40}
rounds=${3:-3}
jobs=${4:-1}
bench_faultline "$build"
[ "$(id -u)" = 0 ] || { echo "hosts-bench: needs root (it starts a libvirtd)" >&2; exit 2; }
bench_work hosts
# shellcheck source=../tests/vm/hosts-lib.sh
source "$src/tests/vm/hosts-lib.sh"
trap 'host_stop; rm -rf "$work"' EXIT
host_start "$work/host" $((17000 + $$ % 1000))

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
daemon_pid() { pgrep -f "libvirtd --listen" | head -1; }

# one run: $1 label, rest: faultline bench's --uri (none: embedded). Prints a line
# "LABEL per_case_ms median_ms controller_cpu_s daemon_cpu_s"
run() {
	local label=$1 out=$work/$1-$RANDOM d0 d1 pid
	shift
	pid=$(daemon_pid)
	d0=$(ticks "$pid")
	/usr/bin/time -f "%U %S" -o "$out.time" "$faultline" bench --modes snapshot \
		--cases "$cases" -j "$jobs" "$@" -o "$out" "$src/scenarios/bench-hardened.yaml" \
		>"$out.txt" 2>"$out.err"
	d1=$(ticks "$pid")
	python3 - "$out" "$label" "$out.time" $(((d1 - d0))) "$(getconf CLK_TCK)" <<'EOF'
import glob, json, statistics, sys
out, label, tfile, dticks, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rs = [json.loads(l) for f in glob.glob(out + "/**/results.jsonl", recursive=True) for l in open(f)]
bad = [r for r in rs if r["verdict"] == "infra-error"]
if bad or not rs:
    sys.exit(f"hosts-bench: {label}: {len(bad)} infra-errors in {len(rs)} records: "
             f"{bad[0]['detail'] if bad else 'no record'}")
start = sorted(r["started"] for r in rs)
t = [r["timings"] for r in rs]
first = min(x["total_ms"] for x in t)
ends = sorted(x["total_ms"] for x in t)
# wall time of the run from its table (snapshot row), less the first verdict's
row = [l.split() for l in open(out + ".txt") if l.startswith("snapshot ")][0]
wall_s, first_s = float(row[2]), float(row[6])
per_case = (wall_s - first_s) * 1000 / max(1, len(rs) - 1)
med = statistics.median(x["total_ms"] for x in t[1:])
u, s = map(float, open(tfile).read().split()[-2:])
print(f"{label} {per_case:.0f} {med:.0f} {u + s:.2f} {dticks / hz:.2f}")
EOF
}

echo "hosts-bench: $cases cases of bench-hardened, snapshot, $jobs guest(s), $rounds rounds;" \
	"remote: $HOST_URI"
# the upload, once on a fresh host, then again (reused)
for k in fresh reused; do
	"$faultline" run --uri "$HOST_URI" -j 1 -o "$work/upload-$k" \
		"$src/scenarios/quickstart.yaml" >/dev/null 2>"$work/upload-$k.err" || true
	line=$(grep -m1 "^uploaded" "$work/upload-$k.err" || echo "uploaded nothing")
	echo "upload ($k host): $line"
done
: >"$work/lines"
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		run embedded | tee -a "$work/lines"
		run remote --uri "$HOST_URI" | tee -a "$work/lines"
	else
		run remote --uri "$HOST_URI" | tee -a "$work/lines"
		run embedded | tee -a "$work/lines"
	fi
done
python3 - "$work/lines" "$cases" <<'EOF'
import statistics, sys
n = int(sys.argv[2])
rows = {}
for l in open(sys.argv[1]):
    k, *v = l.split()
    rows.setdefault(k, []).append([float(x) for x in v])
m = {k: [statistics.median(c) for c in zip(*v)] for k, v in rows.items()}
print("%-9s %12s %12s %18s %14s" % ("path", "per_case_ms", "median_ms", "controller_cpu_s", "daemon_cpu_s"))
for k in ("embedded", "remote"):
    print("%-9s %12.0f %12.0f %18.2f %14.2f" % (k, *m[k]))
e, r = m["embedded"], m["remote"]
print(f"remote / embedded per case: {r[0] / e[0]:.2f} (wall), {r[1] / e[1]:.2f} (median case); "
      f"controller CPU per case: {e[2] * 1000 / n:.0f} ms embedded, {r[2] * 1000 / n:.0f} ms remote "
      f"(+ {r[3] * 1000 / n:.0f} ms in the remote daemon)")
EOF
