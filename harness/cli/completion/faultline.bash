# bash completion for faultline.
# The commands come from `faultline --help` and each command's options from
# `faultline COMMAND --help`, which are generated from the man pages: an option added there
# completes without an edit here. Only the values of a few options are named below.

# "SHORT LONG ARG" per option of COMMAND ("-o --output DIR", "- --list").
_faultline_options()
{
	"$1" "$2" --help 2>/dev/null |
		sed -nE 's/^ {2,6}(-([a-zA-Z]), )?(--[a-z][a-z-]*)( [A-Z][^ ]*)?( {2,}.*)?$/-\2 \3\4/p'
}

_faultline_commands()
{
	"$1" --help 2>/dev/null |
		sed -n '/^Commands:/,/^$/{/not built yet/d;s/^  \([a-z][a-z]*\) .*/\1/p;}'
}

_faultline()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local prog=${COMP_WORDS[0]} cmd= opts arg i

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_faultline_commands "$prog") --help --version" -- "$cur")
		return
	fi
	opts=$(_faultline_options "$prog" "$cmd")

	# the value of the option before the cursor, when it takes one
	if [[ $prev == -* ]]; then
		arg=$(awk -v o="$prev" '($1 == o || $2 == o) && NF == 3 { print $2 " " $3 }' <<<"$opts")
		if [[ -n $arg ]]; then
			_faultline_value "$cmd" "${arg% *}" "${arg#* }" "$cur"
			return
		fi
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(awk '{ print $2 }' <<<"$opts")" -- "$cur")
		return
	fi
	case $cmd in
	run | bench | rollout | validate | fuzz)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -X '!*.yaml' -- "$cur"; compgen -d -- "$cur")
		;;
	replay | minimize | report | compare | merge)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	db)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W import -- "$cur"; compgen -d -- "$cur")
		;;
	classify | mutate | format)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	esac
}

# COMPREPLY for the value of option LONG (placeholder ARG) of command CMD.
_faultline_value()
{
	local cmd=$1 long=$2 arg=$3 cur=$4 head= left= m

	case $cmd:$long in
	*:--isolation) mapfile -t COMPREPLY < <(compgen -W "boot snapshot reuse warm" -- "$cur") ;;
	*:--accel) mapfile -t COMPREPLY < <(compgen -W "auto tcg kvm" -- "$cur") ;;
	report:--format) mapfile -t COMPREPLY < <(compgen -W "html junit markdown json" -- "$cur") ;;
	*:--modes)
		[[ $cur == *,* ]] && head=${cur%,*},
		for m in boot snapshot reuse warm; do
			[[ ,$head == *,$m,* ]] || left+=" $m"
		done
		mapfile -t COMPREPLY < <(compgen -P "$head" -W "$left" -- "${cur##*,}")
		;;
	*)
		compopt -o filenames 2>/dev/null
		case $arg in
		DIR) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
		FILE | F) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
		esac
		;;
	esac
}

complete -F _faultline faultline
