#!/bin/bash
# vm suite: the verdicts and titles of the quickstart must not depend on the isolation mode.
# Runs after vm-quickstart-{boot,snapshot,reuse,warm}. Usage: modes-agree.sh JSONL_CHECK RUNS_DIR
set -euo pipefail
check=$1 runs=$2
for m in boot snapshot reuse warm; do
	[ -f "$runs/$m/results.jsonl" ] || { echo "FAIL: no $m run (did vm-quickstart-$m run?)"; exit 1; }
	"$check" "$runs/$m/results.jsonl" --list | sort >"$runs/$m.tsv"
done
diff -u "$runs/boot.tsv" "$runs/snapshot.tsv"
diff -u "$runs/boot.tsv" "$runs/reuse.tsv"
diff -u "$runs/boot.tsv" "$runs/warm.tsv"
echo "boot, snapshot, reuse and warm agree on $(wc -l <"$runs/boot.tsv") verdicts and titles"
