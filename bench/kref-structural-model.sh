#!/bin/bash
# What the generic structural sweep of kref (scenarios/kref-structural.yaml) reaches, by a model of
# the sensor: each case's input (faultline mutate, the scenario's ops on its seed) run through the
# host build of the same parser (build/guests/kref-cmplog), which says whether it loaded, was
# rejected and why, or crashed and in which function. A check of the guests' verdicts (the
# planted bugs are listed in guests/sensors/kref/README.md; the host build has room past the
# registers, so the computed-check bug's store does not crash there: it says "store past the
# registers"). Needs python3 with PyYAML.
# With RUN_DIR (a `faultline run` of the scenario), each guest verdict is compared with the
# model's: crash in the same function, rejected, or accepted.
# Usage: bench/kref-structural-model.sh FAULTLINE KREF_CMPLOG OUT_DIR [RUN_DIR]
set -euo pipefail
faultline=$1 cmplog=$2 out=$3 run=${4:-}
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out"
python3 - "$faultline" "$cmplog" "$out" "$src" "$run" <<'PY'
import json, os, subprocess, sys, collections, yaml
faultline, cmplog, out, src, run = sys.argv[1:]
model = {}
scen = yaml.safe_load(open(f"{src}/scenarios/kref-structural.yaml"))
syms = {}
for line in subprocess.run(["nm", cmplog], capture_output=True, text=True).stdout.splitlines():
    p = line.split()
    if len(p) == 3 and p[1] in "tT":
        syms[p[2].split(".")[0]] = int(p[0], 16)
def func(off):
    pc = syms["main"] + off
    best = max((a, n) for n, a in syms.items() if a <= pc)
    return best[1]
counts = collections.Counter()
firsts = {}
total = 0
for case in scen["cases"]:
    seed = os.path.join(src, "scenarios", case["content"])
    d = os.path.join(out, case["name"])
    ops = yaml.safe_dump(case["mutations"], default_flow_style=True, width=1000).strip()
    subprocess.run([faultline, "mutate", seed, d, "--format", f"{src}/guests/formats/kref.yaml", "--op", ops],
                   check=True, capture_output=True)
    for line in open(os.path.join(d, "manifest.jsonl")):
        m = json.loads(line)
        path = os.path.join(d, m["file"])
        r = subprocess.run([cmplog, path], capture_output=True, text=True)
        err = r.stderr.strip()
        total += 1
        if "crash at main" in err:
            what = "crash in " + func(int(err.split("main")[1].split()[0]))
        else:
            what = err.replace("kref-cmplog: ", "")
        counts[what] += 1
        model[f"{case['name']}-{int(m['file'].split('.')[0]):04d}"] = what
        firsts.setdefault(what, f"{case['name']}/{m['file']} {json.dumps(m.get('mutations'))}")
print(f"{total} inputs")
for what, n in counts.most_common():
    print(f"  {n:4d}  {what}    e.g. {firsts[what]}")
if run:
    agree = differ = 0
    for line in open(os.path.join(run, "results.jsonl")):
        r = json.loads(line)
        if r.get("sensor") != "kref" or r.get("case") not in model:
            continue
        what, v = model[r["case"]], r.get("verdict")
        if "store past the registers" in what:
            expect = ("crash", "krf_run_ops")
        elif what.startswith("crash in "):
            expect = ("crash", what[len("crash in "):])
        else:
            expect = ("accepted" if what == "loaded" else "rejected", None)
        ok = v == expect[0] and (expect[1] is None or expect[1] in r.get("title", ""))
        agree += ok
        differ += not ok
        if not ok:
            print(f"  DIFFERS: {r['case']}: guest {v} {r.get('title', '')}, model {what}")
    print(f"guest verdicts: {agree} agree with the model, {differ} differ")
PY
