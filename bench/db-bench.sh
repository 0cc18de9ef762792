#!/bin/bash
# db-bench.sh [BUILD_DIR] [RUN_DIR] [N] — the per-case cost of `faultline run --db`: RUN_DIR's
# records (default the quickstart fixture) written N times (default 50) through the run's own
# writer (one transaction per record, bench/db-bench.c) to a SQLite file and to a throwaway
# PostgreSQL (tests/lib/pg-cluster.sh; fsync on, as a real server), against the median time a
# case of RUN_DIR took (timings.total_ms). Prints microseconds per record and the ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build} run=${2:-$here/tests/data/runs/quickstart-new} n=${3:-50}
bench=$build/tests/db-bench
[ -x "$bench" ] || { echo "build first: ninja -C $build"; exit 2; }
# shellcheck source=../tests/lib/pg-cluster.sh
. "$here/tests/lib/pg-cluster.sh"
tmp=$(mktemp -d /tmp/faultline-db-bench.XXXXXX)
chmod 755 "$tmp"
trap 'pg_cluster_stop "$tmp/pg"; rm -rf "$tmp"' EXIT

median_ms=$(python3 -c 'import json,sys,statistics
t=[json.loads(l)["timings"]["total_ms"] for l in open(sys.argv[1]) if l.strip()]
t=[x for x in t if x]
print(int(statistics.median(t)))' "$run/results.jsonl")
echo "median case of $run: $median_ms ms"
report() {
	local name=$1 out=$2 us
	us=$(sed -n 's/.*: \([0-9]*\) us per record/\1/p' <<<"$out")
	echo "$name: $out; $(python3 -c "print(f'{$us/1000/$median_ms*100:.3f}')")% of a case"
}
report "sqlite" "$("$bench" "sqlite:$tmp/bench.db" "$run" "$n")"
pg_cluster_start "$tmp/pg"
# the cluster's fsync=off is for tests; the figure wants a durable server
pg_cluster_as "$(pg_cluster_bin)/pg_ctl" -D "$tmp/pg/data" -m fast -w stop >/dev/null
pg_cluster_as "$(pg_cluster_bin)/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
	-o "-c listen_addresses='' -c unix_socket_directories='$tmp/pg'" start >/dev/null
report "postgresql" "$("$bench" "$PG_URL" "$run" "$n")"
