#!/bin/bash
# help-man.sh FAULTLINE MAN_DIR SRC — the man pages, --help and the code agree on every command's
# options: for faultline(1) and each faultline-COMMAND(1) built from harness/cli/man/, the options
# of the man page's OPTIONS section, those `faultline COMMAND --help` lists, and those the
# command's getopt_long table and option string accept (harness/cli/cli-COMMAND.c) are the same
# sets; every documented option is accepted by the binary; every command that
# `faultline --help` lists as built has a man page.
set -euo pipefail
faultline=$1 man_dir=$2 src=$3
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# "-o --output" lines (a "-" for no short option), sorted, from a man page's OPTIONS section: the
# term lines, each the line before an indented description (.RS 4) in scdoc's roff.
man_options() {
	awk '/^\.SH /{ opts = ($2 == "OPTIONS") } opts && $0 == ".RS 4" { print prev } { prev = $0 }' "$1" |
		sed -e 's/\\f[BIR]//g' |
		sed -nE 's/^(-([a-zA-Z]), )?(--[a-z][a-z-]*).*/-\2 \3/p' | sort
}
# The same from --help text.
help_options() {
	sed -nE 's/^ {2,6}(-([a-zA-Z]), )?(--[a-z][a-z-]*)( [A-Z][^ ]*)?( {2,}.*)?$/-\2 \3/p' | sort
}
# Long options in a C file's getopt_long tables (with the shared session options when it uses
# CLI_SESSION_LONGOPTS), and the short ones of its option string: "long" and "-x" lines, sorted.
source_options() {
	local file=$1
	{
		grep -oE '\{"[a-z][a-z-]*", (no|required|optional)_argument' "$file" | cut -d'"' -f2
		if grep -q 'CLI_SESSION_LONGOPTS,' "$file"; then
			sed -n '/#define CLI_SESSION_LONGOPTS/,/^$/p' "$src/harness/cli/cli.h" |
				grep -oE '"[a-z][a-z-]*", (no|required|optional)_argument' | cut -d'"' -f2
		fi
		grep -oE 'getopt_long\(argc, argv, "[^"]*"' "$file" | sed 's/.*"\(.*\)"/\1/' |
			tr -d ':' | fold -w1 | sed 's/^/-/'
	} | sort -u
}
# "long" and "-x" lines of "-x --long" lines.
split_options() {
	awk '{ print substr($2, 3); if ($1 != "-") print $1 }' | sort -u
}

pages=$(cd "$man_dir" && ls faultline*.1)
[ -n "$pages" ] || { echo "FAIL: no man pages in $man_dir"; exit 1; }
for page in $pages; do
	cmd=${page%.1}
	cmd=${cmd#faultline}
	cmd=${cmd#-}
	m=$(man_options "$man_dir/$page")
	[ -n "$m" ] || bad "$page: no options found in its OPTIONS section"
	if [ -z "$cmd" ]; then
		h=$("$faultline" --help | help_options)
	else
		h=$("$faultline" "$cmd" --help | help_options)
	fi
	if [ "$m" != "$h" ]; then
		bad "$page and 'faultline $cmd --help' list different options:"
		diff <(echo "$m") <(echo "$h") | sed 's/^/    /' || true
	fi
	if [ -n "$cmd" ]; then
		c=$(source_options "$src/harness/cli/cli-$cmd.c")
		d=$(echo "$m" | split_options)
		if [ "$c" != "$d" ]; then
			bad "$page and harness/cli/cli-$cmd.c (getopt) differ (< code, > man page):"
			diff <(echo "$c") <(echo "$d") | sed 's/^/    /' || true
		fi
	fi
	# the binary takes each one (with an argument where it wants one, and nothing else to do)
	for long in $(echo "$m" | awk '{ print $2 }'); do
		out=$("$faultline" ${cmd:+"$cmd"} "$long" x </dev/null 2>&1 >/dev/null || true)
		case $out in
		*"unrecognized option"* | *"unknown command"*) bad "faultline $cmd $long: ${out%%$'\n'*}" ;;
		esac
	done
done

# every built command has a page
for cmd in $("$faultline" --help | sed -n '/^Commands:/,/^$/{/not built yet/d;s/^  \([a-z][a-z]*\) .*/\1/p;}'); do
	[ -e "$man_dir/faultline-$cmd.1" ] || bad "faultline $cmd has no man page faultline-$cmd(1)"
done
[ "$fail" = 0 ] && echo "help-man: $(echo "$pages" | wc -w) man pages agree with --help and getopt"
exit "$fail"
