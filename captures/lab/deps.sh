#!/bin/bash
# Installs the Debian packages the double-hop lab needs. Idempotent, non-interactive.
# Debian 12 (bookworm) package names; Samba 4.22 from bookworm-backports (scripts/samba-backports.sh adds the
# suite and pins Samba and its libraries to it, the rest stays bookworm): AD DC with Samba's bundled Heimdal KDC
# (Debian builds samba-ad-dc with it, not with MIT's KDC), MIT krb5 1.20 clients.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SAMBA_MIN=4.22
PKGS=(
  samba samba-ad-dc samba-ad-provision winbind smbclient   # AD DC (KDC, LDAP, SMB), member server srv2, SMB client
  krb5-user libsasl2-modules-gssapi-mit ldap-utils          # kinit/kvno/klist, ldapsearch with GSSAPI
  python3-gssapi gss-ntlmssp                                # WinRM endpoint: Kerberos + NTLM acceptor
  python3-winrm python3-requests-kerberos python3-requests-ntlm python3-cryptography  # pywinrm client
  curl tcpdump tshark iproute2                              # curl --negotiate, dumpcap/tshark, ip netns
  faketime                                                  # scenario 26: srv2's smbd 15 minutes ahead (libfaketime)
)
SAMBA_PKGS=(samba samba-ad-dc samba-ad-provision winbind smbclient)
updated=
[ -z "$(bash "$REPO/scripts/samba-backports.sh")" ] || { apt-get update -q; updated=1; }
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Samba installed from bookworm (4.17) before the pin: upgrade it from backports.
v=$(dpkg-query -W -f='${Version}' samba 2>/dev/null | sed 's/^[0-9]*://; s/[+~-].*//') || v=
if [ -n "$v" ] && ! dpkg --compare-versions "$v" ge "$SAMBA_MIN"; then
  echo "deps.sh: samba $v installed, the lab needs >= $SAMBA_MIN (bookworm-backports)"
  missing+=("${SAMBA_PKGS[@]}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#PKGS[@]} packages present (samba $v)"
  exit 0
fi
echo "deps.sh: installing ${missing[*]}"
[ -n "$updated" ] || apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
v=$(dpkg-query -W -f='${Version}' samba | sed 's/^[0-9]*://; s/[+~-].*//')
dpkg --compare-versions "$v" ge "$SAMBA_MIN" || { echo "deps.sh: samba $v after install, want >= $SAMBA_MIN" >&2; exit 1; }
