#!/bin/bash
# vm suite: the progress line in a real terminal. `faultline run` of a two-case scenario runs in a
# tmux pane (as a user at a terminal would, so CI is unset there); everything the pane received
# is logged (pipe-pane) and its screen captured at the end. The line must have been drawn in
# place with its counts, rate and ETA, at most about four times a second, and cleared, leaving
# the final table intact on the screen.
# Usage: progress-tmux.sh FAULTLINE SOURCE_DIR STATE_DIR
set -euo pipefail
faultline=$1 src=$2 state=$3
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (.ci/setup installs it)"; exit 1; }
tmp=$(mktemp -d /tmp/faultline-tmux-XXXXXX)
sock=faultline-test-$$
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	echo "--- screen:"
	cat "$tmp/screen" 2>/dev/null || true
	echo "--- what the pane received (escapes shown):"
	sed -n l "$tmp/raw" 2>/dev/null | tail -40 || true
	exit 1
}

# The command waits for the pane's output to be logged before it starts.
cat >"$tmp/cmd.sh" <<EOF
while [ ! -e "$tmp/go" ]; do sleep 0.1; done
start=\$(date +%s)
env -u CI "$faultline" run --state-dir "$state" -o "$tmp/run" "$src/tests/data/vm/progress.yaml"
echo "exit \$? after \$((\$(date +%s) - start)) s" >"$tmp/status"
sleep 3600
EOF
tm new-session -d -s progress -x 160 -y 50 "bash $tmp/cmd.sh"
tm pipe-pane -t progress -o "cat >>'$tmp/raw'"
touch "$tmp/go"
for _ in $(seq 1200); do
	[ -e "$tmp/status" ] && break
	sleep 1
done
[ -e "$tmp/status" ] || fail "faultline run did not finish in 20 minutes"
sleep 0.5
tm capture-pane -p -t progress >"$tmp/screen"
echo "faultline run in tmux: $(cat "$tmp/status")"
grep -q '^exit 0 ' "$tmp/status" || fail "faultline run: $(cat "$tmp/status")"

# the line, as drawn: erased and rewritten in place, with counts, verdicts, rate and ETA
grep -aq $'\r\033\\[Ksnapshot 0/2 | - cases/min | 0s | ETA -' "$tmp/raw" ||
	fail "no progress line at the start of the run"
# Both results may land within one redraw (the crash case can take under a second): then the
# first line with a result is the final 2/2 one, which has no ETA left to show.
grep -aqE $'\r\033\\[Ksnapshot (1/2 \\| (\033\\[31m)?(crash|accepted) 1(\033\\[0m)? \\| [0-9.]+ cases/min \\| [0-9hms]+ \\| ETA [0-9hms]+|2/2 \\| \033\\[31mcrash 1\033\\[0m accepted 1 \\| [0-9.]+ cases/min \\| [0-9hms]+)' "$tmp/raw" ||
	fail "no progress line after the first result"
draws=$(grep -ao $'\r\033\\[K' "$tmp/raw" | wc -l)
secs=$(sed 's/.* after \([0-9]*\) s/\1/' "$tmp/status")
((draws <= 4 * (secs + 1) + 2)) || fail "$draws redraws in $secs s: more than 4 a second"

# the screen: the table whole, nothing of the line left
grep -qE '^SENSOR +CASE +VERDICT +EXPECTED +TITLE / DETAIL$' "$tmp/screen" || fail "no table header"
grep -qE '^ksensor-legacy +valid +accepted +accepted *$' "$tmp/screen" || fail "no row for valid"
grep -qE '^ksensor-legacy +field-count-mismatch +crash +crash +BUG: unable to handle page fault in ks_eval_field$' \
	"$tmp/screen" || fail "no row for the crash"
grep -q 'cases/min' "$tmp/screen" && fail "the progress line was left on the screen"
echo "progress-tmux: $draws draws in $secs s, the table intact"
