#!/bin/sh
# make-seed.sh OUT — write the baseline container (what scenarios/content/bpf-bytecode.bpf must
# be) with a loader built in a temporary folder: tests/vm/kvalid.sh checks the committed seed.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$(dirname "$0")/build.sh" "$tmp" >/dev/null
cp "$tmp/baseline.bpf" "$1"
