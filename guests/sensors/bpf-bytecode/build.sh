#!/bin/sh
# build.sh OUT — the guest's loader (static: the guest has no C library) and the baseline
# container it writes (the scenarios' seed scenarios/content/bpf-bytecode.bpf is the same bytes;
# regenerate it with: guests/sensors/bpf-bytecode/build.sh /tmp/b && cp /tmp/b/baseline.bpf
# scenarios/content/bpf-bytecode.bpf).
set -eu
[ $# -eq 1 ] || { echo "usage: build.sh OUT" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
if [ ! -x "$1/bpfload" ] || [ "$here/bpfload.c" -nt "$1/bpfload" ]; then
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$1/bpfload.tmp" "$here/bpfload.c"
	mv "$1/bpfload.tmp" "$1/bpfload"
fi
"$1/bpfload" seed "$1/baseline.bpf"
