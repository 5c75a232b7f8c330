# bash completion for ulvm: the words come from ulvm's own command tables
# (`ulvm __complete [COMMAND [VERB]]`), so they never drift from the CLI.
_ulvm()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd="" verb="" i words
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--run-dir) ((i++)) ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}; elif [[ -z $verb ]]; then verb=${COMP_WORDS[i]}; fi ;;
		esac
	done
	if [[ -z $cmd ]]; then
		words="$(ulvm __complete 2>/dev/null) --run-dir --verbose --help --version"
	elif [[ $cmd == dmsetup || $cmd == thin ]] && [[ -z $verb ]]; then
		words=$(ulvm __complete "$cmd" 2>/dev/null)
	elif [[ $cmd == dmsetup || $cmd == thin ]]; then
		words=$(ulvm __complete "$cmd" "$verb" 2>/dev/null)
	elif [[ $cur == -* ]]; then
		words=$(ulvm __complete "$cmd" 2>/dev/null)
	else
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _ulvm ulvm
