#!/bin/bash
# Installs the Debian packages the double-hop lab needs. Idempotent, non-interactive.
# Debian 12 (bookworm) package names; Samba 4.17 (AD DC with its bundled Heimdal KDC), MIT krb5 clients.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  samba samba-ad-dc samba-ad-provision winbind smbclient   # AD DC (KDC, LDAP, SMB), member server srv2, SMB client
  krb5-user libsasl2-modules-gssapi-mit ldap-utils          # kinit/kvno/klist, ldapsearch with GSSAPI
  python3-gssapi gss-ntlmssp                                # WinRM endpoint: Kerberos + NTLM acceptor
  python3-winrm python3-requests-kerberos python3-requests-ntlm python3-cryptography  # pywinrm client
  curl tcpdump tshark iproute2                              # curl --negotiate, dumpcap/tshark, ip netns
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "deps.sh: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
