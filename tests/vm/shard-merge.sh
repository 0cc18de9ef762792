#!/bin/bash
# vm suite: the quickstart as three shards run at once (three `faultline run --shard K/3`
# processes, one state dir) and `faultline merge`, against one unsharded run of the same
# scenario: the same verdicts, titles and expectations, the same reports in every format and
# the same JUnit but for what changes from one run to the next (tests/report-normalize.py), and
# `compare` finds nothing between them. The shards write to one PostgreSQL (a throwaway cluster,
# tests/lib/pg-cluster.sh) at once: it then holds exactly the merged run's records.
# Usage: shard-merge.sh FAULTLINE JSONL_CHECK SOURCE_DIR STATE_DIR WORK_DIR
set -euo pipefail
faultline=$(realpath "$1") check=$(realpath "$2") src=$3 state=$4 work=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
norm="python3 $src/tests/report-normalize.py"
scenario=$src/scenarios/quickstart.yaml
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=../lib/pg-cluster.sh
. "$src/tests/lib/pg-cluster.sh"
pg=$(mktemp -d /tmp/faultline-shard-pg.XXXXXX) # the server's user reaches /tmp
chmod 755 "$pg"
trap 'pg_cluster_stop "$pg/c"; rm -rf "$pg"' EXIT
pg_cluster_start "$pg/c"

start=$(date +%s)
# one guest each: three controllers share the 2 cores of CI
pids=()
for k in 1 2 3; do
	"$faultline" run --shard $k/3 -j 1 --db "$PG_URL" --state-dir "$state" -o "$work/shard-$k" "$scenario" \
		>"$work/shard-$k.out" 2>&1 &
	pids+=($!)
done
# exit 1 is a finished run with a case short of its expectation: the unsharded run must then
# say the same, and the merge too
short=0
for k in 1 2 3; do
	rc=0
	wait "${pids[$((k - 1))]}" || rc=$?
	cat "$work/shard-$k.out"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "shard $k/3 exited $rc"
	[ "$rc" = 0 ] || short=1
done
echo "three shards at once: $(($(date +%s) - start)) s"
start=$(date +%s)
rc=0
"$faultline" run -q --state-dir "$state" -o "$work/whole" "$scenario" >"$work/whole.out" 2>&1 ||
	rc=$?
cat "$work/whole.out"
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "the unsharded run exited $rc"
echo "unsharded: $(($(date +%s) - start)) s, exit $rc"
whole_rc=$rc

# each shard: its share recorded, and said by its report
total=0
for k in 1 2 3; do
	d=$work/shard-$k
	n=$("$check" "$d/results.jsonl")
	jq -e ".shard.k == $k and .shard.n == 3 and .shard.jobs == $n and .jobs == 14" \
		"$d/run.json" >/dev/null || fail "$d/run.json does not record shard $k/3 of 14 jobs"
	"$faultline" report "$d" --format markdown -o "$d/report.md"
	grep -q "shard $k/3: $n of the scenario's 14 jobs" "$d/report.md" ||
		fail "the report of shard $k does not say it is one"
	total=$((total + n))
done
[ "$total" = 14 ] || fail "the shards recorded $total jobs, not 14"
# the database: the shards' records, each once, as the run directories hold them
rows() { # the (sensor, case, verdict, title) of a records file or of the database
	if [ -n "${1:-}" ]; then
		jq -r '[.sensor, .case, .verdict, (.title // "")] | join("|")' "$@"
	else
		command psql -X -A -t -q "$PG_URL" -c "SELECT sensor || '|' || \"case\" || '|' || verdict || '|' || COALESCE(title, '') FROM records"
	fi | sort
}
[ "$(rows)" = "$(rows "$work"/shard-*/results.jsonl)" ] ||
	fail "the database does not hold exactly the shards' records"
echo "database: the shards' $total records, each once"

rc=0
"$faultline" merge "$work/shard-3" "$work/shard-1" "$work/shard-2" -o "$work/merged" \
	>"$work/merge.out" || rc=$?
cat "$work/merge.out"
[ "$rc" = "$short" ] || fail "merge exited $rc, the shards said $short"
[ "$rc" = "$whole_rc" ] || fail "merge exited $rc, the unsharded run $whole_rc"
grep -q "merged 3 of 3 shards: 14 records of 14 jobs" "$work/merge.out" || fail "merge summary"
[ "$("$check" "$work/merged/results.jsonl")" = 14 ] || fail "merged: not 14 records"
cmp <("$check" "$work/whole/results.jsonl" --list | sort) \
	<("$check" "$work/merged/results.jsonl" --list | sort) ||
	fail "verdicts and titles differ between the merged and the unsharded run"
for f in "$work/whole"/inputs/*.bin; do
	cmp "$f" "$work/merged/inputs/${f##*/}" || fail "input ${f##*/} differs"
done
[ "$(ls "$work/whole/inputs" | wc -l)" = "$(ls "$work/merged/inputs" | wc -l)" ] ||
	fail "the merged run has other inputs"
# every case's console is the shard's own
for k in 1 2 3; do
	jq -r '.console // empty' "$work/shard-$k/results.jsonl" | while read -r c; do
		cmp "$work/shard-$k/$c" "$work/merged/$c" || fail "console $c not carried over"
	done
done
grep -q 'RIP: 0010:ks_eval_field' "$work/merged/consoles/ksensor-legacy/field-count-mismatch.log" ||
	fail "the merged run lacks the crash's console"

# the reports: equal but for times, ids, hosts and order
for fmt in json markdown junit html; do
	for d in whole merged; do
		(cd "$work/$d" && "$faultline" report . --format $fmt -o "../$d.$fmt")
		$norm $fmt "$work/$d.$fmt" >"$work/$d.$fmt.norm"
	done
	diff -u "$work/whole.$fmt.norm" "$work/merged.$fmt.norm" || fail "$fmt reports differ"
	echo "report --format $fmt: equal ($(wc -l <"$work/merged.$fmt.norm") normalized lines)"
done
for d in whole merged; do
	$norm junit "$work/$d/results.xml" >"$work/$d.xml.norm"
done
diff -u "$work/whole.xml.norm" "$work/merged.xml.norm" || fail "results.xml differ"
# compare: nothing new, gone or changed, either way
"$faultline" compare "$work/whole" "$work/merged" >"$work/compare.1"
"$faultline" compare "$work/merged" "$work/whole" >"$work/compare.2"
"$faultline" compare "$work/whole" "$work/whole" >"$work/compare.0"
cmp <($norm compare "$work/compare.0") <($norm compare "$work/compare.1") || fail "compare whole merged"
cmp <($norm compare "$work/compare.0") <($norm compare "$work/compare.2") || fail "compare merged whole"
echo "PASS"
