#!/bin/bash
# run-cli.sh — `faultline run -o DIR` refuses a DIR that already holds a run (results.jsonl or
# run.json) unless it is resumed, before any guest boots: a second run appended to a first
# would mix the two and follow a torn last line. A DIR without a run stays usable with --list.
# --shard K/N outside 1 <= K <= N is refused with what was expected, before any guest boots.
# --db and --probe-every are each taken as themselves.
# Usage: run-cli.sh FAULTLINE SOURCE_DIR
set -uo pipefail
bin=$1
scenario=$2/scenarios/quickstart.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# refused NAME DIR: exit 2 and the message, within seconds (no image built, no guest booted)
refused() {
	local out rc
	out=$(timeout 60 "$bin" run --state-dir "$tmp/state" -o "$2" "$scenario" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != 2 ]; then
		echo "FAIL: $1: exit $rc, expected 2 ($out)"; fail=1
	elif ! grep -q -- "usage: $2 already holds a run: continue it with --resume $2" <<<"$out"; then
		echo "FAIL: $1: unexpected message: $out"; fail=1
	else
		echo "ok: $1: $out"
	fi
}

mkdir -p "$tmp/torn" "$tmp/meta" "$tmp/empty"
printf '{"sensor":"ks","case":"a","verdict":"accepted"}\n{"sensor":"ks","case":"b","ver' \
	>"$tmp/torn/results.jsonl"
echo '{}' >"$tmp/meta/run.json"
refused "results.jsonl with a torn last line" "$tmp/torn"
refused "run.json only" "$tmp/meta"
cmp -s "$tmp/torn/results.jsonl" <(printf '{"sensor":"ks","case":"a","verdict":"accepted"}\n{"sensor":"ks","case":"b","ver') ||
	{ echo "FAIL: the refused run's results.jsonl changed"; fail=1; }
"$bin" run --state-dir "$tmp/state" -o "$tmp/empty" --list "$scenario" >/dev/null ||
	{ echo "FAIL: --list into an empty folder"; fail=1; }
"$bin" run --state-dir "$tmp/state" -o "$tmp/torn" --list "$scenario" >/dev/null ||
	{ echo "FAIL: --list names a run folder without writing to it"; fail=1; }
for bad in 0/3 4/3 1/0 3 x/3 1/3x -1/3 " 1/3" 1/100001 ""; do
	out=$(timeout 60 "$bin" run --state-dir "$tmp/state" --shard "$bad" "$scenario" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != 2 ] || ! grep -q -- "usage: --shard '$bad': expected K/N" <<<"$out"; then
		echo "FAIL: --shard '$bad': exit $rc: $out"; fail=1
	else
		echo "ok: --shard '$bad': $out"
	fi
done
# every long option reaches its own handler: --db with --probe-every beside it (the two once
# shared a getopt value, and --db URL was read as --probe-every's number)
out=$("$bin" run --state-dir "$tmp/state" -o "$tmp/empty" --db "sqlite:$tmp/h.db" \
	--probe-every 2 --list "$scenario" 2>&1 >/dev/null) ||
	{ echo "FAIL: --db with --probe-every: $out"; fail=1; }
exit $fail
