# Sealed-body scenarios (sourced by captures/lab/run.sh through make.sh): pywinrm with its default
# message_encryption='auto', so every hop-1 SOAP body after authentication is sealed (MS-WSMV 2.2.9.1) by the
# lab endpoint and the client as Windows seals them (captures/lab/winrm_seal.py). The endpoint logs each
# plaintext to srv1-plaintext.jsonl; the tests compare hopsniff's decryption with it byte for byte.
HS_LAB_SEALED=(s1-kerberos-aes s2-kerberos-rc4 s3-ntlm)   # run.sh calls scn_<part before the first '-'>

# SRV1$'s msDS-SupportedEncryptionTypes (RC4 0x4, AES 0x18): with the attribute unset Samba's KDC gives the
# ticket an rc4-hmac session key (as in lab scenario 01); 0x18 makes it aes256-cts-hmac-sha1-96.
srv1_enctypes() {
  $PY - "$DCCONF" "$1" <<'PY'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(lp=lp, session_info=system_session())
m = ldb.Message(ldb.Dn(db, 'CN=SRV1,CN=Computers,%s' % db.domain_dn()))
m['e'] = ldb.MessageElement(sys.argv[2], ldb.FLAG_MOD_REPLACE, 'msDS-SupportedEncryptionTypes')
db.modify(m)
PY
}

sealed_start() { # extra endpoint args
  winrm_start "$@"   # run.sh always logs the plaintexts to srv1-plaintext.jsonl
  record_start "$CUR"
}

# Kerberos, AES session key and subkeys (RFC 4121 wrap tokens). Two runs on two connections:
#  alice: hop2 smb (nothing delegated: anonymous SMB, tree connect refused, the error in cmd stdout/stderr)
#  big:   lab-echo 40000 (a 40 KB Receive response: multipart/x-multi-encrypted, three parts)
scn_s1() {
  srv1_enctypes 24
  sealed_start --hop2 auto
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos --encryption auto hop2 smb $SHARE
  pywinrm big --endpoint $SRV1_URL --transport kerberos --encryption auto lab-echo 40000
  srv1_enctypes 4
}

# Kerberos, rc4-hmac session key and subkeys (RFC 4757 wrap tokens): client1 permits only rc4-hmac (else MIT's
# acceptor picks an AES subkey through RFC 4537 etype negotiation and the tokens are RFC 4121 ones). srv1 tries
# S4U2Self/S4U2Proxy (--hop2 s4u) with no delegation configured: the KDC refuses and kvno's error travels back
# in cmd stderr.
scn_s2() {
  srv1_enctypes 4
  sealed_start --hop2 s4u
  local conf=$KRB5_CONFIG
  sed 's/^\[libdefaults\]$/[libdefaults]\n    permitted_enctypes = rc4-hmac\n    default_tkt_enctypes = rc4-hmac\n    default_tgs_enctypes = rc4-hmac/' \
    "$conf" > "$LAB/krb5-rc4.conf"
  export KRB5_CONFIG=$LAB/krb5-rc4.conf
  client_kinit alice "$ALICE_PW"
  pywinrm alice --endpoint $SRV1_URL --transport kerberos --encryption auto hop2 smb $SHARE
  export KRB5_CONFIG=$conf
}

# NTLM (srv1 by address): NTLMv2 with KEY_EXCH, sealed with the NTLM session keys (MS-NLMP 3.4).
scn_s3() {
  sealed_start --hop2 auto
  CLIENT_CC=
  pywinrm alice --endpoint "http://${IP[srv1]}:5985/wsman" --transport ntlm --user "HOP\\alice" \
    --password "$ALICE_PW" --encryption auto hop2 smb $SHARE
}
