#!/bin/bash
# vm suite: the quickstart with --db against a real PostgreSQL (throwaway clusters,
# tests/lib/pg-cluster.sh), three runs at once. Two write to one database, which then holds
# exactly the records of both run directories; the third's server is stopped mid-run: it
# completes, says how many records the database missed and how to add them, and `db import`
# makes the database whole. An unreachable database stops a run before any guest boots (exit 2).
# Usage: db-pg.sh FAULTLINE SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$(realpath "$1") src=$(realpath "$2") state=$3
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
# shellcheck source=../lib/pg-cluster.sh
. "$src/tests/lib/pg-cluster.sh"
tmp=$(mktemp -d /tmp/faultline-vm-db.XXXXXX)
chmod 755 "$tmp"
trap 'pg_cluster_stop "$tmp/pg"; pg_cluster_stop "$tmp/pg2"; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
scenario=$src/scenarios/quickstart.yaml
pg_cluster_start "$tmp/pg"
psql() { command psql -X -A -t -q "$PG_URL" -c "$1"; }

# the database's (sensor, case, verdict, title) rows of a run, and the run directory's
have() {
	psql "SELECT r.sensor || '|' || r.\"case\" || '|' || r.verdict || '|' || COALESCE(r.title, '') FROM records r JOIN runs ON runs.id = r.run WHERE runs.run_dir = '$1'" | sort
}
want() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
	r = json.loads(l); print("|".join([r["sensor"], r["case"], r["verdict"], r["title"] or ""]))' "$1/results.jsonl" | sort
}

# unreachable at the start: exit 2, no guest, no run directory
set +e
"$faultline" run --state-dir "$state" --db "postgresql:///x?host=$tmp/nowhere" -o "$tmp/none" \
	"$scenario" >"$tmp/none.out" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q 'database error: cannot connect to PostgreSQL' "$tmp/none.out" ||
	{ cat "$tmp/none.out"; fail "unreachable database: exit $rc"; }
[ ! -e "$tmp/none" ] || fail "a run directory was made with no database"

# three runs at once, each in a state folder of its own (one embedded libvirt root serves one
# run) once the first has built the guest images: a and b write to one server, c to a second
# one that is stopped once c has recorded a few cases
"$faultline" run -q --state-dir "$state" --db "$PG_URL" -o "$tmp/a" "$scenario" >"$tmp/a.out" 2>&1 &
a=$!
for _ in $(seq 1 3000); do
	[ -s "$tmp/a/results.jsonl" ] || ! kill -0 $a 2>/dev/null && break
	sleep 0.2
done
url_a=$PG_URL
pg_cluster_start "$tmp/pg2"
url_c=$PG_URL
PG_URL=$url_a
for r in b c; do
	mkdir "$tmp/state-$r"
	cp -a "$state/build" "$state/images" "$tmp/state-$r/"
done
FAULTLINE_DB=$url_a "$faultline" run -q --state-dir "$tmp/state-b" -o "$tmp/b" "$scenario" >"$tmp/b.out" 2>&1 &
b=$!
"$faultline" run -q --state-dir "$tmp/state-c" --db "$url_c" -o "$tmp/c" "$scenario" >"$tmp/c.out" 2>&1 &
c=$!
for _ in $(seq 1 3000); do
	[ "$(wc -l <"$tmp/c/results.jsonl" 2>/dev/null || echo 0)" -ge 3 ] && break
	sleep 0.2
done
pg_cluster_stop "$tmp/pg2"

# what the guests did is not this test's (exit 1: a case fell short, as on a loaded machine
# where a guest is not ready in time); the database's records are
ok_run() {
	local rc=0
	wait "$1" || rc=$?
	[ $rc -le 1 ] || { cat "$tmp/$2.out"; fail "run $2: exit $rc"; }
}
ok_run $a a
ok_run $b b
for r in a b; do
	grep -q "^database: 14 records written to" "$tmp/$r.out" || { cat "$tmp/$r.out"; fail "run $r: not 14 written"; }
	[ "$(have "$tmp/$r")" = "$(want "$tmp/$r")" ] || fail "run $r: the database differs from results.jsonl"
done
[ "$(psql 'SELECT COUNT(*) FROM records')" = 28 ] || fail "want 28 records"
[ "$(psql 'SELECT COUNT(*) FROM runs WHERE finished IS NOT NULL')" = 2 ] || fail "runs not finished"

# c: the server stopped mid-run
rc=0
wait $c || rc=$?
tail -4 "$tmp/c.out"
[ "$(wc -l <"$tmp/c/results.jsonl")" = 14 ] || fail "run c did not complete its 14 records"
[ $rc = 1 ] || { cat "$tmp/c.out"; fail "run c: exit $rc, want 1 (the database missed records)"; }
grep -qE "database error: .* missed [0-9]+ of 14 records .*faultline db import --db" "$tmp/c.out" ||
	fail "run c did not say what the database missed"
pg_cluster_as "$(pg_cluster_bin)/pg_ctl" -D "$tmp/pg2/data" -l "$tmp/pg2/server.log" -w -t 60 \
	-o "-c listen_addresses='' -c unix_socket_directories='$tmp/pg2' -c fsync=off" start >/dev/null
PG_URL=$url_c
[ "$(have "$tmp/c")" != "$(want "$tmp/c")" ] || fail "run c: nothing was missed"
"$faultline" db import --db "$PG_URL" "$tmp/c"
[ "$(have "$tmp/c")" = "$(want "$tmp/c")" ] || fail "run c: db import did not make the database whole"
[ "$(psql 'SELECT COUNT(*) FROM records')" = 14 ] || fail "want 14 records in c's database"
"$faultline" history --db "$PG_URL" | tail -8
echo "vm db-pg: ok"
