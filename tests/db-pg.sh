#!/bin/bash
# db-pg.sh FAULTLINE — the results database on a real PostgreSQL (a throwaway cluster,
# tests/lib/pg-cluster.sh), no VM: three fixture runs imported, two of them at once from two
# processes, hold exactly their records, and importing again adds nothing; history marks the
# hardened sensor's crash fixed, then regressed; compare --baseline gates on the stored run; a
# newer schema is refused; a stopped server is a clear error with exit 2.
set -euo pipefail
faultline=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/pg-cluster.sh
. "$here/lib/pg-cluster.sh"
data=$here/data/history
tmp=$(mktemp -d /tmp/faultline-db-pg.XXXXXX)
chmod 755 "$tmp"
trap 'pg_cluster_stop "$tmp/pg"; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

pg_cluster_start "$tmp/pg"
psql() { command psql -X -A -t -q "$PG_URL" -c "$1"; }
cd "$tmp"

# two writers at once, then the third
"$faultline" db import --db "$PG_URL" "$data/h1" >a.out &
a=$!
"$faultline" db import --db "$PG_URL" "$data/h2" >b.out &
b=$!
wait $a || fail "import of h1 failed: $(cat a.out)"
wait $b || fail "import of h2 failed: $(cat b.out)"
"$faultline" db import --db "$PG_URL" "$data/h3" | grep -q '6 records, 6 added' || fail "h3 import"
[ "$(psql 'SELECT COUNT(*) FROM records')" = 18 ] || fail "want 18 records, have $(psql 'SELECT COUNT(*) FROM records')"
[ "$(psql 'SELECT COUNT(*) FROM runs')" = 3 ] || fail "want 3 runs"
"$faultline" db import --db "$PG_URL" "$data/h1" "$data/h2" "$data/h3" | grep -c ', 0 added' |
	grep -qx 3 || fail "a second import added records"
[ "$(psql 'SELECT COUNT(*) FROM records')" = 18 ] || fail "records after re-import"
[ "$(psql "SELECT occurrences FROM signatures WHERE sensor='ksensor-hardened'")" = 2 ] ||
	fail "signature counted twice"
# exactly the run directories' records: the same (run, sensor, case, verdict) rows
for h in h1 h2 h3; do
	want=$(python3 -c 'import json,sys
for l in open(sys.argv[1]): r=json.loads(l); print(r["sensor"], r["case"], r["verdict"])' \
		"$data/$h/results.jsonl" | sort)
	have=$(psql "SELECT r.sensor || ' ' || r.\"case\" || ' ' || r.verdict FROM records r JOIN runs ON runs.id = r.run WHERE runs.run_id = 'quickstart-$h'" | sort)
	[ "$want" = "$have" ] || fail "$h: the database's records differ from results.jsonl"
done

"$faultline" history --db "$PG_URL" --run run:quickstart-h2 --baseline run:quickstart-h1 >h12.out
grep -E '^ksensor-hardened +fixed ' h12.out >/dev/null || { cat h12.out; fail "not fixed in h2"; }
FAULTLINE_DB=$PG_URL "$faultline" history --baseline version:1.1 >h23.out
grep -E '^ksensor-hardened +regressed .* 1.0,1.2 ' h23.out >/dev/null ||
	{ cat h23.out; fail "not regressed in h3"; }

set +e
"$faultline" compare --db "$PG_URL" --baseline run:quickstart-h2 "$data/h3" >cmp.out
rc=$?
set -e
[ $rc = 1 ] || fail "compare --baseline h2 h3: exit $rc, want 1 (a new signature)"
grep -q 'Regression' cmp.out || fail "compare: no regression said"
"$faultline" compare --db "$PG_URL" --baseline run:quickstart-h1 "$data/h3" >/dev/null ||
	fail "compare --baseline h1 h3: want 0"

psql 'UPDATE schema_version SET version = 99'
set +e
"$faultline" history --db "$PG_URL" >newer.out 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q 'schema version 99, newer than' newer.out || { cat newer.out; fail "newer schema"; }
psql 'UPDATE schema_version SET version = 2'

pg_cluster_stop "$tmp/pg"
set +e
"$faultline" db import --db "$PG_URL" "$data/h1" >gone.out 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q 'database error: cannot connect to PostgreSQL' gone.out ||
	{ cat gone.out; fail "a stopped server: exit $rc"; }
echo "db-pg: ok"
