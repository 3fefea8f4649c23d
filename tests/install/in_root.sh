#!/bin/sh
# in_root.sh - run by deb_root.sh inside a clean Debian 12 root (minbase, man-db,
# bash-completion) with /pkgs (the two .deb), /t (tests/install) and /golden
# (the expected report of the example capture).  Environment: EXPECT_METHOD,
# EXPECT_CAUSES (space separated), from the lab scenario's expected.json;
# BUILD_PATHS, the source and build folders the packages were made from.
set -u
export DEBIAN_FRONTEND=noninteractive
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
helper=/usr/libexec/hopsniff/hopsniff-capture

# the state to come back to after the purge: every file (minus apt's and
# dpkg's own bookkeeping and logs), the users and groups, the overrides
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run -o -path /var/log \
		-o -path /var/cache/apt -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/cache/debconf \
		-o -path /var/cache/ldconfig -o -path /etc/ld.so.cache -o -path /var/cache/man \) -prune -o \
		-not -name '*-' -print | sort # (shadow's backups, /etc/group- ..., change with any user or group)
	getent passwd; getent group; dpkg-statoverride --list
}

apt-get update -qq || { echo "FAIL apt-get update"; exit 1; }
dpkg-query -W -f '${Package}\n' | sort >/tmp/pkgs-before
snapshot >/tmp/before

echo "== install the packages with apt (their Depends only)"
apt-get install -y -qq --no-install-recommends /pkgs/*.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; bad "apt-get install"; exit 1; }
dpkg-query -W -f '${Package}\n' | sort >/tmp/pkgs-after
comm -13 /tmp/pkgs-before /tmp/pkgs-after >/tmp/pkgs-new
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
	hopsniff hopsniff-wireshark-plugin | grep -v '^ ' | sort -u >/tmp/closure
extra=$(comm -23 /tmp/pkgs-new /tmp/closure)
[ -z "$extra" ] && ok "$(wc -l </tmp/pkgs-new) packages installed, all in the dependency closure of the two" ||
	bad "installed outside the declared dependencies: $extra"

# no build path in any installed file (BUILD_PATHS: the source and build folders)
files=$(dpkg -L hopsniff hopsniff-wireshark-plugin | while read -r f; do [ -f "$f" ] && echo "$f"; done)
hits=""
for f in $files; do
	for b in $BUILD_PATHS; do zcat -f "$f" | grep -qF "$b" && hits="$hits $f"; done
done
[ -z "$hits" ] && ok "no build path ($BUILD_PATHS) in the $(echo "$files" | wc -l) installed files" || bad "build paths in:$hits"

echo "== the command"
cd /tmp && cp /usr/share/doc/hopsniff/examples/srv1-constrained.pcapng srv1.pcapng
out=$(hopsniff -r srv1.pcapng 2>/dev/null)
rc=$?
printf '%s\n' "$out" >report.txt # as tests/report/golden.sh writes it
[ $rc = 1 ] && ok "hopsniff -r on the bundled capture: exit 1 (a chain failed)" || bad "exit $rc, not 1"
diff -u /golden/08-srv1.txt report.txt >/dev/null && ok "the report is the golden one (tests/report/golden/08-srv1.txt)" ||
	{ bad "report differs"; diff -u /golden/08-srv1.txt report.txt | head -20; }
hopsniff --version | grep -q "^hopsniff 0" && ok "hopsniff --version" || bad "--version"

echo "== man page"
# (not 80 columns: man-db keeps no cat page of other widths in /var/cache/man)
MANWIDTH=100 man --warnings hopsniff >/tmp/man.txt 2>/tmp/man.err
[ -s /tmp/man.txt ] && [ ! -s /tmp/man.err ] && grep -q "^EXIT STATUS" /tmp/man.txt && ok "man hopsniff renders ($(wc -l </tmp/man.txt) lines)" ||
	{ bad "man hopsniff"; head -5 /tmp/man.err; }
bash /t/man_options.sh /usr/bin/hopsniff /usr/share/man/man1/hopsniff.1.gz || fail=1

echo "== bash completion"
c=$(bash -c '. /usr/share/bash-completion/bash_completion; __load_completion hopsniff && complete -p hopsniff' 2>&1)
[ "$c" = "complete -F _hopsniff hopsniff" ] && ok "bash-completion loads it on demand: $c" || bad "completion not loaded: $c"
bash /t/completion.sh /usr/bin/hopsniff /usr/share/bash-completion/completions/hopsniff || fail=1

echo "== live capture: the group hopsniff"
g=$(getent group hopsniff)
[ -n "$g" ] && ok "group: $g" || bad "no group hopsniff"
m=$(stat -c '%a %U %G' $helper)
[ "$m" = "754 root hopsniff" ] && ok "helper mode: $m" || bad "helper mode: $m"
cap=$(getcap $helper | sed 's/.* //')
[ "$cap" = "cap_net_admin,cap_net_raw=eip" ] && ok "helper capabilities: $cap" || bad "helper capabilities: '$cap'"
[ -z "$(getcap /usr/bin/hopsniff)" ] && ok "/usr/bin/hopsniff has no capability" || bad "/usr/bin/hopsniff has capabilities"
dpkg-statoverride --list $helper >/dev/null && ok "dpkg-statoverride keeps it" || bad "no statoverride"
useradd -m -G hopsniff alice && useradd -m bob
# in a network namespace of its own: nothing of the machine is captured
as() { u=$1; shift; unshare --net setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }
as alice hopsniff -i any --duration 0.5 >/tmp/alice.out 2>/tmp/alice.err
rc=$?
[ $rc = 0 ] && grep -q "capturing on any" /tmp/alice.err && ok "alice (group hopsniff) captures: exit 0" ||
	{ bad "alice cannot capture: exit $rc"; cat /tmp/alice.err; }
# the helper gives up its capabilities once the capture is open: the decoders run unprivileged
as alice hopsniff -i any --duration 3 >/dev/null 2>/tmp/alice2.err &
bg=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q "capturing on any" /tmp/alice2.err && break; sleep 0.2; done
sleep 0.3
# the process that captures: the one whose program is the helper (the shell,
# unshare and setpriv before it exec'd are other processes)
pid=
for d in /proc/[0-9]*; do [ "$(readlink "$d/exe" 2>/dev/null)" = "$helper" ] && pid=${d#/proc/}; done
caps=$( [ -n "$pid" ] && awk '/^Cap(Prm|Eff):/ {print $2}' /proc/$pid/status | sort -u)
wait $bg
[ -n "$pid" ] && [ "$caps" = "0000000000000000" ] &&
	ok "the helper (pid $pid) captures with no capability left (CapPrm/CapEff $caps)" ||
	bad "while capturing: helper pid '$pid', capabilities '$caps'"
as bob hopsniff -i any --duration 0.5 >/tmp/bob.out 2>/tmp/bob.err
rc=$?
[ $rc = 2 ] && grep -q "group hopsniff" /tmp/bob.err && ok "bob (not in the group) may not capture: exit 2, told about the group" ||
	{ bad "bob: exit $rc"; cat /tmp/bob.err; }
as bob hopsniff -r /tmp/srv1.pcapng >/dev/null 2>&1
[ $? = 1 ] && ok "bob reads captures as anyone" || bad "bob cannot read a capture"

echo "== the plugin in tshark"
apt-get install -y -qq --no-install-recommends tshark >/tmp/apt-tshark.log 2>&1 || { tail /tmp/apt-tshark.log; bad "install tshark"; }
tshark -G plugins 2>/dev/null | grep -q "^hopsniff.so" && ok "tshark -G plugins: $(tshark -G plugins 2>/dev/null | grep '^hopsniff.so' | tr '\t' ' ')" ||
	bad "tshark does not list the plugin"
tshark -2 -r /tmp/srv1.pcapng -Y 'hopsniff.verdict == "failed"' -T fields -e hopsniff.method -e hopsniff.cause \
	2>/dev/null | sort -u >/tmp/ts.txt
n=$(wc -l </tmp/ts.txt)
line=$(head -1 /tmp/ts.txt)
method=$(printf '%s' "$line" | cut -f1) cause=$(printf '%s' "$line" | cut -f2)
ok_cause=no
for c in $EXPECT_CAUSES; do [ "$cause" = "$c" ] && ok_cause=yes; done
[ "$n" = 1 ] && [ "$method" = "$EXPECT_METHOD" ] && [ $ok_cause = yes ] &&
	ok "tshark -2 -Y 'hopsniff.verdict == \"failed\"': $method, $cause (the scenario's)" ||
	{ bad "tshark with the plugin: $(cat /tmp/ts.txt)"; }
apt-get purge -y -qq tshark >/dev/null 2>&1 && apt-get autoremove --purge -y -qq >/dev/null 2>&1

echo "== purge"
userdel -r alice 2>/dev/null; userdel -r bob 2>/dev/null
apt-get purge -y -qq hopsniff hopsniff-wireshark-plugin >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; bad "purge"; }
apt-get autoremove --purge -y -qq >>/tmp/purge.log 2>&1
snapshot >/tmp/after
d=$(diff /tmp/before /tmp/after)
[ -z "$d" ] && ok "after purge and autoremove: the same files, users, groups and overrides as before the install" ||
	{ bad "left behind or changed:"; echo "$d" | head -30; }
left=$(find / -xdev \( -path /proc -o -path /tmp -o -path /pkgs -o -path /t -o -path /golden \) -prune -o \
	-name '*hopsniff*' -print 2>/dev/null)
[ -z "$left" ] && ok "no file named hopsniff left" || bad "files named hopsniff left: $left"

[ $fail = 0 ] && echo "in the clean Debian 12 root: all passed" || echo "in the clean Debian 12 root: FAILED"
exit $fail
