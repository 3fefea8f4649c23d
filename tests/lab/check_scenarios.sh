#!/bin/bash
# Checks the key facts of each recorded lab scenario with tshark (independent of hopsniff).
#   tests/lab/check_scenarios.sh [SCENARIO_ROOT] [SCENARIO...]
# SCENARIO_ROOT defaults to captures/lab/scenarios. A scenario folder without pcaps is skipped.
# Last line: "N passed, N failed". Exit 1 on any failure.
set -u
ROOT=${1:-$(cd "$(dirname "$0")/../.." && pwd)/captures/lab/scenarios}
shift || true
ONLY=("$@")
PASS=0 FAIL=0
command -v tshark >/dev/null || { echo "tshark missing"; echo "0 passed, 1 failed"; exit 1; }

# count FILE FILTER: number of frames matching a display filter
# (TSOPTS: extra tshark options, e.g. decryption with a scenario keytab)
# (SCN_OPTS: the scenario's tshark-opts.txt, the decode-as of its non-standard ports, scenarios 27-33)
TSOPTS=() SCN_OPTS=()
count() { tshark -n -r "$1" "${SCN_OPTS[@]}" "${TSOPTS[@]}" -Y "$2" -T fields -e frame.number 2>/dev/null | grep -c . ; }
with_keytab() { TSOPTS=(-o kerberos.decrypt:TRUE -o "kerberos.file:$CUR/$1"); }
# at_least N WHAT FILE FILTER
at_least() {
  local n=$1 what=$2 f=$CUR/$3 flt=$4 c
  if [ ! -f "$f" ]; then echo "FAIL $S: $what ($3 missing)"; FAIL=$((FAIL + 1)); return; fi
  c=$(count "$f" "$flt")
  if [ "$c" -ge "$n" ]; then echo "ok   $S: $what ($c)"; PASS=$((PASS + 1))
  else echo "FAIL $S: $what: $3 [$flt] matched $c, want >= $n"; FAIL=$((FAIL + 1)); fi
}
none() {
  local what=$1 f=$CUR/$2 flt=$3 c
  if [ ! -f "$f" ]; then echo "FAIL $S: $what ($2 missing)"; FAIL=$((FAIL + 1)); return; fi
  c=$(count "$f" "$flt")
  if [ "$c" -eq 0 ]; then echo "ok   $S: $what"; PASS=$((PASS + 1))
  else echo "FAIL $S: $what: $2 [$flt] matched $c, want 0"; FAIL=$((FAIL + 1)); fi
}
# client_rc TAG RC: the client's recorded exit status (pywinrm / curl JSON)
client_rc() {
  local f=$CUR/client-$1.json got
  got=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("status_code"))' "$f" 2>/dev/null)
  if [ "$got" = "$2" ]; then echo "ok   $S: client $1 exit status $2"; PASS=$((PASS + 1))
  else echo "FAIL $S: client $1 exit status $got, want $2"; FAIL=$((FAIL + 1)); fi
}

# skew_seen SECONDS FILE: srv2's clock, from the Current Time of its SMB2 NEGOTIATE response, is at least SECONDS
# ahead of the capture's timestamp of that frame
skew_seen() {
  local f=$CUR/$2 line t c d
  line=$(tshark -n -r "$f" -Y 'smb2.cmd == 0 && smb2.flags.response == 1' -T fields -E 'separator=|' \
    -e frame.time_epoch -e smb2.current_time 2>/dev/null | head -1)
  t=${line%%|*}; c=${line#*|}
  d=$(( $(date -u -d "${c//,/}" +%s 2>/dev/null || echo 0) - ${t%.*} ))
  if [ -n "$line" ] && [ "$d" -ge "$1" ]; then echo "ok   $S: srv2's SMB2 time $d s ahead of the capture"; PASS=$((PASS + 1))
  else echo "FAIL $S: srv2's SMB2 time ${d:-?} s ahead of the capture, want >= $1"; FAIL=$((FAIL + 1)); fi
}
# hop 1 Kerberos: "Negotiate" (requests-kerberos, curl) or "Kerberos" (the lab's sealing auth for pywinrm, MS-WSMV)
KRB_AUTHZ='(http.authorization contains "Negotiate" || http.authorization contains "Kerberos")'
HOP1_KRB="tcp.dstport == 5985 && $KRB_AUTHZ"
# WinRM message encryption (MS-WSMV 2.2.9.1): a sealed body's Content-Type
SEALED='http.content_type contains "multipart/encrypted" || http.content_type contains "multipart/x-multi-encrypted"'
SYN_TO='tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport =='
CLOSE_401='http.response.code == 401 && http.connection == "close"'
TGS_REQ='kerberos.msg_type == 12'
FWD_TGT='kerberos.msg_type == 12 && kerberos.KDCOptions.forwarded == 1'
ANON_SMB='tcp.dstport == 445 && ntlmssp.messagetype == 3 && ntlmssp.auth.username == "NULL"'
SMB_DENIED='smb2.cmd == 3 && smb2.nt_status == 0xc0000022'
SMB_SESS_OK='smb2.cmd == 1 && smb2.flags.response == 1 && smb2.nt_status == 0'
SMB_TREE_OK='smb2.cmd == 3 && smb2.flags.response == 1 && smb2.nt_status == 0'
S4U2SELF='kerberos.msg_type == 12 && kerberos.padata_type == 129'
S4U2PROXY='kerberos.msg_type == 12 && kerberos.KDCOptions.constrained.delegation == 1'
# PA-PAC-OPTIONS (167) with the resource-based-constrained-delegation bit (MS-KILE 2.2.10)
RBCD_BIT='kerberos.msg_type == 12 && kerberos.padata_type == 167 && kerberos.PAC.OPTIONS.FLAGS.resource.based.constrained.delegation == 1'
S4U2SELF_FWD='kerberos.msg_type == 13 && kerberos.SNameString == "SRV1$" && kerberos.TicketFlags.forwardable == 1'
S4U2SELF_NOFWD='kerberos.msg_type == 13 && kerberos.SNameString == "SRV1$" && kerberos.TicketFlags.forwardable == 0'
# the KDC's own reasons (dc-kdc.log: Samba's audit line per AS/TGS exchange)
kdc_says() { # WHAT PATTERN
  if grep -q -- "$2" "$CUR/dc-kdc.log" 2>/dev/null; then echo "ok   $S: KDC log: $1"; PASS=$((PASS + 1))
  else echo "FAIL $S: KDC log (dc-kdc.log) lacks [$2]"; FAIL=$((FAIL + 1)); fi
}

check() {
  case $S in
  01-*)
    at_least 1 "hop 1 Kerberos (Negotiate) to WinRM" client1.pcapng "$HOP1_KRB"
    none "no forwarded TGT requested" client1.pcapng "$FWD_TGT"
    at_least 1 "hop 2 anonymous NTLMSSP to srv2:445" srv1.pcapng "$ANON_SMB"
    at_least 1 "hop 2 tree connect ACCESS_DENIED" srv1.pcapng "$SMB_DENIED"
    client_rc alice 1 ;;
  02-*)
    at_least 1 "hop 1 NTLMSSP AUTHENTICATE as alice on 5985" client1.pcapng 'tcp.dstport == 5985 && ntlmssp.messagetype == 3 && ntlmssp.auth.username contains "alice"'
    none "no Kerberos on client1" client1.pcapng 'kerberos'
    at_least 1 "hop 2 anonymous NTLMSSP" srv1.pcapng "$ANON_SMB"
    at_least 1 "hop 2 ACCESS_DENIED" srv1.pcapng "$SMB_DENIED"
    client_rc alice 1 ;;
  03-*)
    at_least 4 "CredSSP Authorization headers (TLS records) on 5985" client1.pcapng 'tcp.dstport == 5985 && http.authorization contains "CredSSP"'
    at_least 3 "CredSSP answers in WWW-Authenticate" client1.pcapng 'http.response.code == 401 && http.www_authenticate contains "CredSSP"'
    at_least 1 "CredSSP completed (200 after the authInfo leg)" client1.pcapng 'http.response.code == 200'
    at_least 1 "srv1 logs on anew as alice (AS-REQ from srv1)" srv1.pcapng 'kerberos.msg_type == 10 && ip.src == 10.200.0.11 && kerberos.CNameString == "alice"'
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  04-*)
    at_least 1 "client asked for CredSSP" client1.pcapng 'tcp.dstport == 5985 && http.authorization contains "CredSSP"'
    at_least 1 "401 offering Negotiate" client1.pcapng 'http.response.code == 401 && http.www_authenticate contains "Negotiate"'
    none "server never offers or answers CredSSP" client1.pcapng 'http.www_authenticate contains "CredSSP"'
    none "no second hop" srv1.pcapng 'tcp.dstport == 445'
    client_rc alice None ;;
  05-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    with_keytab srv1.keytab
    at_least 1 "HTTP/srv1 ticket has ok-as-delegate=1 (srv1.keytab)" client1.pcapng 'kerberos.msg_type == 13 && kerberos.TicketFlags.ok.as.delegate == 1'
    TSOPTS=()
    at_least 1 "srv1 TGS-REQ for cifs/srv2 with alice's TGT" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"cifs\""
    at_least 1 "hop 2 SMB session setup ok" srv1.pcapng "$SMB_SESS_OK"
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  06-*)
    at_least 1 "hop 1 Kerberos to WinRM (curl)" client1.pcapng "$HOP1_KRB"
    none "no forwarded TGT requested (srv1 not ok-as-delegate)" client1.pcapng "$FWD_TGT"
    with_keytab srv1.keytab
    at_least 1 "HTTP/srv1 ticket has ok-as-delegate=0 (srv1.keytab)" client1.pcapng 'kerberos.msg_type == 13 && kerberos.TicketFlags.ok.as.delegate == 0'
    TSOPTS=()
    at_least 1 "hop 2 anonymous" srv1.pcapng "$ANON_SMB"
    client_rc alice 1 ;;
  07-*)
    at_least 1 "S4U2Self (PA-FOR-USER)" srv1.pcapng "$S4U2SELF"
    with_keytab srv1.keytab
    at_least 1 "S4U2Self ticket forwardable (srv1.keytab)" srv1.pcapng 'kerberos.msg_type == 13 && kerberos.SNameString == "SRV1$" && kerberos.TicketFlags.forwardable == 1'
    TSOPTS=()
    at_least 1 "S4U2Proxy (cname-in-addl-tkt)" srv1.pcapng "$S4U2PROXY"
    none "no KRB-ERROR 13" srv1.pcapng 'kerberos.error_code == 13'
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  08-*|09-*|10-*|17-*|21-*)
    at_least 1 "S4U2Self (PA-FOR-USER)" srv1.pcapng "$S4U2SELF"
    with_keytab srv1.keytab
    case $S in
    08-*|17-*) at_least 1 "S4U2Self ticket forwardable (srv1.keytab)" srv1.pcapng "$S4U2SELF_FWD" ;;
    *)    at_least 1 "S4U2Self ticket NOT forwardable (srv1.keytab)" srv1.pcapng "$S4U2SELF_NOFWD" ;;
    esac
    TSOPTS=()
    at_least 1 "S4U2Proxy (cname-in-addl-tkt)" srv1.pcapng "$S4U2PROXY"
    at_least 1 "S4U2Proxy asks for RBCD (PA-PAC-OPTIONS bit)" srv1.pcapng "$RBCD_BIT"
    at_least 1 "KDC_ERR_BADOPTION (13)" srv1.pcapng 'kerberos.error_code == 13'
    at_least 1 "KDC_ERR_BADOPTION (13) seen at the DC" dc.pcapng 'kerberos.error_code == 13'
    none "no SMB from srv1" srv1.pcapng 'tcp.dstport == 445'
    case $S in
    10-*|21-*) kdc_says "evidence ticket not forwardable" 'ERR_BADOPTION .*reason=Missing forwardable flag' ;;
    17-*)      kdc_says "RBCD not allowed" 'ERR_BADOPTION .*reason=Constrained delegation not allowed' ;;
    esac
    client_rc alice 1 ;;
  16-*|19-*)
    at_least 1 "S4U2Self (PA-FOR-USER)" srv1.pcapng "$S4U2SELF"
    with_keytab srv1.keytab
    at_least 1 "S4U2Self ticket forwardable (srv1.keytab)" srv1.pcapng "$S4U2SELF_FWD"
    TSOPTS=()
    at_least 1 "S4U2Proxy asks for RBCD (PA-PAC-OPTIONS bit)" srv1.pcapng "$RBCD_BIT"
    none "no KRB-ERROR 13" srv1.pcapng 'kerberos.error_code == 13'
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    kdc_says "S4U2Proxy granted" 'TGS-REQ SUCCESS .*cifs/srv2.hop.test@HOP.TEST .*impersonatee=alice'
    client_rc alice 0 ;;
  18-*|20-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "forwarded TGT refused: KDC_ERR_BADOPTION (13)" client1.pcapng 'kerberos.error_code == 13'
    with_keytab srv1.keytab
    at_least 1 "HTTP/srv1 ticket NOT forwardable (srv1.keytab)" client1.pcapng 'kerberos.msg_type == 13 && kerberos.TicketFlags.forwardable == 0 && kerberos.TicketFlags.ok.as.delegate == 1'
    TSOPTS=()
    kdc_says "no forwardable ticket" 'ERR_BADOPTION .*reason=Request to forward non-forwardable ticket'
    at_least 1 "hop 2 anonymous" srv1.pcapng "$ANON_SMB"
    client_rc alice 1 ;;
  22-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "srv1 TGS-REQ for cifs/srv2" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"srv2.hop.test\""
    at_least 1 "KDC_ERR_ETYPE_NOSUPP (14)" srv1.pcapng 'kerberos.error_code == 14'
    at_least 1 "KDC_ERR_ETYPE_NOSUPP (14) seen at the DC" dc.pcapng 'kerberos.error_code == 14'
    none "no SMB session setup (smbclient stopped after NEGOTIATE)" srv1.pcapng 'smb2.cmd == 1'
    kdc_says "enctype not supported" 'ERR_ETYPE_NOSUPP .*cifs/srv2.hop.test.*reason=Enctype not supported'
    client_rc alice 1 ;;
  23-*)
    at_least 3 "three WinRM sessions (curl)" client1.pcapng "$HOP1_KRB"
    at_least 2 "two HTTP/srv1 tickets: before and after the purge" client1.pcapng 'kerberos.msg_type == 13 && kerberos.SNameString == "srv1.hop.test"'
    with_keytab srv1.keytab
    at_least 1 "first HTTP/srv1 ticket without ok-as-delegate (srv1.keytab)" client1.pcapng 'kerberos.msg_type == 13 && kerberos.TicketFlags.ok.as.delegate == 0'
    at_least 1 "ticket after the purge with ok-as-delegate (srv1.keytab)" client1.pcapng 'kerberos.msg_type == 13 && kerberos.TicketFlags.ok.as.delegate == 1'
    TSOPTS=()
    at_least 1 "a forwarded TGT only after the purge" client1.pcapng "$FWD_TGT"
    at_least 2 "two anonymous hop-2 sessions" srv1.pcapng "$ANON_SMB"
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice-1 1
    client_rc alice-2 1
    client_rc alice-3 0 ;;
  24-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "srv1 TGS-REQ for HTTP/srv2" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"HTTP\" && kerberos.SNameString == \"srv2.hop.test\""
    at_least 1 "hop 2 WinRM Kerberos from srv1 to srv2:5985" srv1.pcapng "ip.src == 10.200.0.11 && tcp.dstport == 5985 && $KRB_AUTHZ"
    at_least 1 "hop 2 WinRM answered 200" srv1.pcapng 'ip.src == 10.200.0.12 && tcp.srcport == 5985 && http.response.code == 200'
    client_rc alice 0 ;;
  25-*)
    at_least 1 "S4U2Self (PA-FOR-USER)" srv1.pcapng "$S4U2SELF"
    at_least 1 "S4U2Proxy for HTTP/srv2" srv1.pcapng "$S4U2PROXY && kerberos.SNameString == \"HTTP\""
    at_least 1 "KDC_ERR_BADOPTION (13)" srv1.pcapng 'kerberos.error_code == 13'
    none "no WinRM from srv1 to srv2" srv1.pcapng 'ip.dst == 10.200.0.12 && tcp.dstport == 5985'
    kdc_says "target not allowed" 'ERR_BADOPTION .*HTTP/srv2.hop.test.*reason=Constrained delegation not allowed'
    client_rc alice 1 ;;
  11-*)
    at_least 2 "AS-REQ for alice from srv1" srv1.pcapng 'kerberos.msg_type == 10 && ip.src == 10.200.0.11 && kerberos.CNameString == "alice"'
    at_least 1 "AS-REP for alice to srv1" srv1.pcapng 'kerberos.msg_type == 11 && ip.dst == 10.200.0.11'
    at_least 1 "KDC_ERR_PREAUTH_FAILED (24)" srv1.pcapng 'kerberos.error_code == 24'
    at_least 1 "hop 2 by Kerberos: TGS-REQ for cifs/srv2 from srv1" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"srv2.hop.test\""
    none "no NTLM on hop 2" srv1.pcapng 'tcp.dstport == 445 && ntlmssp.messagetype == 3'
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice-goodpw 0
    client_rc alice-badpw 1 ;;
  12-*)
    at_least 1 "AS-REQ for svc_runas from srv1" srv1.pcapng 'kerberos.msg_type == 10 && kerberos.CNameString == "svc_runas"'
    none "no AS-REQ for alice from srv1" srv1.pcapng 'kerberos.msg_type == 10 && ip.src == 10.200.0.11 && kerberos.CNameString == "alice"'
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  13-*)
    at_least 1 "TGS-REQ for cifs/files.hop.test" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"files.hop.test\""
    at_least 1 "KDC_ERR_S_PRINCIPAL_UNKNOWN (7)" srv1.pcapng 'kerberos.error_code == 7'
    at_least 1 "NTLM fallback: NTLMSSP AUTHENTICATE as alice to 445" srv1.pcapng 'tcp.dstport == 445 && ntlmssp.messagetype == 3 && ntlmssp.auth.username contains "alice"'
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  14-*)
    at_least 1 "TLS on 5986" client1.pcapng 'tcp.dstport == 5986 && tls.handshake.type == 1'
    none "no clear-text HTTP without the key log" client1.pcapng 'http.request'
    KL="-o tls.keylog_file:$CUR/tls-keylog-client1.txt"
    c=$(tshark -n -r "$CUR/client1.pcapng" $KL -Y 'tcp.dstport == 5986 && http.authorization contains "Negotiate"' -T fields -e frame.number 2>/dev/null | grep -c .)
    if [ "$c" -ge 1 ]; then echo "ok   $S: key log decrypts the Negotiate Authorization ($c)"; PASS=$((PASS + 1))
    else echo "FAIL $S: key log does not reveal the Negotiate Authorization"; FAIL=$((FAIL + 1)); fi
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  15-*)
    at_least 1 "alice's forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 2 "two users authenticated to WinRM" client1.pcapng "$HOP1_KRB"
    at_least 1 "bob's hop 2 anonymous" srv1.pcapng "$ANON_SMB"
    at_least 1 "alice's hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0
    client_rc bob 1 ;;
  26-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "srv1 TGS-REQ for cifs/srv2 answered (TGS-REP)" srv1.pcapng 'kerberos.msg_type == 13 && kerberos.SNameString == "srv2.hop.test"'
    at_least 1 "hop 2 Kerberos session setup refused: STATUS_LOGON_FAILURE" srv1.pcapng 'smb2.cmd == 1 && smb2.nt_status == 0xc000006d'
    none "no KRB-ERROR on the wire" srv1.pcapng 'kerberos.msg_type == 30'
    skew_seen 600 srv1.pcapng
    client_rc alice 1 ;;
  # ---- issue 20: the same double hops on other ports (tshark told the port by tshark-opts.txt)
  27-*|28-*)
    P=${S#*-port-}
    at_least 1 "hop 1 Kerberos to WinRM over HTTP on $P" client1.pcapng "tcp.dstport == $P && $KRB_AUTHZ"
    none "nothing on 5985" client1.pcapng 'tcp.port == 5985'
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "srv1 TGS-REQ for cifs/srv2" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"cifs\""
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  29-*|30-*)
    P=${S#*-port-}
    at_least 1 "TLS ClientHello on $P" client1.pcapng "tcp.dstport == $P && tls.handshake.type == 1"
    none "no clear-text HTTP without the key log" client1.pcapng 'http.request'
    TSOPTS=(-o "tls.keylog_file:$CUR/tls-keylog-client1.txt")
    at_least 1 "key log decrypts the Negotiate Authorization on $P" client1.pcapng "tcp.dstport == $P && http.authorization contains \"Negotiate\""
    TSOPTS=()
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  31-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "hop 2 Kerberos session setup ok on 4455" srv1.pcapng "$SMB_SESS_OK && tcp.srcport == 4455"
    at_least 1 "hop 2 tree connect ok on 4455" srv1.pcapng "$SMB_TREE_OK && tcp.srcport == 4455"
    none "nothing on 445" srv1.pcapng 'tcp.port == 445'
    client_rc alice 0 ;;
  32-*|33-*)
    case $S in 32-*) P=389 ;; *) P=10389 ;; esac
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "srv1 TGS-REQ for ldap/dc with alice's TGT" srv1.pcapng "$TGS_REQ && kerberos.SNameString == \"ldap\""
    at_least 1 "hop 2 LDAP SASL GSSAPI bind on $P" srv1.pcapng "tcp.dstport == $P && ldap.protocolOp == 0 && ldap.mechanism == \"GSSAPI\""
    at_least 1 "hop 2 LDAP bind succeeded (resultCode 0) on $P" srv1.pcapng "tcp.srcport == $P && ldap.protocolOp == 1 && ldap.resultCode == 0"
    [ $P = 389 ] || none "no LDAP on 389 from srv1" srv1.pcapng 'tcp.port == 389'
    client_rc alice 0 ;;
  # ---- issues 15 / 17: the 401 on a connection of its own
  34-*)
    at_least 4 "401 with Connection: close" client1.pcapng "$CLOSE_401"
    at_least 8 "eight connections to 5985 (four 401s, four authenticated)" client1.pcapng "$SYN_TO 5985"
    at_least 4 "Negotiate on the new connections" client1.pcapng "$HOP1_KRB"
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "hop 2 tree connect ok" srv1.pcapng "$SMB_TREE_OK"
    client_rc alice 0 ;;
  35-*)
    at_least 1 "401 with Connection: close" client1.pcapng "$CLOSE_401"
    at_least 2 "two connections to 5985" client1.pcapng "$SYN_TO 5985"
    at_least 1 "NTLMSSP AUTHENTICATE as alice on the new connection" client1.pcapng 'tcp.dstport == 5985 && ntlmssp.messagetype == 3 && ntlmssp.auth.username contains "alice"'
    at_least 1 "hop 2 anonymous" srv1.pcapng "$ANON_SMB"
    at_least 1 "hop 2 ACCESS_DENIED" srv1.pcapng "$SMB_DENIED"
    client_rc alice 1 ;;
  # ---- issue 17: Kerberos for a name without SPN, then Negotiate's NTLM fallback with a forwarded TGT only
  36-*|37-*)
    at_least 1 "client asks the KDC for a forwarded TGT" client1.pcapng "$FWD_TGT"
    at_least 1 "srv1 TGS-REQ for cifs/files.hop.test" srv1.pcapng "$TGS_REQ && ip.src == 10.200.0.11 && kerberos.SNameString == \"files.hop.test\""
    with_keytab krbtgt.keytab
    at_least 1 "... made with alice's forwarded TGT (krbtgt.keytab: cname alice, forwarded)" srv1.pcapng "$TGS_REQ && ip.src == 10.200.0.11 && kerberos.SNameString == \"files.hop.test\" && kerberos.CNameString == \"alice\" && kerberos.TicketFlags.forwarded == 1"
    TSOPTS=()
    none "no AS-REQ from srv1 (no password of alice on srv1)" srv1.pcapng 'kerberos.msg_type == 10 && ip.src == 10.200.0.11'
    at_least 1 "KDC_ERR_S_PRINCIPAL_UNKNOWN (7) to srv1" dc.pcapng 'kerberos.error_code == 7 && ip.dst == 10.200.0.11'
    kdc_says "cifs/files.hop.test unknown" 'TGS-REQ ERR_S_PRINCIPAL_UNKNOWN .* alice@HOP.TEST cifs/files.hop.test@HOP.TEST'
    none "no Kerberos token reached srv2 (no AP-REQ on 445)" srv1.pcapng 'tcp.dstport == 445 && kerberos'
    at_least 2 "two SMB connections: the Kerberos attempt's, then the NTLM fallback's" srv1.pcapng "$SYN_TO 445"
    case $S in
    36-*)
      at_least 1 "NTLM fallback anonymous (NTLMSSP AUTHENTICATE, NULL user)" srv1.pcapng "$ANON_SMB"
      at_least 1 "anonymous session accepted" srv1.pcapng "$SMB_SESS_OK"
      at_least 1 "tree connect to the share ACCESS_DENIED" srv1.pcapng "$SMB_DENIED" ;;
    *)
      at_least 1 "NTLM fallback as alice (NTLMSSP AUTHENTICATE)" srv1.pcapng 'tcp.dstport == 445 && ntlmssp.messagetype == 3 && ntlmssp.auth.username == "alice"'
      at_least 1 "session setup refused: STATUS_LOGON_FAILURE" srv1.pcapng 'smb2.cmd == 1 && smb2.nt_status == 0xc000006d'
      none "no tree connect" srv1.pcapng 'smb2.cmd == 3' ;;
    esac
    client_rc alice 1 ;;
  *) echo "skip $S: no checks defined" ;;
  esac
  # issue 16: hop-1 bodies sealed exactly where the endpoint sealed them (its plaintext log, run.sh)
  if [ -f "$CUR/srv1-plaintext.jsonl" ]; then at_least 1 "hop-1 bodies sealed (multipart/encrypted)" client1.pcapng "$SEALED"
  else none "hop-1 bodies not sealed" client1.pcapng "$SEALED"; fi
}

for CUR in "$ROOT"/*/; do
  CUR=${CUR%/}; S=$(basename "$CUR")
  if [ ${#ONLY[@]} -gt 0 ]; then
    m=; for o in "${ONLY[@]}"; do [[ $S == "$o"* ]] && m=1; done; [ -n "$m" ] || continue
  fi
  ls "$CUR"/*.pcapng >/dev/null 2>&1 || { echo "skip $S: no captures"; continue; }
  SCN_OPTS=()
  [ ! -f "$CUR/tshark-opts.txt" ] || read -r -a SCN_OPTS < <(grep -v '^#' "$CUR/tshark-opts.txt" | tr '\n' ' ')
  check
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
