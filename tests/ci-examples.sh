#!/bin/bash
# unit suite: the CI examples in .ci/examples/ run commands faultline accepts, and their shards
# cover the scenario. For each file: the shard indices the platform gives (a GitHub matrix,
# GitLab's parallel:, a Kubernetes Indexed Job's completions, a Slurm --array) are read from the
# file, its `faultline run` line is run by sh for each of them with the platform's variables set,
# through a stand-in build/faultline that runs the real one with --list added; the jobs the
# shards list must be the scenario's, each exactly once, and every directory the shards write
# must be one the file's `faultline merge` line reads; that line must get past faultline's option
# parser (to complain that the directories do not exist yet).
# Usage: ci-examples.sh FAULTLINE SOURCE_DIR
set -euo pipefail
faultline=$(realpath "$1") src=$(realpath "$2")
ex=$src/.ci/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$tmp/build"
ln -s "$src/scenarios" "$tmp/scenarios"
cat >"$tmp/build/faultline" <<STUB
#!/bin/sh
# run: list the shard's jobs (and note its -o); merge: the real one
case "\$1" in
run)
	shift
	prev=
	for a in "\$@"; do [ "\$prev" = -o ] && echo "\$a" >>"$tmp/outs"; prev=\$a; done
	exec "$faultline" run --list "\$@" ;;
merge) exec "$faultline" "\$@" ;;
*) echo "unexpected: faultline \$*" >&2; exit 99 ;;
esac
STUB
chmod +x "$tmp/build/faultline"

jobs_of() { # --list output -> "SENSOR CASE" lines
	awk 'length($3) == 64 && $3 ~ /^[0-9a-f]+$/ { for (i = 4; i <= NF; i++) { split($i, a, "="); print a[1], $1 } }'
}
cd "$tmp"
"$faultline" run --list scenarios/quickstart.yaml | jobs_of | sort >all
[ "$(wc -l <all)" = 14 ] || fail "the quickstart lists $(wc -l <all) jobs, not 14"

line_of() { # FILE PATTERN -> the command from "build/faultline" to the end of its line
	local l
	l=$(grep -m1 -o "build/faultline $2.*" "$1") || fail "$1: no 'faultline $2' line"
	l=${l%\'}
	echo "$l"
}

# shard K ENV... CMD: shard K of a file, run by sh with the platform's environment; its --list
# output into lists/K
shard() {
	local k=$1
	shift
	mkdir -p lists
	env "$@" >"lists/$k" 2>&1 || { cat "lists/$k"; fail "shard $k: faultline refused it"; }
}

# check FILE N: the N shards listed every job once and as shards K/N, and the file's merge
# reads every directory they write and gets past the option parser
check() {
	local file=$1 n=$2 merge out arg found
	for k in $(seq 1 "$n"); do
		[ -f "lists/$k" ] || fail "$file: no shard $k of $n"
		grep -q "^shard $k/$n: " "lists/$k" || fail "$file: shard $k/$n did not list as one"
	done
	[ "$(ls lists | wc -l)" = "$n" ] || fail "$file: shards other than 1..$n ran"
	cat lists/* | jobs_of | sort >got
	cmp -s got all || { diff all got || true; fail "$file: the shards do not list every job exactly once"; }
	merge=$(line_of "$ex/$file" merge)
	set -f
	while read -r out; do
		found=
		for arg in ${merge#build/faultline merge }; do
			# shellcheck disable=SC2053 # the merge's argument may be a glob
			[ "$arg" != -o ] && [[ $out == $arg ]] && found=1
		done
		[ -n "$found" ] || fail "$file: the merge does not read $out"
	done <outs
	set +f
	sh -c "$merge" >merge.out 2>&1 && fail "$file: a merge of nothing succeeded"
	grep -q "has no run.json" merge.out || { cat merge.out; fail "$file: faultline refused the merge line"; }
	echo "$file: $n shards list the $(wc -l <all) jobs once each; the merge reads them all"
	rm -rf lists outs got merge.out
}

# GitHub Actions: matrix.shard's values, substituted into the run line
f=github-actions.yml
ks=$(sed -n 's/^ *shard: \[\(.*\)\]/\1/p' "$ex/$f" | tr -d ' ' | tr , ' ')
cmd=$(line_of "$ex/$f" "run --shard")
cmd=${cmd#sudo }
for k in $ks; do shard "$k" sh -c "${cmd//'${{ matrix.shard }}'/$k}"; done
check $f "$(echo $ks | wc -w)"

# GitLab: parallel: N gives CI_NODE_INDEX 1..N and CI_NODE_TOTAL N
f=gitlab-ci.yml
n=$(sed -n 's/^ *parallel: *\([0-9]*\) *$/\1/p' "$ex/$f")
[ -n "$n" ] || fail "$f: no parallel: N"
cmd=$(line_of "$ex/$f" "run --shard")
for k in $(seq 1 "$n"); do shard "$k" CI_NODE_INDEX=$k CI_NODE_TOTAL=$n sh -c "$cmd"; done
check $f "$n"

# Kubernetes: an Indexed Job of `completions:` pods, JOB_COMPLETION_INDEX 0..N-1
f=kubernetes-indexed-job.yaml
grep -q '^ *completionMode: Indexed$' "$ex/$f" || fail "$f: not an Indexed Job"
n=$(sed -n 's/^ *completions: *\([0-9]*\) *$/\1/p' "$ex/$f")
[ -n "$n" ] || fail "$f: no completions: N"
cmd=$(line_of "$ex/$f" "run --shard")
for i in $(seq 0 $((n - 1))); do shard $((i + 1)) JOB_COMPLETION_INDEX=$i sh -c "$cmd"; done
check $f "$n"

# Slurm: #SBATCH --array=A-B gives SLURM_ARRAY_TASK_ID A..B and SLURM_ARRAY_TASK_COUNT; the
# script itself is what a task runs
f=slurm-array.sh
range=$(sed -n 's/^#SBATCH --array=\([0-9]*-[0-9]*\)$/\1/p' "$ex/$f")
[ -n "$range" ] || fail "$f: no #SBATCH --array=A-B"
a=${range%-*} b=${range#*-}
for k in $(seq "$a" "$b"); do
	shard "$k" SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=$((b - a + 1)) bash "$ex/$f"
done
check $f $((b - a + 1))
echo PASS
