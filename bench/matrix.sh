#!/bin/bash
# matrix.sh — the kernel matrix whole: scenarios/matrix.yaml (the quickstart's seven cases on
# ksensor-legacy, ksensor-hardened and esensor, on Debian 11, 12 and 13 (5.10, 6.1, 6.12), amd64
# and arm64 guests: 18 cells, 126 cases), then checks what its report's matrix table must say:
#   - ksensor-legacy, every kernel and arch: field-count-mismatch crashes in ks_eval_field,
#     truncated, huge-instance-count and oversized-field-len in ks_parse_instance, zero-inst-len
#     hangs (soft lockup in ks_write), valid and bad-checksum are accepted; its cell: crash
#   - ksensor-hardened, everywhere: valid accepted, the six others rejected; its cell: rejected
#     (a case whose sensor answered as expected but whose protection probe then timed out on a
#     loaded host is a WARN line, not a pass and not a failure: its cell says protection-lost)
#   - esensor: where it does not load, its seven cases are infra-error at boot and the detail
#     names the reason (esensord --check: "this kernel (...) cannot run the BPF program: ...");
#     where it loads, no infra-error (its verdicts are the sensor's own)
# and that the Markdown report's table shows those cells. Prints per cell the image build time
# (from the run's log), the template's boot, the cases' time after restore, and the arm64
# slowdown against amd64 on the same cases. Exit 0 when every check holds, 1 otherwise.
#
# Usage: bench/matrix.sh [BUILD_DIR] [OUT_DIR]   (defaults: ./build, a temp dir kept on failure)
#        bench/matrix.sh --check RUN_DIR [RUN_DIR...]   check existing runs (later runs' records
#                                   replace the first's for the same cell and case; LOG=FILE:
#                                   the run's stamped log, for the image build times)
# FAULTLINE_STATE_DIR: the state dir to use, as --state-dir. JOBS: guests in parallel (--jobs).
# Takes about 40 to 60 minutes on this 2-core TCG machine (the image builds, 18 template boots).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --check ]; then
	shift
	out=$1 log=${LOG:-}
	wall=
	if [ $# -gt 1 ]; then
		# later runs' records replace the first's for the same cell and case (a cell run again)
		combined=$(mktemp -d /tmp/faultline-matrix-check.XXXXXX)
		cp "$1/run.json" "$combined/"
		python3 - "$combined/results.jsonl" "$@" <<'PY'
import json, sys
recs = {}
for d in sys.argv[2:]:
    for l in open(f"{d}/results.jsonl"):
        r = json.loads(l)
        recs[(r["sensor"], r["case"])] = l
open(sys.argv[1], "w").writelines(recs.values())
PY
		out=$combined
	fi
else
	build=${1:-build}
	bench_faultline "$build"
	out=${2:-$(mktemp -d /tmp/faultline-matrix-bench.XXXXXX)/run}
	log=$out.log
	mkdir -p "$(dirname "$out")"
	start=$(date +%s)
	rc=0
	# each line of the run's log stamped with the seconds since the start (image build times)
	(cd "$src" && nice "$faultline" run -o "$out" ${JOBS:+--jobs "$JOBS"} \
		${FAULTLINE_STATE_DIR:+--state-dir "$FAULTLINE_STATE_DIR"} scenarios/matrix.yaml) 2>&1 |
		while IFS= read -r line; do printf '%d %s\n' $(($(date +%s) - start)) "$line"; done >"$log" || rc=$?
	wall=$(($(date +%s) - start))
	echo "matrix: faultline run exited ${PIPESTATUS[0]:-$rc} in $wall s; run in $out, log $log"
fi

md=$(mktemp /tmp/faultline-matrix-md.XXXXXX)
trap 'rm -f "$md"; [ -z "${combined:-}" ] || rm -rf "$combined"' EXIT
"${faultline:-$src/build/faultline}" report -f markdown -o "$md" "$out"
awk '/^## Kernels/ { p = 1; print; next } p && /^## / { exit } p' "$md"

python3 - "$out/results.jsonl" "$md" "$log" "$wall" <<'PY'
import json, re, statistics, sys

res, md, log, wall = sys.argv[1:5]
recs = [json.loads(l) for l in open(res)]
fail, warn = [], []

# protection-lost only because the probe's timeout expired on a loaded host: the sensor's own
# answer (the agent's outcome) is still the one expected; counted apart, never as a pass
def probe_timeout(r, want):
    return ((r.get("agent") or {}).get("outcome") == want
            and "probe timed out" in (r.get("detail") or ""))
kernels = ["debian-11", "debian-12", "debian-13"]
arches = ["amd64", "arm64"]
legacy = {
    "valid": ("accepted", None),
    "bad-checksum": ("accepted", None),
    "field-count-mismatch": ("crash", "BUG: unable to handle page fault in ks_eval_field"),
    "truncated": ("crash", "BUG: unable to handle page fault in ks_parse_instance"),
    "huge-instance-count": ("crash", "BUG: unable to handle page fault in ks_parse_instance"),
    "oversized-field-len": ("crash", "BUG: unable to handle page fault in ks_parse_instance"),
    "zero-inst-len": ("hang", "BUG: soft lockup in ks_write"),
}
by = {}
for r in recs:
    by.setdefault(r["sensor"], {})[r["case"]] = r

def cell(sensor, k, a):
    return f"{sensor}@{k}" + ("@arm64" if a == "arm64" else "")

if len(recs) != 126:
    fail.append(f"{len(recs)} records, expected 126 (3 sensors x 3 kernels x 2 arches x 7 cases)")
for k in kernels:
    for a in arches:
        c = by.get(cell("ksensor-legacy", k, a), {})
        for case, (verdict, title) in legacy.items():
            r = c.get(case)
            if not r:
                fail.append(f"{cell('ksensor-legacy', k, a)} {case}: no record")
            elif r["verdict"] != verdict or (title and r["title"] != title):
                fail.append(f"{cell('ksensor-legacy', k, a)} {case}: {r['verdict']} "
                            f"'{r['title']}', expected {verdict} '{title}'")
            elif r.get("arch") != a or r.get("kernel_name") != k:
                fail.append(f"{cell('ksensor-legacy', k, a)} {case}: arch {r.get('arch')} "
                            f"kernel_name {r.get('kernel_name')}")
        c = by.get(cell("ksensor-hardened", k, a), {})
        for case in legacy:
            r = c.get(case)
            want = "accepted" if case == "valid" else "rejected"
            if r and r["verdict"] == "protection-lost" and probe_timeout(r, want):
                warn.append(f"{cell('ksensor-hardened', k, a)} {case}: {want} by the sensor, "
                            "then the protection probe timed out (host load, not the kernel)")
            elif not r or r["verdict"] != want:
                fail.append(f"{cell('ksensor-hardened', k, a)} {case}: "
                            f"{r['verdict'] if r else 'no record'}, expected {want}")
        c = by.get(cell("esensor", k, a), {})
        infra = [r for r in c.values() if r["verdict"] == "infra-error"]
        if len(c) != 7:
            fail.append(f"{cell('esensor', k, a)}: {len(c)} records")
        elif infra and (len(infra) != 7 or not all(
                "cannot run the BPF program:" in (r.get("detail") or "") for r in infra)):
            fail.append(f"{cell('esensor', k, a)}: {len(infra)} infra-error(s) without the "
                        f"reason esensord --check names: {(infra[0].get('detail') or '')[-200:]}")

# the Markdown table: legacy's cells crash, hardened's rejected
table = open(md).read()
for row, want in (("ksensor-legacy", ("**crash** (7)",)),
                  ("ksensor-hardened", ("**rejected** (7)", "**protection-lost** (7)"))):
    line = next((l for l in table.splitlines() if l.startswith(f"| {row} |")), None)
    cells = line.split("|")[2:-1] if line else []
    if len(cells) != 6 or not all(c.strip().startswith(want) for c in cells):
        fail.append(f"report table row {row}: expected six cells {want}: {line}")

# image build times from the stamped log: "T building the guest image of CELL..."
builds, prev = {}, None
if log:
    try:
        for l in open(log):
            m = re.match(r"(\d+) (building the guest image of (\S+?)\.\.\.|running )", l)
            if not m:
                continue
            t = int(m.group(1))
            if prev:
                builds[prev[0]] = t - prev[1]
            prev = (m.group(3), t) if m.group(3) else None
    except OSError:
        pass

print(f"\n{'cell':34} {'cases':>5} {'image s':>7} {'boot s':>7} {'case s (median)':>15} {'cases s':>8}  verdicts")
after = {}
for k in kernels:
    for a in arches:
        for s in ("ksensor-legacy", "ksensor-hardened", "esensor"):
            n = cell(s, k, a)
            rs = list(by.get(n, {}).values())
            t = [r["timings"] for r in rs if r.get("timings")]
            boot = max((x.get("boot_ms") or 0 for x in t), default=0) / 1000
            per = {r["case"]: (r["timings"]["total_ms"] - (r["timings"].get("boot_ms") or 0)) / 1000
                   for r in rs if r.get("timings") and r["timings"].get("total_ms") and r["verdict"] != "infra-error"}
            after[(s, k, a)] = per
            total = sum((x.get("total_ms") or 0) for x in t) / 1000
            verdicts = {}
            for r in rs:
                verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
            med = f"{statistics.median(per.values()):.1f}" if per else "-"
            img = builds.get(n.replace("@amd64", ""))
            print(f"{n:34} {len(rs):5} {img if img is not None else '-':>7} {boot:7.1f} {med:>15} {total:8.1f}  "
                  + ", ".join(f"{v} {c}" for v, c in sorted(verdicts.items())))

# arm64 against amd64 on the same sensor, kernel and case (time after restore)
ratios = {k: [] for k in kernels}
for (s, k, a), per in after.items():
    if a != "arm64":
        continue
    base = after.get((s, k, "amd64"), {})
    for case, t in per.items():
        if case in base and base[case] > 0:
            ratios[k].append(t / base[case])
allr = [x for v in ratios.values() for x in v]
for k in kernels:
    if ratios[k]:
        print(f"arm64/amd64 {k}: median {statistics.median(ratios[k]):.2f} "
              f"(min {min(ratios[k]):.2f}, max {max(ratios[k]):.2f}, {len(ratios[k])} cases)")
if allr:
    print(f"arm64/amd64 all: median {statistics.median(allr):.2f} over {len(allr)} case pairs")
if wall:
    print(f"wall time {wall} s")
for w in warn:
    print("WARN:", w)
for f in fail:
    print("FAIL:", f)
print((f"PASS: matrix ({len(warn)} warning(s))" if warn else "PASS: matrix") if not fail
      else f"matrix: {len(fail)} check(s) failed")
sys.exit(1 if fail else 0)
PY
