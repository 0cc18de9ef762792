#!/bin/bash
# unit suite: the protection probe every reference sensor ships (guests/sensors/lib-usermode/probe)
# tells a protected sensor from a blind one. Its own copy beside a fake kstrigger that bumps a
# counter file, or does not (the sensor lost its protection), under the host's sh and busybox's
# (the guests' shell). A probe that passes a blind sensor would hide every protection-lost verdict.
# Usage: probe.sh PROBE
set -euo pipefail
probe=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$probe" "$dir/probe"
fail() { echo "FAIL ($sh): $*"; exit 1; }

# expect STATUS OUTPUT-PATTERN COUNTER-COMMAND: run the probe, check its status and first line.
expect() {
	local want=$1 pat=$2 rc=0 out
	out=$($sh "$dir/probe" "$3" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "status $rc, expected $want, for '$3': $out"
	[[ $(head -n 1 <<<"$out") == $pat ]] || fail "output '$out' for '$3', expected $pat"
}

shells=(sh)
if command -v busybox >/dev/null; then shells+=("busybox sh"); fi
for sh in "${shells[@]}"; do
	echo 5 >"$dir/count"
	# protected: the trigger's exec is counted
	printf '#!/bin/sh\necho $(($(cat %s/count) + 1)) >%s/count\n' "$dir" "$dir" >"$dir/kstrigger"
	chmod +x "$dir/kstrigger"
	expect 0 "probe: protected (matches 5 -> 6)" "cat $dir/count"
	expect 0 "probe: protected (matches 6 -> 7)" \
		"echo 'usensor: up'; echo \"rules=3 matches=\$(cat $dir/count) dropped=0\"; echo 99"
	# blind: the trigger runs, the counter stays
	printf '#!/bin/sh\n:\n' >"$dir/kstrigger"
	expect 1 "probe: blind (matches 7 -> 7)" "cat $dir/count"
	expect 1 "probe: blind (matches 4 -> 4)" "echo stats; echo matches=4"
	# the sensor does not answer, or answers without a counter
	expect 2 "probe: cannot read the counter: *" "cat $dir/missing"
	expect 2 "probe: no counter in: *" "echo 'matches=none'; echo 12a"
	# a counter command with shell syntax of its own, as sensor.yaml writes them
	echo 7 >"$dir/count"
	expect 1 "probe: blind (matches 7 -> 7)" "cat '$dir/count' | { read -r v; echo \$v; }"
	echo "probe ($sh): protected, blind and unreadable told apart"
done
