#!/bin/bash
# completion.sh FAULTLINE SRC — the shell completions complete what the binary takes: commands,
# a command's options (read from its --help, so from its man page), the values of the options
# that have a fixed set, and files or folders where a command wants them. bash always; zsh's
# option specs when zsh is installed (.ci/setup installs it).
set -euo pipefail
export LC_ALL=C
faultline=$(realpath "$1") src=$(realpath "$2")
fail=0
cd "$(mktemp -d)"
trap 'rm -rf "$PWD"' EXIT
mkdir -p runs/a scen
touch scen/one.yaml scen/notes.txt

bash_complete() {
	bash -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_faultline
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
		_ "$src/harness/cli/completion/faultline.bash" "$faultline" "$@"
}
expect() {
	local want=$1
	shift
	local got
	got=$(bash_complete "$@")
	if [ "$got" != "$want" ]; then
		echo "FAIL: bash: faultline $* -> '$got', want '$want'"
		fail=1
	fi
}

expect "--help --version bench classify compare db format fuzz history merge minimize mutate replay report rollout run validate" ""
expect "import" db im
expect "--baseline" history --ba
expect "replay report rollout run" r
expect "--quiet" run --qu
expect "--isolation" run --is
expect "--sensors-dir" validate --sen
expect "boot reuse snapshot warm" run --isolation ""
expect "auto kvm tcg" bench --accel ""
expect "boot,reuse boot,snapshot boot,warm" bench --modes boot,
expect "boot,reuse,snapshot boot,reuse,warm" bench --modes boot,reuse,
expect "html json junit markdown" report --format ""
expect "html json junit markdown" report -f ""
expect "runs scen" run -o ""
expect "scen/one.yaml" run scen/
expect "runs/a" replay runs/
expect "--max-rows" report --max
# every option --help lists completes, so an option added to a man page completes too
for cmd in run bench replay report; do
	want=$("$faultline" "$cmd" --help | sed -nE 's/^ {2,6}(-[a-zA-Z], )?(--[a-z][a-z-]*).*/\2/p' |
		sort | tr '\n' ' ' | sed 's/ $//')
	expect "$want" "$cmd" --
done

if command -v zsh >/dev/null; then
	# _arguments and _describe stand in for zsh's: they print the specs they are given
	got=$(zsh -c '
		_arguments() { print -rl -- "$@" }
		_describe() { print -rl -- ${(P)4} }
		source "$1" >/dev/null
		words=("$2" run --is); CURRENT=3; _faultline
		words=("$2" ""); CURRENT=2; _faultline' _ "$src/harness/cli/completion/_faultline" "$faultline")
	# PREFIX|SUFFIX of a spec that must be there
	for spec in '--isolation[|]:M:(boot snapshot reuse warm)' '-o[|]:DIR:_files -/' '--quiet[|]' \
		'*:scenario:_files -g "*.yaml"|' 'bench:|'; do
		pre=${spec%%|*} suf=${spec#*|} found=
		while IFS= read -r l; do
			[[ $l == "$pre"* && $l == *"$suf" ]] && found=1
		done <<<"$got"
		[ -n "$found" ] || { echo "FAIL: zsh: no spec '$pre...$suf' in:"; echo "$got"; fail=1; }
	done
	zsh_too=" and zsh"
else
	echo "completion: zsh not installed, its completion not tried"
fi
[ "$fail" = 0 ] && echo "completion: bash${zsh_too:-} complete commands, options and values"
exit "$fail"
