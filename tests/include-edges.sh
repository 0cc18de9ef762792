#!/bin/bash
# include-edges.sh — the layering rule as a test. Each stage folder may include its own headers
# and those of the stages listed for it below (today's edges, as the folders' meson.build files
# link them); nothing else:
#   - every #include "..." in a stage folder names a plain file name (a path such as
#     "harness/fleet/reaper.h" or "../fleet/reaper.h" would reach past the include path) that is
#     a header of its own folder or of an allowed stage, and of exactly one such folder;
#   - with a build directory, no stage's compile command has the top-level folder or a stage it
#     may not use on its include path (compile_commands.json).
#
#   tests/include-edges.sh SOURCE_ROOT [BUILD_DIR]
#   tests/include-edges.sh --self-check SOURCE_ROOT BUILD_DIR
#
# --self-check proves the check can fail: on a copy of the stage folders it must pass, then fail
# for each of an include up the flow, a path-qualified one, a relative one and the top-level
# folder planted on base/'s include path. Exit 0: no violation; 1: violations, one a line.
set -euo pipefail

# stage -> the stages it may use (below it in the flow). The folder of a stage: harness/STAGE,
# except reports/ and the guest agent (guests/agent, which shares only the wire protocol).
EDGES='
base:
content: base
minimize: content base
scenario: content base
classify: base
fleet: scenario classify content base
results: scenario content base
rollout: fleet scenario classify content base
fuzz: content base
history: results base
engine: fleet rollout fuzz minimize results history reports scenario classify content base
reports: results history base
cli: engine fleet rollout fuzz minimize results history reports scenario classify content base
agent: base
'
# generated headers: name -> the stage whose build folder holds it
GENERATED='config.h:base'

# The rules in awk, shared by both checks: stage(dir) and allowed(from, to).
AWK_LIB='
function stage(d,   s) {
	if (d == "reports" || d ~ /^reports\//) return "reports"
	if (d == "guests/agent" || d ~ /^guests\/agent\//) return "agent"
	if (d !~ /^harness\//) return ""
	s = substr(d, 9); sub(/\/.*/, "", s)
	return (s in edges) ? s : ""
}
function allowed(from, to) { return from == to || index(" " edges[from] " ", " " to " ") > 0 }
function load_edges(text,   n, i, l, k) {
	n = split(text, l, "\n")
	for (i = 1; i <= n; i++) {
		if (l[i] !~ /:/) continue
		k = l[i]; sub(/:.*/, "", k)
		edges[k] = substr(l[i], length(k) + 2)
	}
}
function dirname(p) { sub(/\/[^\/]*$/, "", p); return p }
'

stage_dirs() { # ROOT -> the stage folders that exist
	local d
	for d in "$1"/harness/*/ "$1"/reports/ "$1"/guests/agent/; do
		[ -d "$d" ] || continue
		d=${d%/}
		echo "${d#"$1"/}"
	done
}

check_includes() { # ROOT
	local root=$1 dirs
	dirs=$(stage_dirs "$root")
	# shellcheck disable=SC2086 # a list of folders
	(cd "$root" && find $dirs \( -name '*.c' -o -name '*.h' \) | sort |
		xargs grep -HE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' /dev/null |
		awk -v edges_text="$EDGES" -v generated="$GENERATED" -v headers="$(find $dirs -name '*.h')" \
			"$AWK_LIB"'
		BEGIN {
			load_edges(edges_text)
			n = split(headers, h, "\n")
			for (i = 1; i <= n; i++) {
				b = h[i]; sub(/.*\//, "", b)
				d = dirname(h[i])
				have[h[i]] = 1
				if (stage(d) == "") continue
				if (b in where) where[b] = where[b] " " d
				else where[b] = d
			}
			n = split(generated, g, " ")
			for (i = 1; i <= n; i++) { split(g[i], kv, ":"); gen[kv[1]] = kv[2] }
		}
		{
			f = $0; sub(/:.*/, "", f)
			name = $0; sub(/^[^"]*"/, "", name); sub(/".*/, "", name)
			dir = dirname(f); from = stage(dir)
			if (from == "") next
			if (name ~ /\//) {
				print f ": #include \"" name "\": a path; name the header and link its stage in meson.build"
				bad = 1; next
			}
			if ((dir "/" name) in have) next
			if (name in where) {
				if (where[name] ~ / /) {
					print f ": #include \"" name "\": ambiguous, in " where[name]; bad = 1; next
				}
				to = stage(where[name])
			} else if (name in gen) {
				to = gen[name]
			} else {
				print f ": #include \"" name "\": no such header in any stage folder"; bad = 1; next
			}
			if (!allowed(from, to)) { print f ": #include \"" name "\": " from " may not use " to; bad = 1 }
		}
		END { exit bad }')
}

check_paths() { # BUILD_DIR
	local db=$1/compile_commands.json
	[ -f "$db" ] || {
		echo "$db: missing"
		return 1
	}
	# A target's stage is the folder its objects are built in (OUTPUT: DIR/TARGET.p/...);
	# targets outside the stage folders (the agent's, in guests/; the tests') are not checked.
	awk -v edges_text="$EDGES" "$AWK_LIB"'
		BEGIN { load_edges(edges_text) }
		/^ *"command": / { c = $0; sub(/^ *"command": "/, "", c); sub(/",?$/, "", c) }
		/^ *"file": / { f = $0; sub(/^ *"file": "/, "", f); sub(/",?$/, "", f) }
		/^ *"output": / {
			o = $0; sub(/^ *"output": "/, "", o); sub(/",?$/, "", o)
			sub(/\/[^\/]*\.p\/.*/, "", o)
			from = stage(o)
			if (from == "") next
			n = split(c, t, " ")
			for (i = 1; i <= n; i++) {
				if (t[i] !~ /^-I/) continue
				p = substr(t[i], 3)
				if (p ~ /^\// || p ~ /\.p$/) continue
				if (p == "." || p == ".." || p == "./" || p == "../") {
					print f ": the top-level folder (" t[i] ") is on its include path"; bad = 1; continue
				}
				sub(/^\.\.\//, "", p)
				to = stage(p)
				if (to != "" && !allowed(from, to)) {
					print f ": " t[i] " on its include path: " from " may not use " to; bad = 1
				}
			}
		}
		END { exit bad }' "$db"
}

self_check() { # ROOT BUILD_DIR
	local src=$1 build=$2 tmp fails=0 plant
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	mkdir -p "$tmp/root/guests" "$tmp/build"
	cp -r "$src/harness" "$src/reports" "$tmp/root/"
	cp -r "$src/guests/agent" "$tmp/root/guests/"
	cp "$build/compile_commands.json" "$tmp/build/"
	if ! out=$(check_includes "$tmp/root" && check_paths "$tmp/build"); then
		echo "self-check: the unchanged copy fails:"
		echo "$out"
		return 1
	fi
	local base=$tmp/root/harness/base/util.c
	cp "$base" "$tmp/util.c"
	for plant in '#include "reaper.h"' '#include "harness/fleet/reaper.h"' \
		'#include "../fleet/reaper.h"'; do
		cp "$tmp/util.c" "$base"
		echo "$plant" >>"$base"
		if check_includes "$tmp/root" >/dev/null; then
			echo "self-check: base/util.c with $plant passes"
			fails=1
		fi
	done
	cp "$tmp/util.c" "$base"
	# the command precedes its file: plant -I.. in the line before
	awk '{ l[NR] = $0 } /"file": "..\/harness\/base\/util.c"/ { sub(/"command": "[^ ]* /, "&-I.. ", l[NR - 1]) }
		END { for (i = 1; i <= NR; i++) print l[i] }' "$build/compile_commands.json" \
		>"$tmp/build/compile_commands.json"
	if check_paths "$tmp/build" >/dev/null; then
		echo "self-check: -I.. on base/util.c's include path passes"
		fails=1
	fi
	return $fails
}

if [ "${1:-}" = --self-check ]; then
	[ $# = 3 ] || {
		echo "usage: $0 --self-check SOURCE_ROOT BUILD_DIR" >&2
		exit 2
	}
	self_check "$2" "$3"
	exit
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 SOURCE_ROOT [BUILD_DIR]" >&2
	exit 2
fi
status=0
check_includes "$1" || status=1
if [ $# = 2 ]; then
	check_paths "$2" || status=1
fi
exit $status
