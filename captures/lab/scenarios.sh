# Scenario definitions for run.sh (sourced). Each scn_NN runs with the lab up, delegation settings reset,
# $CUR = the scenario's output folder. run.sh stops the captures and saves keytabs/secrets afterwards.
# The client's observed answers go to client-<tag>.json, srv1's second-hop tool answers to srv1-hop2.jsonl.
HS_LAB_ALL_SCENARIOS=(01-kerberos-nothing-configured 02-ntlm-first-hop 03-credssp 04-credssp-disabled-on-server 05-unconstrained
  06-unconstrained-not-trusted 07-constrained-protocol-transition 08-constrained-target-not-allowed
  09-constrained-no-protocol-transition 10-rbcd 11-fresh-credentials 12-runas 13-target-without-spn
  14-https-keylog 15-two-users 16-rbcd-granted 17-rbcd-refused 18-protected-users-unconstrained
  19-protected-users-constrained 20-sensitive-unconstrained 21-sensitive-constrained 22-etype-nosupp
  23-refusal-cache 24-winrm-hop2-unconstrained 25-winrm-hop2-target-not-allowed 26-clock-skew
  27-winrm-http-port-443 28-winrm-http-port-61985 29-winrm-https-port-443 30-winrm-https-port-61986
  31-smb-port-4455 32-ldap-hop2 33-ldap-port-10389 34-winrm-401-new-connection 35-ntlm-401-new-connection
  36-unconstrained-ntlm-fallback 37-unconstrained-ntlm-fallback-refused)

# pywinrm's default message_encryption='auto' (winrm_client.py): every hop-1 body over HTTP after authentication
# is sealed with hop 1's Kerberos or NTLM context, as Windows does with AllowUnencrypted=false (the default).
# Scenario 01 keeps clear SOAP (--encryption never, AllowUnencrypted=true), the seeds' baseline; 06 and 23 (curl)
# and 34 (curl's 401 on a closed connection) are clear too, 03/04 (CredSSP) and 14 (HTTPS) need no sealing.

SRV1_URL=http://srv1.hop.test:5985/wsman
SHARE=//srv2.hop.test/share
deleg() { samba-tool delegation "$@" -s "$DCCONF" >/dev/null; }

# 1. Kerberos first hop, nothing configured: srv1 holds no credential of alice -> anonymous SMB, denied.
scn_01() {
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos --encryption never hop2 smb $SHARE
}

# 2. NTLM first hop (srv1 addressed by IP): nothing to delegate -> anonymous SMB, denied.
scn_02() {
  winrm_start --hop2 auto
  record_start "$CUR"
  CLIENT_CC=
  pywinrm alice --endpoint "http://${IP[srv1]}:5985/wsman" --transport ntlm --user "HOP\\alice" \
    --password "$ALICE_PW" hop2 smb $SHARE
}

# 3 and 4: CredSSP with the lab-written client (credssp_client.py; Debian has no CredSSP client for WinRM).
credssp_client() { # tag, extra args
  local tag=$1; shift
  in_ns client1 env KRB5CCNAME="$CLIENT_CC" $PY "$HERE/credssp_client.py" --host srv1.hop.test --domain HOP \
    --user alice --password "$ALICE_PW" "$@" > "$CUR/client-$tag.json" 2>"$CUR/client-$tag.stderr" || true
  log "client $tag: $(tr -d '\n' < "$CUR/client-$tag.json" | cut -c1-300)"
}

# 3. CredSSP enabled on both sides: alice's password reaches srv1 in TSCredentials; srv1 logs on as alice
#    (AS-REQ from srv1) and hop 2 succeeds. TLS key logs from both ends.
scn_03() {
  winrm_start --hop2 auto --credssp-cert "$LAB/srv1/winrm-https.pem" --keylog "$CUR/tls-keylog-srv1.txt"
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  credssp_client alice --keylog "$CUR/tls-keylog-client1.txt" hop2 smb $SHARE
  cp "$LAB/srv1/winrm-https.pem" "$CUR/srv1-winrm-https-cert-and-key.pem"
}

# 4. The client asks for CredSSP, srv1 has CredSSP disabled: 401 offering only Negotiate and Kerberos.
scn_04() {
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  credssp_client alice --keylog "$CUR/tls-keylog-client1.txt" hop2 smb $SHARE
}

# 5. Unconstrained delegation: SRV1$ trusted for delegation, pywinrm kerberos_delegation=True forwards the TGT.
scn_05() {
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos --delegate hop2 smb $SHARE
}

# 6. Client asks for delegation only where policy allows (GSS_C_DELEG_POLICY_FLAG: honour ok-as-delegate),
#    srv1 NOT trusted for delegation: no TGT forwarded, hop 2 falls back to anonymous.
#    Client: curl --negotiate --delegation policy (pywinrm 0.3.0 cannot ask for policy delegation).
scn_06() {
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  in_ns client1 env KRB5CCNAME="$CLIENT_CC" bash "$HERE/winrm_curl.sh" $SRV1_URL policy hop2 smb $SHARE \
    > "$CUR/client-alice.json" 2>"$CUR/client-alice.stderr" || true
  log "client alice: $(tr -d '\n' < "$CUR/client-alice.json" | cut -c1-300)"
}

# 7. Constrained delegation with protocol transition to cifs/srv2: S4U2Self + S4U2Proxy.
scn_07() {
  deleg add-service 'SRV1$' cifs/srv2.hop.test
  deleg for-any-protocol 'SRV1$' on
  winrm_start --hop2 s4u
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE
}

# 8. Constrained delegation with protocol transition, but only cifs/dc.hop.test allowed: S4U2Proxy refused.
scn_08() {
  deleg add-service 'SRV1$' cifs/dc.hop.test
  deleg for-any-protocol 'SRV1$' on
  winrm_start --hop2 s4u
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE
}

# 9. Constrained delegation to cifs/srv2 WITHOUT protocol transition: S4U2Self ticket not forwardable.
scn_09() {
  deleg add-service 'SRV1$' cifs/srv2.hop.test
  winrm_start --hop2 s4u
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE
}

# 10. Resource-based constrained delegation: SRV2$ msDS-AllowedToActOnBehalfOfOtherIdentity = SRV1$.
scn_10() {
  deleg add-principal 'SRV2$' 'SRV1$'
  winrm_start --hop2 s4u
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE
}

# 11. Fresh credentials ($using:cred style): srv1 runs kinit for alice with the password sent in the command.
#     Two chains in one capture: right password (ok), wrong password (KDC_ERR_PREAUTH_FAILED).
scn_11() {
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice-goodpw --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE --cred alice "$ALICE_PW"
  sleep 1
  pywinrm alice-badpw --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE --cred alice 'Wrong-Password-1'
}

# 12. RunAs: srv1 performs hop 2 as the fixed account svc_runas, whoever called.
scn_12() {
  winrm_start --hop2 runas
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE
}

# 13. Hop-2 target by a name with no SPN (files.hop.test = srv2's address): Kerberos TGS fails with
#     KDC_ERR_S_PRINCIPAL_UNKNOWN, smbclient falls back to NTLM with the fresh credentials.
scn_13() {
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos hop2 smb //files.hop.test/share --cred alice "$ALICE_PW"
}

# 14. WinRM over HTTPS (5986), Kerberos with TGT forwarding to a trusted srv1 (as 05), TLS key logs saved:
#     client side by urllib3 (SSLKEYLOGFILE), server side by Python ssl (keylog_filename). Same secrets in both.
scn_14() {
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto --tls-cert "$LAB/srv1/winrm-https.pem" --keylog "$CUR/tls-keylog-srv1.txt"
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  rm -f "$CUR/tls-keylog-client1.txt"
  CLIENT_KEYLOG=$CUR/tls-keylog-client1.txt pywinrm alice --endpoint https://srv1.hop.test:5986/wsman \
    --ca "$LAB/srv1/winrm-https.crt" --transport kerberos --delegate hop2 smb $SHARE
  cp "$LAB/srv1/winrm-https.pem" "$CUR/srv1-winrm-https-cert-and-key.pem"
}

# 15. Two users at once on srv1 (trusted for delegation): alice forwards her TGT (ok), bob does not (anonymous).
scn_15() {
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit bob "$BOB_PW"; local bobcc=$CLIENT_CC
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos --delegate hop2 smb $SHARE &
  local p1=$!
  CLIENT_CC=$bobcc pywinrm bob --endpoint $SRV1_URL --transport kerberos hop2 smb $SHARE &
  wait $p1 $!
}

# ---- Samba 4.22 (bookworm-backports): RBCD, Protected Users and sensitive accounts enforced by the KDC ----

# The common body of scenarios 16-26: srv1's endpoint in hop-2 MODE, captures, kinit alice, pywinrm with ARGS.
alice_via_srv1() { # MODE pywinrm-args...
  local mode=$1; shift
  winrm_start --hop2 "$mode"
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos "$@"
}

# Samba's KDC checks that the S4U2Proxy evidence ticket is forwardable BEFORE it looks at RBCD (a Windows KDC
# accepts a non-forwardable S4U2Self ticket for RBCD): so RBCD with protocol transition needs SRV1$ trusted to
# authenticate for delegation (for-any-protocol) here, which makes S4U2Self forwardable; 10 shows the other case.
# 16. RBCD granted: SRV2$ msDS-AllowedToActOnBehalfOfOtherIdentity lists SRV1$; SRV1$ has no
#     msDS-AllowedToDelegateTo, only UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION.
scn_16() {
  deleg add-principal 'SRV2$' 'SRV1$'
  deleg for-any-protocol 'SRV1$' on
  alice_via_srv1 s4u hop2 smb $SHARE
}

# 17. RBCD refused: as 16, but SRV2$ lists svc_runas, not SRV1$.
scn_17() {
  deleg add-principal 'SRV2$' svc_runas
  deleg for-any-protocol 'SRV1$' on
  alice_via_srv1 s4u hop2 smb $SHARE
}

# 18. alice in Protected Users, srv1 trusted for unconstrained delegation, the client asks to forward its TGT.
scn_18() {
  samba-tool group addmembers 'Protected Users' alice -s "$DCCONF" >/dev/null
  deleg for-any-service 'SRV1$' on
  alice_via_srv1 auto --delegate hop2 smb $SHARE
}

# 19. alice in Protected Users, constrained delegation with protocol transition to cifs/srv2 (as 07).
scn_19() {
  samba-tool group addmembers 'Protected Users' alice -s "$DCCONF" >/dev/null
  deleg add-service 'SRV1$' cifs/srv2.hop.test
  deleg for-any-protocol 'SRV1$' on
  alice_via_srv1 s4u hop2 smb $SHARE
}

# 20. alice "sensitive and cannot be delegated" (UF_NOT_DELEGATED), srv1 trusted for unconstrained delegation.
scn_20() {
  samba-tool user sensitive alice on -s "$DCCONF" >/dev/null
  deleg for-any-service 'SRV1$' on
  alice_via_srv1 auto --delegate hop2 smb $SHARE
}

# 21. alice sensitive (UF_NOT_DELEGATED), constrained delegation with protocol transition to cifs/srv2 (as 07).
scn_21() {
  samba-tool user sensitive alice on -s "$DCCONF" >/dev/null
  deleg add-service 'SRV1$' cifs/srv2.hop.test
  deleg for-any-protocol 'SRV1$' on
  alice_via_srv1 s4u hop2 smb $SHARE
}

# 22. Etype mismatch on hop 2: SRV2$ msDS-SupportedEncryptionTypes = 3 (DES only, as a legacy account set to
#     "use DES encryption types"): the KDC has no key of an etype it may use for srv2 (Samba 4.22, like Windows
#     since 2008 R2, has DES disabled); alice's TGT forwarded (srv1 trusted, as 05): TGS for cifs/srv2 ->
#     KDC_ERR_ETYPE_NOSUPP. (msDS-SupportedEncryptionTypes = 4 with srv1 asking AES only was tried: Samba's
#     smbclient keeps RC4 in its TGS-REQ whatever srv1's smb.conf says, and the KDC answered with an RC4 ticket.)
scn_22() {
  deleg for-any-service 'SRV1$' on
  set_etypes SRV2 3
  alice_via_srv1 auto --delegate hop2 smb $SHARE
}

# 23. The client's ticket cache after a fix: curl --delegation policy (06) while srv1 is not trusted, then the
#     admin trusts SRV1$ for delegation, the client tries again with its cached HTTP/srv1 ticket (no
#     ok-as-delegate: still no TGT forwarded), then purges its cache (kdestroy + kinit, the "klist purge"
#     advice) and tries a third time (TGT forwarded, hop 2 ok). Three chains in one capture.
scn_23() {
  winrm_start --hop2 auto
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  local i
  for i in 1 2 3; do
    if [ $i = 2 ]; then deleg for-any-service 'SRV1$' on; fi
    if [ $i = 3 ]; then in_ns client1 env KRB5CCNAME="$CLIENT_CC" kdestroy >/dev/null 2>&1 || true; client_kinit alice "$ALICE_PW"; fi
    in_ns client1 env KRB5CCNAME="$CLIENT_CC" bash "$HERE/winrm_curl.sh" $SRV1_URL policy hop2 smb $SHARE \
      > "$CUR/client-alice-$i.json" 2>"$CUR/client-alice-$i.stderr" || true
    log "client alice-$i: $(tr -d '\n' < "$CUR/client-alice-$i.json" | cut -c1-300)"
    sleep 1
  done
}

# 24. Second hop over WinRM (srv1 -> srv2:5985), unconstrained delegation (as 05): srv1 runs pywinrm with
#     alice's forwarded TGT against srv2's endpoint, which answers who hop 2 authenticated as.
SRV2_URL=http://srv2.hop.test:5985/wsman
scn_24() {
  deleg for-any-service 'SRV1$' on
  winrm2_start
  alice_via_srv1 auto --delegate hop2 winrm $SRV2_URL
}

# 25. Second hop over WinRM refused: constrained delegation with protocol transition allows cifs/srv2 only,
#     srv1 asks S4U2Proxy for HTTP/srv2.hop.test (WinRM): KDC_ERR_BADOPTION.
scn_25() {
  deleg add-service 'SRV1$' cifs/srv2.hop.test
  deleg for-any-protocol 'SRV1$' on
  winrm2_start
  alice_via_srv1 s4u hop2 winrm $SRV2_URL
}

# 26. Clock skew on hop 2: srv2's smbd runs 15 minutes ahead (libfaketime; network namespaces share the host's
#     clock, so only smbd's clock is shifted); alice's TGT forwarded (as 05); srv2 refuses the AP-REQ.
scn_26() {
  deleg for-any-service 'SRV1$' on
  smbd_restart +15m; SMBD_SKEWED=1
  alice_via_srv1 auto --delegate hop2 smb $SHARE
}

# ---- issue 20: the same double hops on other ports (hopsniff must find the protocols by content) ----
# Each is scenario 05 (unconstrained delegation, alice's TGT forwarded, hop 2 ok) or 14 (the same over HTTPS with
# key logs) with one port changed; their chains must equal 05's / 14's chains, port numbers aside.

# 27 / 28. WinRM over HTTP (sealed bodies) on 443 (a compatibility listener or a reverse proxy in front) and on a
#          random high port (Set-Item WSMan:\localhost\Listener\*\Port 61985).
winrm_on_port() { # port
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto --port "$1"
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint "http://srv1.hop.test:$1/wsman" --transport kerberos --delegate hop2 smb $SHARE
}
scn_27() { winrm_on_port 443; }
scn_28() { winrm_on_port 61985; }

# 29 / 30. WinRM over HTTPS on 443 and on 61986, key logs of both ends (as 14).
winrms_on_port() { # port
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto --tls-cert "$LAB/srv1/winrm-https.pem" --keylog "$CUR/tls-keylog-srv1.txt" --port "$1"
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  rm -f "$CUR/tls-keylog-client1.txt"
  CLIENT_KEYLOG=$CUR/tls-keylog-client1.txt pywinrm alice --endpoint "https://srv1.hop.test:$1/wsman" \
    --ca "$LAB/srv1/winrm-https.crt" --transport kerberos --delegate hop2 smb $SHARE
  cp "$LAB/srv1/winrm-https.pem" "$CUR/srv1-winrm-https-cert-and-key.pem"
}
scn_29() { winrms_on_port 443; }
scn_30() { winrms_on_port 61986; }

# 31. As 05, hop 2 to srv2's smbd on 4455 (smb ports = 445 4455; smbclient -p 4455).
scn_31() {
  deleg for-any-service 'SRV1$' on
  alice_via_srv1 auto --delegate hop2 smb //srv2.hop.test:4455/share
}

# 32. As 05, hop 2 over LDAP on 389: srv1 binds to the DC with SASL GSSAPI (ldapsearch -Y GSSAPI) with alice's
#     forwarded TGT (a TGS-REQ for ldap/dc.hop.test) and reads alice's entry. The standard-port run for 33.
scn_32() {
  deleg for-any-service 'SRV1$' on
  alice_via_srv1 auto --delegate hop2 ldap ldap://dc.hop.test
}

# 33. As 32 on 10389: a relay on the DC forwards 10389 to Samba's LDAP (Samba listens on 389 only); the relay's
#     own leg runs on the DC's loopback, so every capture shows LDAP on 10389 only.
scn_33() {
  deleg for-any-service 'SRV1$' on
  relay_start dc 10389 "${IP[dc]}" 389
  alice_via_srv1 auto --delegate hop2 ldap ldap://dc.hop.test:10389
}

# ---- issue 15 / 17: the 401 answered on one connection, authentication on a new one ----
# The endpoint answers a request without credentials 401 with "Connection: close" (--close-after-401), as a front
# end that does not keep the connection across the first 401 would: the client authenticates on a new TCP
# connection. (pywinrm's Kerberos transport authenticates preemptively, so it never meets that 401.)
# 34. As 05 with curl --anyauth --negotiate --delegation always (curl sends each request first without
#     credentials; each of its four WS-Man requests is one curl process: 401 on one connection, Negotiate with the
#     forwarded TGT on the next). Clear bodies (curl does not seal).
scn_34() {
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto --close-after-401
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  in_ns client1 env KRB5CCNAME="$CLIENT_CC" WINRM_CURL_ANYAUTH=1 bash "$HERE/winrm_curl.sh" $SRV1_URL always hop2 smb $SHARE \
    > "$CUR/client-alice.json" 2>"$CUR/client-alice.stderr" || true
  log "client alice: $(tr -d '\n' < "$CUR/client-alice.json" | cut -c1-300)"
}
# 35. As 02 (NTLM by address, sealed bodies): requests-ntlm sends its first request without credentials, gets the
#     401 and its connection closed, and runs NEGOTIATE / CHALLENGE / AUTHENTICATE on a new connection.
scn_35() {
  winrm_start --hop2 auto --close-after-401
  record_start "$CUR"
  CLIENT_CC=
  pywinrm alice --endpoint "http://${IP[srv1]}:5985/wsman" --transport ntlm --user "HOP\\alice" \
    --password "$ALICE_PW" hop2 smb $SHARE
}

# ---- issue 17: Kerberos on hop 2 impossible, then Negotiate's NTLM fallback with a ticket-only credential ----
# As 05 (alice's TGT forwarded to a trusted srv1), hop 2 to //files.hop.test (no SPN, as 13): smbclient with her
# ticket cache asks the KDC for cifs/files.hop.test, gets KDC_ERR_S_PRINCIPAL_UNKNOWN and sends srv2 no session
# setup; the lab endpoint then does what Windows' Negotiate does when Kerberos yields no token, NTLM with what the
# logon session holds: a forwarded TGT, no password or NT hash (winrm_server.py --ntlm-fallback, a second
# smbclient on a new connection; Windows falls back inside one SPNEGO exchange: docs/lab.md).
ntlm_fallback() { # anonymous | user
  deleg for-any-service 'SRV1$' on
  winrm_start --hop2 auto --ntlm-fallback "$1"
  record_start "$CUR"
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos --delegate hop2 smb //files.hop.test/share
}
# 36. The fallback is the anonymous NULL session (Windows' "ANONYMOUS LOGON"): session ok, share ACCESS_DENIED.
scn_36() { ntlm_fallback anonymous; }
# 37. The fallback is NTLM under alice's name with no password: the session setup is refused (LOGON_FAILURE).
scn_37() { ntlm_fallback user; }

# ---- live capture (not in HS_LAB_ALL_SCENARIOS: run with HS_LAB_EXTRA, by tests/live/lab_live.sh) ----
# hopsniff -i eth0 runs on srv1 (HS_LIVE_HOPSNIFF: the binary) while a scenario runs, then gets SIGINT;
# its stdout (the --json report), stderr (streamed verdicts, summary), exit status and -w file are
# saved next to the scenario's captures as live.json, live.stderr, live.rc, live-srv1.pcapng.
live_start() { # extra hopsniff args
  rm -f "$CUR"/live.*
  (bg_ns srv1 "${HS_LIVE_HOPSNIFF:?HS_LIVE_HOPSNIFF: the hopsniff binary}" -i eth0 --json --settle 1 \
    -w "$CUR/live-srv1.pcapng" "$@" >"$CUR/live.json" 2>"$CUR/live.stderr") &
  LIVE_PID=$!
  local i; for ((i = 0; i < 50; i++)); do grep -q "capturing on" "$CUR/live.stderr" 2>/dev/null && break; sleep 0.1; done
}
live_stop() {
  sleep 3   # past --settle: the streamed verdict is printed before the stop
  kill -INT "$LIVE_PID" 2>/dev/null || true
  local rc=0; wait "$LIVE_PID" || rc=$?
  echo "$rc" >"$CUR/live.rc"
  log "live hopsniff exit status $rc: $(grep -c ' chain ' "$CUR/live.stderr" || true) streamed line(s)"
}
# 90: scenario 08 (S4U2Proxy to a target not allowed) captured live on srv1.
scn_90() {
  live_start
  scn_08
  live_stop
}
# 91: scenario 14 (WinRM over HTTPS) captured live on srv1 with --keylog on the client's key log, which
# does not exist when hopsniff starts and is written by the client while hopsniff runs.
scn_91() {
  rm -f "$CUR/tls-keylog-client1.txt"
  live_start --keylog "$CUR/tls-keylog-client1.txt"
  scn_14
  live_stop
}
