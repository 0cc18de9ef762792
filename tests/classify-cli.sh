#!/bin/bash
# classify-cli.sh — `faultline classify` as a user runs it: JSON fields, '-' for stdin, exit codes.
# Usage: classify-cli.sh FAULTLINE SOURCE_DIR
set -uo pipefail
bin=$1
data=$2/tests/data/console
fail=0
check() { # name, condition already evaluated as $?
	if [ "$2" -ne 0 ]; then
		echo "FAIL: $1"
		fail=1
	fi
}

out=$("$bin" classify "$data/real-null.log"); rc=$?
check "crash exit 0" $rc
grep -q '"verdict": *"crash"' <<<"$out"; check "crash verdict" $?
grep -q '"title": *"BUG: kernel NULL pointer dereference in crashme_null"' <<<"$out"
check "crash title" $?
grep -q '"type": *"null-deref"' <<<"$out"; check "crash type" $?
grep -q '"first_line": *350' <<<"$out"; check "crash first_line" $?
grep -q '"report": *"\[ *[0-9.]*\] BUG: kernel NULL pointer dereference' <<<"$out"
check "crash report" $?

out=$("$bin" classify - <"$data/real-hung.log"); rc=$?
check "stdin exit 0" $rc
grep -q '"verdict": *"hang"' <<<"$out"; check "stdin hang verdict" $?

out=$("$bin" classify "$data/clean-user-stress.log"); rc=$?
check "clean exit 0" $rc
grep -q '"verdict": *"clean"' <<<"$out"; check "clean verdict" $?
grep -q '"title": *null' <<<"$out"; check "clean title null" $?
grep -q '"report": *null' <<<"$out"; check "clean report null" $?

# a sensor's stderr (--user), and the signal alone when the log says nothing
out=$("$bin" classify --user "$data/user/asan-heap-buffer-overflow.log"); rc=$?
check "user exit 0" $rc
grep -q '"title": *"AddressSanitizer: heap-buffer-overflow in ks_eval_field"' <<<"$out"
check "user title" $?
grep -q '"type": *"asan"' <<<"$out"; check "user type" $?
out=$("$bin" classify --user --signal 11 - <"$data/user/clean-sensor.log"); rc=$?
check "user signal exit 0" $rc
grep -q '"title": *"SEGV"' <<<"$out"; check "user signal title" $?
grep -q '"first_line": *null' <<<"$out"; check "user signal first_line null" $?
out=$("$bin" classify --user "$data/user/clean-sensor.log")
grep -q '"verdict": *"clean"' <<<"$out"; check "user clean verdict" $?
"$bin" classify --signal 11 "$data/user/clean-sensor.log" >/dev/null 2>&1; [ $? -eq 2 ]
check "--signal without --user exit 2" $?
"$bin" classify --user --signal 0 "$data/user/clean-sensor.log" >/dev/null 2>&1; [ $? -eq 2 ]
check "--signal 0 exit 2" $?

"$bin" classify /nonexistent/console.log >/dev/null 2>&1; [ $? -eq 2 ]; check "missing file exit 2" $?
"$bin" classify "$data" >/dev/null 2>&1; [ $? -eq 2 ]; check "directory exit 2" $?
"$bin" classify >/dev/null 2>&1; [ $? -eq 2 ]; check "no argument exit 2" $?
"$bin" classify --help | grep -q '^Usage: faultline classify'; check "--help" $?
exit $fail
