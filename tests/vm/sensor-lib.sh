# sensor-lib.sh — sourced by the vm tests of the third-party sensors (apparmor.sh, clamav.sh)
# after they set faultline, check, src, state and run: a committed seed is what its generator
# writes today, one scenario of tests/data/vm runs with every stated expectation met, and its
# records are found by sensor and case.
fail() { echo "FAIL: $*"; exit 1; }

# seed_current COMMITTED GENERATOR [ARG...]: GENERATOR ARG... OUT writes what COMMITTED must be
# (OUT has COMMITTED's file name: make-cud.sh names the container's contents after it)
seed_current() {
	local committed=$1 tmp seed
	shift
	tmp=$(mktemp -d)
	seed=$tmp/$(basename "$committed")
	"$@" "$seed"
	cmp "$seed" "$committed" ||
		{ rm -rf "$tmp"; fail "$committed is not what '$*' writes (regenerate it)"; }
	rm -rf "$tmp"
}

# run_vm NAME RECORDS: run tests/data/vm/NAME.yaml into $run; exit 0 and RECORDS records expected.
# Sets res, the results file.
run_vm() {
	local start rc=0
	rm -rf "$run"
	mkdir -p "$(dirname "$run")"
	start=$(date +%s)
	"$faultline" run --state-dir "$state" -o "$run" -j 1 -q "$src/tests/data/vm/$1.yaml" || rc=$?
	"$check" "$run/results.jsonl" --list
	echo "$1: exit $rc in $(($(date +%s) - start)) s"
	[ "$rc" = 0 ] || fail "expected exit 0 (every stated expectation met)"
	[ "$("$check" "$run/results.jsonl")" = "$2" ] || fail "expected $2 records"
	res=$run/results.jsonl
}

# record SENSOR CASE: the record's JSON line
record() { grep -F "\"sensor\":\"$1\",\"case\":\"$2\"," "$run/results.jsonl"; }
