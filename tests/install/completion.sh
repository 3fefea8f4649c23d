#!/usr/bin/env bash
# completion.sh HOPSNIFF COMPLETION_FILE - the bash completion, loaded the way
# bash-completion loads it, asked what an interactive shell would ask:
#   "-"                 every option of `hopsniff --help`, and nothing else;
#   "-i "               the interfaces of `hopsniff --list-interfaces` (lo, any);
#   "-r ", "--keylog ", "--keytab "  the files of the current folder;
#   "hopsniff "         the command word decode;
#   "-d ", "-d tcp.port==8443,winrm"  the rule's forms, the names of --help.
set -uo pipefail
hs=$(readlink -f "$1") comp=$(readlink -f "$2")
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "SKIP: bash-completion not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/files"
ln -s "$hs" "$tmp/bin/hopsniff"
touch "$tmp/files/srv1.pcapng" "$tmp/files/keys.txt" "$tmp/files/srv1.keytab"

# complete LINE: the candidates, sorted, one a line, for the cursor at the end of LINE
complete_line() {
	(cd "$tmp/files" && PATH="$tmp/bin:$PATH" bash --norc --noprofile -c '
		. "$1"; . "$2"
		line=$3
		read -ra COMP_WORDS <<<"$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
		_hopsniff hopsniff "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort -u
	' sh "$bc" "$comp" "$1")
}
fail=0
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; diff <(echo "$2") <(echo "$3"); fail=1; fi
}

# the options of --help, from its option tables ("Help Options:", "Application Options:")
want=$("$hs" --help | awk '/Options:$/ { t = 1 } t && /^ +-/ { for (i = 1; i <= 2; i++) { o = $i; sub(/[,=].*/, "", o); if (o ~ /^-/) print o } }' | sort -u)
check "options = --help's" "$want" "$(complete_line 'hopsniff -' | sort -u)"
check "long options from --" "$(grep -- '^--' <<<"$want")" "$(complete_line 'hopsniff --')"
got=$(complete_line 'hopsniff -i ')
for i in lo any; do
	grep -qx "$i" <<<"$got" && echo "ok   -i offers $i" || { echo "FAIL -i offers no $i: $got"; fail=1; }
done
check "-i l" "lo" "$(complete_line 'hopsniff -i l')"
files=$(printf '%s\n' keys.txt srv1.keytab srv1.pcapng)
check "-r files" "$files" "$(complete_line 'hopsniff -r ')"
check "--keylog files" "$files" "$(complete_line 'hopsniff --keylog ')"
check "--keytab k" "keys.txt" "$(complete_line 'hopsniff --keytab k')"
check "decode -r s" "$(printf '%s\n' srv1.keytab srv1.pcapng)" "$(complete_line 'hopsniff decode -r s')"
check "command word" "decode" "$(complete_line 'hopsniff d')"
check "--count takes a number" "" "$(complete_line 'hopsniff -i lo -c ')"
check "-d rule" "$(printf '%s\n' tcp.port== udp.port==)" "$(complete_line 'hopsniff -d ')"
check "-d names of --help" "$(printf '%s\n' tcp.port==8443,winrm-http tcp.port==8443,winrm-https)" \
	"$(complete_line 'hopsniff -d tcp.port==8443,winrm')"
exit $fail
