#!/bin/sh
# check-seeds.sh KSCU_GEN CONTENT_DIR — regenerate the built-in seeds and compare them byte for
# byte with the committed ones (scenarios/content/NAME.kscu). Regenerate after a deliberate
# change with: KSCU_GEN --builtin NAME -o scenarios/content/NAME.kscu
set -eu
gen=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for name in basic ext; do
	"$gen" --builtin "$name" -o "$tmp/$name.kscu"
	if ! cmp "$tmp/$name.kscu" "$dir/$name.kscu"; then
		echo "seed $dir/$name.kscu differs from 'kscu-gen --builtin $name'" >&2
		status=1
	fi
done
exit $status
