#!/bin/bash
# vm suite: the installed faultline runs the quickstart end to end. `meson install` is staged and
# moved (tests/install.sh, which also checks what was installed), then the installed binary, with
# none of the FAULTLINE_* variables set, runs its own copy of the quickstart with its own state
# dir (images built from the installed sensors and image builder, and cached there), checked as
# tests/vm/quickstart.sh checks a run of the build tree's binary.
# Usage: installed.sh BUILD_DIR SOURCE_DIR JSONL_CHECK STATE_DIR RUN_DIR
set -euo pipefail
build=$1 src=$2 check=$3 state=$4 run=$5
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no QEMU on this machine"; exit 77; }
keep=$(mktemp -d /tmp/faultline-installed-XXXXXX)
trap 'rm -rf "$keep"' EXIT
"$src/tests/install.sh" "$build" "$src" yes "$keep"
p=$keep/prefix
unset FAULTLINE_DATA_DIR FAULTLINE_SENSORS_DIR FAULTLINE_FORMATS_DIR FAULTLINE_AGENT FAULTLINE_SOURCE_DIR
"$src/tests/vm/quickstart.sh" "$p/bin/faultline" "$check" "$p/share/faultline" "$state" snapshot "$run"
# the images were built from the installed sensors, not the source tree's
data=$(realpath "$p/share/faultline")
grep -q "Entering directory '$data/guests/sensors/ksensor'" "$state/build/ksensor-legacy.log" ||
	{ echo "FAIL: ksensor-legacy was not built from $data:"; cat "$state/build/ksensor-legacy.log"; exit 1; }
echo "installed: the quickstart ran from $p"
