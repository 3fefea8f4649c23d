#!/bin/bash
# Adds Debian 12's bookworm-backports suite to apt and pins Samba and its libraries (only those) to it, so that
# the lab DC runs Samba 4.22 (real RBCD, Protected Users, "sensitive and cannot be delegated") while everything
# else stays on bookworm (backports' default priority is 100: nothing else is taken from it).
# Idempotent; needs root. Prints "changed" when it wrote a file (the caller then runs apt-get update).
#   scripts/samba-backports.sh
set -euo pipefail
SRC=/etc/apt/sources.list.d/hopsniff-bookworm-backports.sources
PREF=/etc/apt/preferences.d/hopsniff-samba-backports
changed=
write() { # file: content on stdin, written only when different
  local new; new=$(cat)
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$new" ]; then printf '%s\n' "$new" > "$1"; changed=1; fi
}
write "$SRC" <<'S'
# hopsniff lab: Samba 4.22 for the lab DC (scripts/samba-backports.sh)
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
S
# Every binary package built from the samba source (and the talloc/tevent/tdb/ldb libraries it needs at the
# versions it was built with); nothing else is taken from backports.
write "$PREF" <<'P'
# hopsniff lab (scripts/samba-backports.sh): Samba and its libraries from bookworm-backports, all else bookworm
Package: samba samba-* smbclient winbind ctdb registry-tools ldb-tools tdb-tools libsmbclient* libwbclient* libnss-winbind libpam-winbind python3-samba python3-ldb* libldb* libtalloc* python3-talloc* libtevent* python3-tevent* libtdb* python3-tdb*
Pin: release n=bookworm-backports
Pin-Priority: 990
P
[ -z "$changed" ] || echo changed
