#!/bin/bash
# client1's side for scenario 6: WinRM shell by hand with curl --negotiate (MIT GSS-API), because pywinrm 0.3.0
# cannot ask for policy delegation. usage: winrm_curl.sh URL none|policy|always COMMAND [ARGS...]
# Prints a JSON summary of what curl and srv1 answered. WINRM_CURL_ANYAUTH=1: curl --anyauth (scenario 34): each
# request goes first without credentials and curl picks Negotiate from the 401 (with --negotiate alone curl
# authenticates preemptively).
set -u
URL=$1 DELEG=$2; shift 2
CMD=$1; shift; ARGS="$*"
RURI=http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd
env_xml() { # action body [shellid]
  local sel=""; [ -n "${3:-}" ] && sel="<w:SelectorSet><w:Selector Name=\"ShellId\">$3</w:Selector></w:SelectorSet>"
  cat <<X
<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><env:Header><a:To>$URL</a:To><a:ReplyTo><a:Address env:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:MaxEnvelopeSize env:mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>uuid:$(cat /proc/sys/kernel/random/uuid)</a:MessageID><w:OperationTimeout>PT60S</w:OperationTimeout><w:ResourceURI env:mustUnderstand="true">$RURI</w:ResourceURI><a:Action env:mustUnderstand="true">$1</a:Action>$sel</env:Header><env:Body>$2</env:Body></env:Envelope>
X
}
post() { curl -sS --negotiate ${WINRM_CURL_ANYAUTH:+--anyauth} -u : --delegation "$DELEG" -H 'Content-Type: application/soap+xml;charset=UTF-8' \
  --data-binary @- -w '\n%{http_code}' "$URL"; }
r=$(env_xml http://schemas.xmlsoap.org/ws/2004/09/transfer/Create '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>' | post)
shell=$(sed -n 's/.*Name="ShellId">\([^<]*\)<.*/\1/p' <<<"$r")
[ -n "$shell" ] || { printf '{"client":"curl --negotiate --delegation %s","error":"create failed","http":"%s"}\n' "$DELEG" "$(tail -1 <<<"$r")"; exit 1; }
r=$(env_xml http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command "<rsp:CommandLine><rsp:Command>$CMD</rsp:Command><rsp:Arguments>$ARGS</rsp:Arguments></rsp:CommandLine>" "$shell" | post)
cid=$(sed -n 's/.*<rsp:CommandId>\([^<]*\)<.*/\1/p' <<<"$r")
r=$(env_xml http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive "<rsp:Receive><rsp:DesiredStream CommandId=\"$cid\">stdout stderr</rsp:DesiredStream></rsp:Receive>" "$shell" | post)
rc=$(sed -n 's/.*<rsp:ExitCode>\([0-9-]*\)<.*/\1/p' <<<"$r")
out=$(grep -o '<rsp:Stream Name="stdout"[^>]*>[^<]\+<' <<<"$r" | sed 's/.*>\(.*\)</\1/' | base64 -d 2>/dev/null)
err=$(grep -o '<rsp:Stream Name="stderr"[^>]*>[^<]\+<' <<<"$r" | sed 's/.*>\(.*\)</\1/' | base64 -d 2>/dev/null)
env_xml http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete '' "$shell" | post >/dev/null
/usr/bin/python3 -c 'import json,sys; print(json.dumps({"client":"curl --negotiate "+("--anyauth " if sys.argv[5] else "")+"--delegation "+sys.argv[1],"status_code":int(sys.argv[2] or -1),"std_out":sys.argv[3],"std_err":sys.argv[4]},indent=1))' "$DELEG" "${rc:-}" "$out" "$err" "${WINRM_CURL_ANYAUTH:-}"
[ "${rc:-1}" = 0 ]
