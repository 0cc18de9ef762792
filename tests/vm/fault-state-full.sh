#!/bin/bash
# vm suite, fault injection: the state directory's file system (a tmpfs of its own) filled up
# while a case runs. Save images, clones and libvirt's own files can no longer be written:
# whatever the run could still do must be the sensor's verdict, and whatever it could not must
# be an infra-error that says "No space left on device", never a crash, hang or rejection.
. "$(dirname "$0")/fault-lib.sh"
mnt=$(mktemp -d /tmp/faultline-full-XXXXXX)
if ! mount -t tmpfs -o size=400m faultline-full "$mnt" 2>"$run/mount.err"; then
	rmdir "$mnt"
	echo "SKIP: cannot mount a tmpfs here: $(cat "$run/mount.err")"
	exit 77
fi
cleanup_extra='umount "$mnt" || umount -l "$mnt"; rmdir "$mnt"'
# the cached guest images come along, so that nothing is built again
cp -a "$state/images" "$state/build" "$mnt/"
state=$mnt
start_run --isolation snapshot
wait_case valid
dd if=/dev/zero of="$mnt/fill" bs=1M status=none 2>/dev/null || true
df -h "$mnt" | sed "s/^/$name: /"
rc=0
wait "$pid" || rc=$?
report
infra=$(grep -c '"verdict":"infra-error"' "$run/results.jsonl" || true)
# every record: the sensor's verdict, or an infra-error naming the full disk
for c in valid field-count-mismatch zero-inst-len; do
	if record $c | grep -q '"verdict":"infra-error"'; then
		record_has $c 'No space left on device'
	fi
done
expect=$((infra > 0 ? 1 : 0))
[ "$rc" = "$expect" ] || fail "exit status $rc with $infra infra-errors"
grep -q 'No space left on device' "$run/results.jsonl" ||
	fail "the full file system is not recorded"
if ((infra == 0)); then expect_verdicts; fi
if pgrep -af "guest=fl-$pid-"; then fail "QEMU processes outlived the run"; fi
[ "$("$check" "$run/results.jsonl")" = 3 ] || fail "expected 3 records"
echo "$name: state dir full during valid: $infra infra-errors naming it, no false verdict"
