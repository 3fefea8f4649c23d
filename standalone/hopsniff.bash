# bash completion for hopsniff(1)                          -*- shell-script -*-
# Options are read from `hopsniff --help` (so they cannot drift from the
# program), interfaces from `hopsniff --list-interfaces`; files after the
# options that take one; -d's rule (tcp.port==PORT,NAME) with NAME from the
# "(NAME: ...)" list of --help, which the decoder writes.

_hopsniff()
{
	local cur prev words cword
	_init_completion -s || return

	case $prev in
		-r | --read | -w | --write)
			_filedir
			return ;;
		--keylog | --keytab | --html)
			_filedir
			return ;;
		-i | --interface)
			COMPREPLY=($(compgen -W "$("$1" --list-interfaces 2>/dev/null | cut -f1)" -- "$cur"))
			return ;;
		-d | --decode-as)
			if [[ $cur == *,* ]]; then
				local names
				names=$("$1" --help 2>/dev/null | sed -nE 's/.*--decode-as.*\(NAME: ([^)]*)\).*/\1/p' | tr -d ',')
				COMPREPLY=($(compgen -P "${cur%%,*}," -W "$names" -- "${cur#*,}"))
			else
				COMPREPLY=($(compgen -W "tcp.port== udp.port==" -- "$cur"))
				compopt -o nospace 2>/dev/null
			fi
			return ;;
		-f | --filter | -c | --count | --duration | --settle | --snaplen | --buffer-size)
			return ;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		local opts
		# the option tables of --help: "  -r, --read=FILE   Capture file ..."
		opts=$("$1" --help 2>/dev/null | sed -nE '/Options:$/,$ s/^ +(-([A-Za-z]), )?--([A-Za-z][A-Za-z-]*).*/\3 -\2/p' |
			sed -E 's/^/--/; s/ -$//' | tr ' ' '\n')
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	# the one command word, first after the program name
	if ((cword == 1)); then
		COMPREPLY=($(compgen -W "decode" -- "$cur"))
	fi
} &&
	complete -F _hopsniff hopsniff
