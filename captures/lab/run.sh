#!/bin/bash
# hopsniff double-hop lab: builds a throw-away Samba AD domain HOP.TEST inside network namespaces,
# records each requested scenario (default: all implemented) and tears everything down.
#
#   captures/lab/run.sh [SCENARIO...]      e.g. run.sh 01 05    (numbers or folder names)
#   HS_LAB_OUT=/tmp/x captures/lab/run.sh 05   records into /tmp/x/<scenario>/ instead of scenarios/
#   HS_LAB_SCENARIO_FILE=f.sh HS_LAB_EXTRA="a b" captures/lab/run.sh a b   scenarios defined in another file
#     (captures/generated/winrm-sealed/make.sh)
#
# Safety: the script re-executes itself inside a new net+mount+pid namespace (unshare). Inside, only
# loopback exists; lab hosts are further netns (hs-*) joined by a bridge living in its own netns hs-br,
# none with a route anywhere. /run/netns, /etc/hosts and /etc/passwd|group are private tmpfs/bind mounts
# of that mount namespace: host files are never written. When the script ends (normally, on error or
# Ctrl-C) its pid namespace dies and the kernel kills every lab process with it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -z "${HS_LAB_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "run.sh: must run as root (network namespaces)" >&2; exit 2; }
  export HS_LAB_INNER=1
  exec unshare --net --mount --pid --fork --mount-proc --propagation private -- "$0" "$@"
fi

# ---------------------------------------------------------------- inside the lab namespace from here
PY=/usr/bin/python3
OUT=${HS_LAB_OUT:-$HERE/scenarios}
LAB=$(mktemp -d /tmp/hs-lab.XXXXXX); chmod 755 "$LAB"
REALM=HOP.TEST
DOMAIN=HOP
NET=10.200.0
declare -A IP=([dc]=$NET.10 [srv1]=$NET.11 [srv2]=$NET.12 [client1]=$NET.20)
HOSTS=(dc srv1 srv2 client1)
# Throw-away lab secrets (also written into each scenario's secrets.txt).
ADMIN_PW='Adm1n-HopLab!'
ALICE_PW='Al1ce-HopLab!'
BOB_PW='B0b-HopLab!'
RUNAS_PW='Svc-RunAs-HopLab1!'
SRV1_PW='Srv1-Machine-HopLab1!'   # srv1 is not joined by Samba; its account password is set by samba-tool
# the standard ports, then the non-standard ones of scenarios 27-33 (issue 20: WinRM on 443 and 61985/61986,
# SMB on 4455, LDAP on 10389; 61985/61986 lie above Linux's ephemeral range, so no client port collides)
CAP_FILTER='tcp port 88 or udp port 88 or tcp port 389 or tcp port 445 or tcp port 5985 or tcp port 5986 or tcp port 135'
CAP_FILTER+=' or tcp port 443 or tcp port 61985 or tcp port 61986 or tcp port 4455 or tcp port 10389'
T0=$(date +%s)

log() { printf '[lab %4ss] %s\n' $(( $(date +%s) - T0 )) "$*" >&2; }
# Run a command on a lab host: its netns, plus a private /run/samba (winbindd's socket path is compiled in,
# so dc and srv2 each need their own).
in_ns() {
  local h=$1; shift
  ip netns exec "hs-$h" sh -c 'mount --bind "$0" /run/samba && exec "$@"' "$LAB/$h/run-samba" "$@"
}
# Same, as a background job whose $! is the program itself (a function run with & would be a subshell).
bg_ns() { local h=$1; shift; exec ip netns exec "hs-$h" sh -c 'mount --bind "$0" /run/samba && exec "$@"' "$LAB/$h/run-samba" "$@"; }

cleanup() {
  local rc=$?
  set +e
  trap '' INT TERM
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do [ "$p" = "$$" ] || kill "$p" 2>/dev/null; done
  done
  sleep 0.5
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do [ "$p" = "$$" ] || kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "${HS_LAB_KEEP:-}" ] || rm -rf "$LAB"
  log "torn down (rc=$rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- namespaces and files
net_up() {
  ip link set lo up
  mount -t tmpfs hs-run /run          # private /run: netns handles and /run/samba stay in this namespace
  mkdir -p /run/netns /run/samba /run/lock
  mkdir -p "$LAB/etc"
  { echo "127.0.0.1 localhost"
    for h in "${HOSTS[@]}"; do echo "${IP[$h]} $h.hop.test $h"; done
    # scenario 13: an extra name for srv2 with no SPN registered
    echo "${IP[srv2]} files.hop.test files"
  } > "$LAB/etc/hosts"
  cp /etc/passwd "$LAB/etc/passwd"; cp /etc/group "$LAB/etc/group"
  # local Unix accounts on the member server srv2 for the domain users (smbd maps HOP\alice -> alice)
  for f in hosts passwd group; do mount --bind "$LAB/etc/$f" "/etc/$f"; done
  printf 'nameserver 127.0.0.1\n' > "$LAB/etc/resolv.conf"; mount --bind "$LAB/etc/resolv.conf" /etc/resolv.conf

  ip netns add hs-br
  ip -n hs-br link add br0 type bridge
  ip -n hs-br link set br0 up
  for h in "${HOSTS[@]}"; do
    ip netns add "hs-$h"
    mkdir -p "$LAB/$h/run-samba"
    ip link add eth0 netns "hs-$h" type veth peer name "v-$h" netns hs-br
    ip -n hs-br link set "v-$h" master br0
    ip -n hs-br link set "v-$h" up
    in_ns "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
    ip -n "hs-$h" addr add "${IP[$h]}/24" dev eth0
    ip -n "hs-$h" link set lo up
    ip -n "hs-$h" link set eth0 up
  done
  cat > "$LAB/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    forwardable = true
    ignore_acceptor_hostname = true
[realms]
    $REALM = {
        kdc = dc.hop.test
        admin_server = dc.hop.test
    }
[domain_realm]
    .hop.test = $REALM
    hop.test = $REALM
EOF
  export KRB5_CONFIG=$LAB/krb5.conf
  # requests_ntlm needs MD4 (NTLM hashes): OpenSSL 3 has it only in the legacy provider
  printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'providers = provider_sect' '[provider_sect]' \
    'default = default_sect' 'legacy = legacy_sect' '[default_sect]' 'activate = 1' '[legacy_sect]' 'activate = 1' \
    > "$LAB/openssl-legacy.cnf"
  export KRB5CCNAME=FILE:$LAB/default.ccache   # nothing should use it; each step sets its own
}

wait_port() { # host ip port [seconds]
  local h=$1 ip=$2 port=$3 n=${4:-60} i
  for ((i = 0; i < n * 5; i++)); do
    if in_ns "$h" bash -c "exec 3<>/dev/tcp/$ip/$port" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  log "timeout waiting for $ip:$port from $h"; return 1
}

# ---------------------------------------------------------------- the domain controller
dc_up() {
  local d=$LAB/dc
  log "provisioning Samba AD DC (realm $REALM)"
  samba-tool domain provision --quiet --realm=$REALM --domain=$DOMAIN --server-role=dc \
    --dns-backend=NONE --adminpass="$ADMIN_PW" --targetdir="$d" --host-name=dc --host-ip="${IP[dc]}" \
    --option="interfaces=${IP[dc]}/24" --option="bind interfaces only=yes" \
    --option="server services=-dns" \
    --option="pid directory=$d/run" --option="ncalrpc dir=$d/ncalrpc" \
    --option="ldap server require strong auth=no" --option="log level=${HS_LAB_DC_LOG_LEVEL:-1 kerberos:3}" >"$d/provision.log" 2>&1 \
    || { cat "$d/provision.log"; return 1; }
  DCCONF=$d/etc/smb.conf
  mkdir -p "$d/run" "$d/winbindd" "$d/ncalrpc"
  st() { samba-tool "$@" -s "$DCCONF"; }
  st user create alice "$ALICE_PW" --given-name=Alice >/dev/null
  st user create bob "$BOB_PW" --given-name=Bob >/dev/null
  st user create svc_runas "$RUNAS_PW" >/dev/null
  st domain passwordsettings set --max-pwd-age=0 >/dev/null
  # srv1: the WinRM server of hop 1; account made by samba-tool (no join: srv1 runs no Samba daemon)
  st computer create SRV1 >/dev/null
  st user setpassword 'SRV1$' --newpassword="$SRV1_PW" >/dev/null
  for spn in HTTP/srv1.hop.test HTTP/srv1 WSMAN/srv1.hop.test WSMAN/srv1 cifs/srv1.hop.test; do st spn add "$spn" 'SRV1$' >/dev/null; done
  (bg_ns dc samba -s "$DCCONF" -F --debug-stdout >"$d/samba.log" 2>&1) &
  wait_port dc "${IP[dc]}" 88 && wait_port dc "${IP[dc]}" 389 && wait_port dc "${IP[dc]}" 445
  log "DC up"
}

export_keytab() { # principal file
  rm -f "$2"; samba-tool domain exportkeytab "$2" --principal="$1" -s "$DCCONF" >/dev/null 2>&1
}

# ---------------------------------------------------------------- srv2: Samba member server (hop-2 SMB target)
srv2_up() {
  local d=$LAB/srv2
  mkdir -p "$d"/{private,lock,state,cache,run,winbindd,ncalrpc,share,logs}
  echo "quarterly report (lab file on srv2)" > "$d/share/report.txt"
  # Unix accounts on srv2 for the domain users: uid = 200000 + RID, as "idmap config HOP : backend = rid"
  # maps them (smbd needs a passwd entry; srv2 has no nss_winbind). Appended in place: /etc/passwd is a bind mount.
  echo "domusers:x:200513:" >> "$LAB/etc/group"
  local u rid
  for u in alice bob svc_runas; do
    rid=$(samba-tool user show "$u" --attributes=objectSid -s "$DCCONF" | sed -n 's/^objectSid: .*-//p')
    echo "$u:x:$((200000 + rid)):200513::/nonexistent:/usr/sbin/nologin" >> "$LAB/etc/passwd"
  done
  chmod -R a+rX "$d/share"
  cat > "$d/smb.conf" <<EOF
[global]
    workgroup = $DOMAIN
    realm = $REALM
    security = ads
    netbios name = SRV2
    interfaces = ${IP[srv2]}/24
    bind interfaces only = yes
    password server = dc.hop.test
    name resolve order = host
    kerberos method = secrets and keytab
    dedicated keytab file = FILE:$d/srv2.keytab
    private dir = $d/private
    lock directory = $d/lock
    state directory = $d/state
    cache directory = $d/cache
    pid directory = $d/run
    ncalrpc dir = $d/ncalrpc
    log file = $d/logs/%m.log
    idmap config * : backend = tdb
    idmap config * : range = 100000-199999
    idmap config $DOMAIN : backend = rid
    idmap config $DOMAIN : range = 200000-299999
    map to guest = never
    restrict anonymous = 0
    disable spoolss = yes
    load printers = no
    server min protocol = SMB2
    # 4455: the non-standard SMB port of scenario 31 (nothing else connects to it)
    smb ports = 445 4455
[share]
    path = $d/share
    read only = yes
    valid users = $DOMAIN\\alice $DOMAIN\\svc_runas
EOF
  log "joining srv2 to the domain (net ads join)"
  KRB5CCNAME=FILE:$d/join.ccache in_ns srv2 net ads join -S dc.hop.test -s "$d/smb.conf" -U "Administrator%$ADMIN_PW" \
    --no-dns-updates -d3 >"$d/join.log" 2>&1 || { grep -iE "error|fail|status|denied" "$d/join.log" | tail -30; grep -iE -B3 "SPNEGO login failed" "$d/join.log" | head -60; return 1; }
  for spn in cifs/srv2.hop.test cifs/srv2 HTTP/srv2.hop.test WSMAN/srv2.hop.test; do samba-tool spn add "$spn" 'SRV2$' -s "$DCCONF" >/dev/null 2>&1 || true; done
  export_keytab 'SRV2$' "$d/srv2.keytab"
  for spn in cifs/srv2.hop.test cifs/srv2 host/srv2.hop.test HTTP/srv2.hop.test; do
    samba-tool domain exportkeytab "$d/srv2.keytab" --principal="$spn" -s "$DCCONF" >/dev/null 2>&1 || true
  done
  (bg_ns srv2 winbindd -s "$d/smb.conf" -F --no-process-group --debug-stdout >"$d/logs/winbindd.out" 2>&1) &
  smbd_start
  log "srv2 up"
}
# srv2's smbd; with FAKETIME (e.g. +15m) under libfaketime: network namespaces share the host's clock, so the
# skewed clock of scenario 26 is smbd's own (winbindd and the DC keep real time). setsid: smbd stopping alone
# signals its process group, which must not be run.sh's.
SMBD_PID=
smbd_start() {
  local d=$LAB/srv2 pre=()
  [ -z "${FAKETIME:-}" ] || pre=(env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 FAKETIME="$FAKETIME" FAKETIME_DONT_FAKE_MONOTONIC=1)
  (bg_ns srv2 setsid "${pre[@]}" smbd -s "$d/smb.conf" -F --no-process-group --debug-stdout --debuglevel="${SMBD_DEBUG:-0}" >>"$d/logs/smbd.out" 2>&1) &
  SMBD_PID=$!
  wait_port srv2 "${IP[srv2]}" 445
  sleep 1
}
smbd_restart() { # [FAKETIME offset]
  kill "$SMBD_PID" 2>/dev/null || true; wait "$SMBD_PID" 2>/dev/null || true
  local p
  for p in $(ip netns pids hs-srv2); do [ "$(cat /proc/$p/comm 2>/dev/null)" != smbd ] || kill -9 "$p" 2>/dev/null || true; done
  sleep 0.5
  FAKETIME=${1:-} SMBD_DEBUG=${1:+3} smbd_start
}

# ---------------------------------------------------------------- srv1 and client1 (MIT krb5 + python only)
srv1_files() {
  local d=$LAB/srv1
  mkdir -p "$d"/{cache,lock,state,private}
  export_keytab 'SRV1$' "$d/srv1.keytab"
  for spn in HTTP/srv1.hop.test HTTP/srv1 WSMAN/srv1.hop.test WSMAN/srv1; do
    samba-tool domain exportkeytab "$d/srv1.keytab" --principal="$spn" -s "$DCCONF" >/dev/null 2>&1
  done
  export_keytab svc_runas "$d/svc_runas.keytab"
  # smb.conf only for the smbclient that srv1 runs for hop 2 (keeps its tdb files out of /var)
  cat > "$d/smb.conf" <<EOF
[global]
    workgroup = $DOMAIN
    realm = $REALM
    netbios name = SRV1
    private dir = $d/private
    lock directory = $d/lock
    state directory = $d/state
    cache directory = $d/cache
    client min protocol = SMB2
EOF
  # self-signed certificate for WinRM over HTTPS (scenario 14); throw-away, saved beside the capture
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=srv1.hop.test -addext subjectAltName=DNS:srv1.hop.test \
    -keyout "$d/winrm-https.pem" -out "$d/winrm-https.crt" >/dev/null 2>&1
  cat "$d/winrm-https.crt" >> "$d/winrm-https.pem"
  # NTLM accounts for the gss-ntlmssp acceptor (srv1 verifies NTLM locally; see docs/lab.md)
  printf '%s:%s:%s\n' "$DOMAIN" alice "$ALICE_PW" "$DOMAIN" bob "$BOB_PW" > "$d/ntlm_users"
}

lab_up() {
  net_up
  dc_up
  srv2_up
  srv1_files
  log "lab ready"
}

# ---------------------------------------------------------------- recording
CAPS=()
record_start() { # scenario-dir
  local s=$1 h
  CAPS=()
  for h in client1 srv1 dc; do
    (bg_ns "$h" dumpcap -q -i eth0 -f "$CAP_FILTER" -w "$s/$h.pcapng" >"$LAB/dumpcap-$h.log" 2>&1) &
    CAPS+=($!)
  done
  for h in client1 srv1 dc; do
    local i; for ((i = 0; i < 50; i++)); do grep -q "Capturing on" "$LAB/dumpcap-$h.log" 2>/dev/null && break; sleep 0.1; done
  done
  sleep 0.5
}
record_stop() {
  sleep 1
  local p; for p in "${CAPS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${CAPS[@]}"; do wait "$p" 2>/dev/null || true; done
  CAPS=()
}

SRV1_PID=
# Every sealed body's plaintext goes to srv1-plaintext.jsonl (the oracle of tests/winrm/sealed.py); the file is
# removed afterwards when nothing was sealed (clear-text, CredSSP and HTTPS scenarios).
winrm_start() { # extra args for winrm_server.py (--tls-cert ... for HTTPS on 5986, --port N for another port)
  local d=$LAB/srv1 port=5985 a prev=
  for a in "$@"; do [ "$a" = --tls-cert ] && port=5986; done
  for a in "$@"; do [ "$prev" = --port ] && port=$a; prev=$a; done
  rm -f "$d/hop2-results.jsonl" "$CUR/srv1-plaintext.jsonl"
  (bg_ns srv1 env KRB5_KTNAME="FILE:$d/srv1.keytab" NTLM_USER_FILE="$d/ntlm_users" \
    $PY "$HERE/winrm_server.py" --bind "${IP[srv1]}" --port $port --realm $REALM --domain $DOMAIN \
    --keytab "$d/srv1.keytab" --machine 'SRV1$' --workdir "$d" --smbconf "$d/smb.conf" \
    --runas-keytab "$d/svc_runas.keytab" --plain-log "$CUR/srv1-plaintext.jsonl" "$@" >"$CUR/srv1-winrm.log" 2>&1) &
  SRV1_PID=$!
  wait_port srv1 "${IP[srv1]}" $port 20
}
# A TCP relay on HOST from LISTEN_PORT to TARGET_IP:TARGET_PORT (scenario 33: the DC's LDAP on 10389; Samba's
# LDAP server listens on 389 only). The relay's own leg stays on the host's loopback route, off eth0's capture.
RELAY_PID=
relay_start() { # host listen-port target-ip target-port
  (bg_ns "$1" $PY -c 'import socket, sys, threading
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
ls = socket.create_server((sys.argv[1], int(sys.argv[2])), reuse_port=True)
while True:
    c, _ = ls.accept()
    u = socket.create_connection((sys.argv[3], int(sys.argv[4])))
    for a, b in ((c, u), (u, c)): threading.Thread(target=pump, args=(a, b), daemon=True).start()' \
    "${IP[$1]}" "$2" "$3" "$4" >"$LAB/relay.log" 2>&1) &
  RELAY_PID=$!
  wait_port "$1" "${IP[$1]}" "$2" 20
}
winrm_stop() {
  if [ -n "$RELAY_PID" ]; then kill "$RELAY_PID" 2>/dev/null || true; wait "$RELAY_PID" 2>/dev/null || true; fi
  RELAY_PID=
  if [ -n "$SRV1_PID" ]; then kill "$SRV1_PID" 2>/dev/null || true; wait "$SRV1_PID" 2>/dev/null || true; fi
  SRV1_PID=
  if [ -n "$SRV2_WINRM_PID" ]; then kill "$SRV2_WINRM_PID" 2>/dev/null || true; wait "$SRV2_WINRM_PID" 2>/dev/null || true; fi
  SRV2_WINRM_PID=
}
# srv2's WinRM endpoint (HTTP 5985, HTTP/srv2.hop.test from srv2.keytab): target of a WinRM second hop;
# its command 'whoami' answers the principal hop 2 authenticated as
SRV2_WINRM_PID=
winrm2_start() {
  local d=$LAB/srv2
  mkdir -p "$d/winrm"
  (bg_ns srv2 env KRB5_KTNAME="FILE:$d/srv2.keytab" $PY "$HERE/winrm_server.py" --bind "${IP[srv2]}" --port 5985 \
    --realm $REALM --domain $DOMAIN --keytab "$d/srv2.keytab" --machine 'SRV2$' --workdir "$d/winrm" \
    --smbconf "$d/smb.conf" --no-ntlm >"$CUR/srv2-winrm.log" 2>&1) &
  SRV2_WINRM_PID=$!
  wait_port srv2 "${IP[srv2]}" 5985 20
}

client_kinit() { # user password -> sets CLIENT_CC
  CLIENT_CC=FILE:$LAB/client1/$1.ccache
  rm -f "${CLIENT_CC#FILE:}"
  printf '%s\n' "$2" | in_ns client1 env KRB5CCNAME="$CLIENT_CC" kinit "$1@$REALM" >/dev/null
}

# pywinrm on client1; writes the client's observed outcome (JSON) to $CUR/client-<tag>.json
pywinrm() { # tag, then winrm_client.py args
  local tag=$1; shift
  in_ns client1 env KRB5CCNAME="${CLIENT_CC:-}" SSLKEYLOGFILE="${CLIENT_KEYLOG:-}" OPENSSL_CONF="$LAB/openssl-legacy.cnf" $PY "$HERE/winrm_client.py" "$@" \
    > "$CUR/client-$tag.json" 2>"$CUR/client-$tag.stderr" || true
  log "client $tag: $(tr -d '\n' < "$CUR/client-$tag.json" | cut -c1-300)"
}

reset_delegation() {
  local a
  for a in 'SRV1$' 'SRV2$'; do
    samba-tool delegation for-any-service "$a" off -s "$DCCONF" >/dev/null 2>&1 || true
    samba-tool delegation for-any-protocol "$a" off -s "$DCCONF" >/dev/null 2>&1 || true 2>&1
  done
  samba-tool delegation del-service 'SRV1$' cifs/srv2.hop.test -s "$DCCONF" >/dev/null 2>&1 || true
  samba-tool delegation del-service 'SRV1$' cifs/dc.hop.test -s "$DCCONF" >/dev/null 2>&1 || true
  samba-tool delegation del-principal 'SRV2$' 'SRV1$' -s "$DCCONF" >/dev/null 2>&1 || true
  samba-tool delegation del-principal 'SRV2$' 'svc_runas' -s "$DCCONF" >/dev/null 2>&1 || true
  samba-tool delegation del-service 'SRV1$' HTTP/srv2.hop.test -s "$DCCONF" >/dev/null 2>&1 || true
  samba-tool group removemembers 'Protected Users' alice -s "$DCCONF" >/dev/null 2>&1 || true
  samba-tool user sensitive alice off -s "$DCCONF" >/dev/null 2>&1 || true
  set_etypes SRV2 28   # the value net ads join wrote (RC4 and AES)
  [ -z "${SMBD_SKEWED:-}" ] || { smbd_restart; SMBD_SKEWED=; }
}
# msDS-SupportedEncryptionTypes of a computer account (empty: removed, the KDC's default)
set_etypes() { # computer value
  local dn="CN=$1,CN=Computers,DC=hop,DC=test"
  if [ -n "$2" ]; then
    printf 'dn: %s\nchangetype: modify\nreplace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: %s\n' "$dn" "$2"
  else
    printf 'dn: %s\nchangetype: modify\ndelete: msDS-SupportedEncryptionTypes\n' "$dn"
  fi | $PY -c 'import sys
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
lp = LoadParm(); lp.load(sys.argv[1])
try:
    SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp).modify_ldif(sys.stdin.read())
except Exception as e:
    if "No such attribute" not in str(e): raise' "$DCCONF"
}

secrets_file() {
  cat > "$CUR/secrets.txt" <<EOF
# Throw-away lab domain HOP.TEST (Samba AD DC, recreated on every run). Not secret anywhere else.
realm: $REALM   domain: $DOMAIN
Administrator: $ADMIN_PW
alice: $ALICE_PW
bob: $BOB_PW
svc_runas: $RUNAS_PW
SRV1\$ (machine account): $SRV1_PW
keytabs: srv1.keytab (SRV1\$, HTTP/srv1*, WSMAN/srv1*), srv2.keytab (SRV2\$, cifs/srv2*, host/srv2*),
         svc_runas.keytab, krbtgt.keytab (krbtgt/HOP.TEST: decrypts every TGT and the PA-TGS-REQ authenticators)
hosts: dc ${IP[dc]}  srv1 ${IP[srv1]}  srv2 ${IP[srv2]}  client1 ${IP[client1]}  (files.hop.test = ${IP[srv2]}, no SPN)
EOF
  cp "$LAB/srv1/srv1.keytab" "$LAB/srv2/srv2.keytab" "$LAB/srv1/svc_runas.keytab" "$CUR/"
  export_keytab krbtgt "$CUR/krbtgt.keytab"
  samba-tool delegation show 'SRV1$' -s "$DCCONF" > "$CUR/delegation-srv1.txt" 2>&1 || true
  samba-tool delegation show 'SRV2$' -s "$DCCONF" > "$CUR/delegation-srv2.txt" 2>&1 || true
  { samba --version
    echo "alice: $(samba-tool user sensitive alice show -s "$DCCONF" 2>&1 | tr '\n' ' ')"
    echo "Protected Users members: $(samba-tool group listmembers 'Protected Users' -s "$DCCONF" 2>&1 | tr '\n' ' ')"
    echo "SRV2\$ msDS-SupportedEncryptionTypes: $(samba-tool computer show SRV2 --attributes=msDS-SupportedEncryptionTypes -s "$DCCONF" 2>/dev/null | sed -n 's/^msDS-SupportedEncryptionTypes: //p')"
  } > "$CUR/accounts.txt"
}

# ---------------------------------------------------------------- scenarios
source "$HERE/scenarios.sh"
[ -z "${HS_LAB_SCENARIO_FILE:-}" ] || source "$HS_LAB_SCENARIO_FILE"

ALL=(${HS_LAB_ALL_SCENARIOS[@]} ${HS_LAB_EXTRA:-})
want=("$@"); [ ${#want[@]} -gt 0 ] || want=("${ALL[@]}")
sel=()
for w in "${want[@]}"; do
  m=""; for s in "${ALL[@]}"; do [[ $s == "$w"* || $s == "$w" ]] && m=$s; done
  [ -n "$m" ] || { echo "run.sh: unknown scenario '$w' (have: ${ALL[*]})" >&2; exit 2; }
  sel+=("$m")
done

lab_up
for s in "${sel[@]}"; do
  CUR=$OUT/$s
  rm -f "$CUR"/*.pcapng "$CUR"/client-* "$CUR"/srv1-* "$CUR"/*.keytab "$CUR"/tls-keylog-* 2>/dev/null || true
  mkdir -p "$CUR"
  log "=== scenario $s"
  reset_delegation
  t=$(date +%s)
  dclog_at=$(stat -c %s "$LAB/dc/samba.log"); smbdlog_at=$(stat -c %s "$LAB/srv2/logs/smbd.out")
  "scn_${s%%-*}"
  record_stop
  winrm_stop
  # the KDC's own account of each AS/TGS exchange (result and, on failure, its reason): a real tool's answer
  tail -c +$((dclog_at + 1)) "$LAB/dc/samba.log" | grep -E '^Kerberos: (AS|TGS)-REQ [A-Z]' > "$CUR/dc-kdc.log" || true
  # srv2's smbd says why it refused a Kerberos AP-REQ only at debug level 3 (scenario 26)
  tail -c +$((smbdlog_at + 1)) "$LAB/srv2/logs/smbd.out" | grep -E 'gss_accept_sec_context|NT_STATUS_LOGON_FAILURE' > "$CUR/srv2-smbd.log" || true
  [ -s "$CUR/srv2-smbd.log" ] || rm -f "$CUR/srv2-smbd.log"
  cp "$LAB/srv1/hop2-results.jsonl" "$CUR/srv1-hop2.jsonl" 2>/dev/null || true
  [ -s "$CUR/srv1-plaintext.jsonl" ] || rm -f "$CUR/srv1-plaintext.jsonl"
  $PY "$HERE/observed.py" "$CUR"
  secrets_file
  chmod -R a+rX "$CUR"   # dumpcap and exportkeytab write 0600; the committed files are read by tests run as nobody
  log "=== scenario $s done in $(( $(date +%s) - t ))s"
done
log "all done: ${sel[*]} in $(( $(date +%s) - T0 ))s"
