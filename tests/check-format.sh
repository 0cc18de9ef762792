#!/bin/sh
# check-format.sh SRC — every C file under harness/, reports/, guests/agent/ and tests/ is as the
# committed .clang-format writes it. SKIP (77) only where clang-format is not installed.
set -eu
cd "$1"
cf=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$cf" ] || { echo "check-format: clang-format not installed" >&2; exit 77; }
files=$(find harness reports guests/agent tests -name '*.[ch]' -not -path 'tests/data/*' | sort)
bad=0
for f in $files; do
	if ! "$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (clang-format -i $f)" >&2
		bad=1
	fi
done
exit $bad
