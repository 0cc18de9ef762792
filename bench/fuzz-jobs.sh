#!/bin/bash
# `faultline fuzz --jobs N`: executions a second on one guest and on N, in one run, one after the
# other (never side by side: they would share the CPUs), on the kref reference sensor from its two
# valid seeds (tests/data/vm/fuzz-kref.yaml). The rate is measured after the seeds (their
# calibration runs and the template's boot are left out): campaign.json's executions are sampled
# every 2 s, and the rate is from the first sample past the seeds to the last. The load beside it
# is sampled with it.
# Usage: bench/fuzz-jobs.sh FAULTLINE OUT_DIR [DURATION (3m)] [JOBS (2)] [PRNG SEED (1)]
set -euo pipefail
faultline=$1 out=$2 duration=${3:-3m} jobs=${4:-2} seed=${5:-1}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
execs_of() { sed -n 's/^ *"execs":\([0-9]*\).*/\1/p' "$1/campaign.json" 2>/dev/null || true; }
measure() { # N
	local n=$1 dir pid t0= e0= t e t1 e1
	dir=$out/jobs-$n
	rm -rf "$dir"
	"$faultline" fuzz --sensor kref --duration "$duration" --seed "$seed" --jobs "$n" -o "$dir" \
		"$src/tests/data/vm/fuzz-kref.yaml" >"$dir.out" 2>"$dir.err" &
	pid=$!
	: >"$dir.load"
	while kill -0 $pid 2>/dev/null; do
		e=$(execs_of "$dir")
		t=$(date +%s.%N)
		# past the two seeds (and a case more, so that every guest has started)
		if [ -n "$e" ] && [ "$e" -ge 4 ]; then
			[ -n "$t0" ] || { t0=$t e0=$e; }
			t1=$t e1=$e
		fi
		awk '{print $1}' /proc/loadavg >>"$dir.load"
		sleep 2
	done
	wait $pid || true
	if [ -z "$t0" ] || [ "$e1" = "$e0" ]; then
		echo "jobs $n: too few executions to measure (see $dir.err)"
		return
	fi
	awk -v n="$n" -v all="$(execs_of "$dir")" -v e0="$e0" -v e1="$e1" -v t0="$t0" -v t1="$t1" \
		-v load="$(sort -n "$dir.load" | awk '{a[NR]=$1} END {print "min " a[1] ", median " a[int((NR+1)/2)] ", max " a[NR]}')" \
		'BEGIN {printf "jobs %s: %s execs in all; %d execs in %.0f s past the seeds: %.3f execs/s; load %s\n", n, all, e1 - e0, t1 - t0, (e1 - e0) / (t1 - t0), load}'
}
{
	echo "== fuzz --jobs 1 vs --jobs $jobs on kref, $duration each, seed $seed, $(nproc) CPUs"
	measure 1
	measure "$jobs"
} | tee "$out/summary.txt"
