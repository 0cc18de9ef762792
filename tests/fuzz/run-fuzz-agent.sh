#!/bin/bash
# run-fuzz-agent.sh — build one of the guest agent's libFuzzer targets with clang (ASan + UBSan)
# and run it for a bounded time.
# Usage: tests/fuzz/run-fuzz-agent.sh conf|frames [SECONDS]   (default 60; OUT=dir for the build)
#   conf    guests/agent/conf.c (sensor.conf parser), seeded with sensor.conf texts
#   frames  harness/base/proto.c decoder + guests/agent/frames.c, seeded with valid frames (STORE
#           and well-formed and malformed REMEDY answers among them); every payload also read as
#           the agent's WATCHED answer
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../..
target=${1:-}
secs=${2:-60}
case "$target" in
conf) sources=("$src/guests/agent/conf.c") ;;
frames) sources=("$src/guests/agent/frames.c" "$src/harness/base/proto.c") ;;
*) echo "usage: $0 conf|frames [SECONDS]" >&2; exit 2 ;;
esac
OUT=${OUT:-/tmp/faultline-fuzz-agent-$target}
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CC" ] || { echo "run-fuzz-agent.sh: clang not found" >&2; exit 77; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$src/harness/base" -I"$src/guests/agent" \
	"$here/fuzz-agent-$target.c" "${sources[@]}" -lz -o "$OUT/fuzz-agent-$target"
if [ "$target" = conf ]; then
	printf 'name=ksensor-legacy\nstart=insmod /lib/sensor/ksensor.ko\ndeliver=device\npath=/dev/ksensor\ntrigger=/lib/sensor/kstrigger\nreject_errno=1\nreject_exit=1\nreject_log=ksensor: rejected\n' \
		>"$OUT/corpus/ksensor.conf"
	printf 'name=u\ndeliver=command\ncommand=load "$FAULTLINE_UPDATE"\n' >"$OUT/corpus/command.conf"
	printf 'name=p\ndeliver=device\npath=/dev/p\npersist_store=/persist/p/c\npersist_load=a\npersist_load=b\npersist_healthy=c\n' \
		>"$OUT/corpus/persist.conf"
else
	# seeds: well-formed frame streams, written with the real encoder
	cat >"$OUT/seed.c" <<'SEED'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"
static void put(FILE *f, uint16_t type, const void *p, uint32_t n)
{
	uint8_t *b;
	size_t size;
	if (proto_encode(type, 1, p, n, &b, &size) == 0)
		fwrite(b, 1, size, f);
	free(b);
}
int main(int argc, char **argv)
{
	static uint8_t upd[4096];
	FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
	size_t n = in ? fread(upd, 1, sizeof(upd), in) : 0;
	(void)argc;
	put(out, PROTO_MARK, "case 1", 6);
	put(out, PROTO_UPDATE, upd, (uint32_t)n);
	put(out, PROTO_UPDATE, upd, (uint32_t)n);
	put(out, PROTO_HEARTBEAT, "", 0);
	put(out, PROTO_STORE, upd, (uint32_t)n);
	{
		/* REMEDY answers: none, delete, a rollback to the update, and malformed ones */
		static uint8_t r[4 + sizeof(upd)];
		for (uint32_t action = 0; action < 4; action++) {
			proto_put_u32(r, action);
			put(out, PROTO_REMEDY, r, 4);
			memcpy(r + 4, upd, n);
			put(out, PROTO_REMEDY, r, 4 + (uint32_t)n);
		}
		put(out, PROTO_REMEDY, r, 3);
	}
	put(out, PROTO_WATCH, "", 0);
	{
		static const char w[] = "process=usensord\nlog=1\nprobe=1\npid_at_delivery=81\n"
					"pid_changes=2\ndied_lines=3\nloss_ms=300\nprobes=4\n"
					"probe_output=probe: blind\n\nusensor: caught signal 11\n";
		put(out, PROTO_WATCHED, w, sizeof(w) - 1);
	}
	return fclose(out) != 0;
}
SEED
	"$CC" -std=gnu11 -I"$src/harness/base" "$OUT/seed.c" "$src/harness/base/proto.c" -lz -o "$OUT/seed"
	"$OUT/seed" "$src/scenarios/content/basic.kscu" "$OUT/corpus/frames"
fi
"$OUT/fuzz-agent-$target" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" \
	-print_final_stats=1 "$OUT/corpus" 2>&1 | tail -15
