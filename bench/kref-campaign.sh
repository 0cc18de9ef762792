#!/bin/bash
# Campaigns on the kref reference sensor from its two valid seeds only
# (tests/data/vm/fuzz-kref.yaml), with and without the input-to-state stage, side by side (one
# guest each, or --jobs N), and which planted bugs each found after how many executions and
# seconds. The planted bugs are listed in guests/sensors/kref/README.md; this script maps an
# oops's function to the bug (the campaign itself knows nothing of them).
# Usage: bench/kref-campaign.sh [--jobs N] [--only plain|cmplog] FAULTLINE KREF_CMPLOG OUT_DIR
#        [DURATION (30m)] [PRNG SEED (1)]
# KREF_CMPLOG `emulator`: the guest emulator's operands instead (QEMU 9.0+: bench/cmplog-emulator.sh)
# --jobs N: each campaign on N guests (faultline fuzz --jobs; 2N guests in all, side by side)
# --only NAME: that campaign alone (the machine's cores to itself)
set -euo pipefail
jobs=1 only=
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) jobs=$2 ;;
	--only) only=$2 ;;
	*) break ;;
	esac
	shift 2
done
case $only in '' | plain | cmplog) ;; *) echo "--only takes plain or cmplog" >&2 && exit 2 ;; esac
faultline=$1 cmplog=$2 out=$3 duration=${4:-30m} seed=${5:-1}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
uptime >"$out/load-start.txt"
run() { # NAME [--cmplog PROG]
	local name=$1
	shift
	"$faultline" fuzz --sensor kref --duration "$duration" --seed "$seed" --jobs "$jobs" \
		-o "$out/$name" "$@" \
		"$src/tests/data/vm/fuzz-kref.yaml" >"$out/$name.out" 2>"$out/$name.err" || true
}
p1= p2=
if [ "$only" != cmplog ]; then
	run plain &
	p1=$!
fi
if [ "$only" != plain ]; then
	run cmplog --cmplog "$cmplog" &
	p2=$!
fi
# the load beside the campaigns, every minute
alive() { for p in $p1 $p2; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while alive; do
	uptime >>"$out/load.txt"
	sleep 60
done
wait $p1 $p2 || true
bug() {
	case $1 in
	*krf_dispatch*) echo "relation (xkind = kind ^ 0xa5)" ;;
	*krf_enter*) echo "pointer (entry to an empty group)" ;;
	*krf_run_ops*) echo "computed check (data's weighted sum)" ;;
	*krf_set_mode*) echo "rare flags (compat + strict)" ;;
	*) echo "not planted: $1" ;;
	esac
}
for name in ${only:-plain cmplog}; do
	execs=$(sed -n 's/^ *"execs":\([0-9]*\).*/\1/p' "$out/$name/campaign.json" 2>/dev/null || echo '?')
	echo "== $name: $execs execs in $duration on $jobs guest(s)"
	grep -h "^cmplog:" "$out/$name.err" || true
	sed -n 's/.*new signature after \([0-9]*\) execs, \([0-9]*\) s: [a-z-]*: \(.*\) (\(.*\))$/\1 \2 \3/p' \
		"$out/$name.err" | while read -r n s title; do
		printf '  %-40s after %5s execs, %5s s  (%s)\n' "$(bug "$title")" "$n" "$s" "$title"
	done
done | tee "$out/summary.txt"
awk '{print $(NF-2)}' "$out/load.txt" | tr -d , | sort -n | awk '{a[NR]=$1} END {if (NR) print "load (1-min average, per minute): min " a[1] ", median " a[int((NR+1)/2)] ", max " a[NR]}' | tee -a "$out/summary.txt"
