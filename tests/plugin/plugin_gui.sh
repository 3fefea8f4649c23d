#!/bin/sh
# The plugin in the Wireshark GUI (Debian's wireshark-qt) under Xvfb.
#
# usage: plugin_gui.sh PLUGIN_DIR CAPTURE SHOT.png FRAME HOPSNIFF CAPTURE2
#
# Opens CAPTURE (a failing scenario) at FRAME (its decisive frame) with the
# plugin loaded from a temporary HOME, selects the last item of the packet
# details (the Double-Hop Analysis tree), expands its subtrees and takes a
# screenshot (ImageMagick import) into SHOT.png.  Checks:
#   - tshark -G plugins (same HOME) lists hopsniff.so;
#   - tshark -2 -V with the same HOME shows, at FRAME, the Double-Hop tree
#     with a failed verdict and the security expert info;
#   - the window's title names the capture and GUI's stderr has no plugin
#     load error;
#   - the screenshot is a real picture (many colours) and expanding the tree
#     filled the details pane (more ink below the packet list than before);
#   - state is reset when a new file is opened: CAPTURE2 opened in the same
#     window (File > Open, typed path) gets an analysis of its own.  The
#     plugin logs one line per analysed file (--log-level info: "analysis: F
#     frames, N chain(s): verdict/cause ..."); each must equal what
#     `hopsniff -r` says of that file alone (a state carried over from the
#     first file would add its chains, or give no second analysis at all).
# Exit 77 when Xvfb, wireshark, xdotool or import is missing, and in a
# sanitizer build (HS_LIBASAN set): with libasan preloaded, the extcap helpers
# Wireshark starts at launch (androiddump ...) inherit it and deadlock in
# p11-kit's exit handler, so the window never comes (plugin_tshark and
# plugin_robust cover the instrumented plugin).
set -eu
PLUGIN_DIR=$1 CAPTURE=$2 SHOT=$3 FRAME=$4 HOPSNIFF=$5 CAPTURE2=$6
if [ -n "${HS_LIBASAN:-}" ]; then
	echo "SKIP: sanitizer build (extcap helpers deadlock with libasan preloaded)"
	exit 77
fi
for t in Xvfb wireshark tshark xdotool import convert jq; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

HOMEDIR=$(mktemp -d /tmp/hs-gui-XXXXXX)
XPID= WPID=
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null || true
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null || true
	rm -rf "$HOMEDIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$HOMEDIR/.local/lib/wireshark/plugins" "$HOMEDIR/.config/wireshark" "$HOMEDIR/run"
cp -r "$PLUGIN_DIR/4.0" "$HOMEDIR/.local/lib/wireshark/plugins/"
# a fixed window and a details pane tall enough for the tree; no bytes pane
cat > "$HOMEDIR/.config/wireshark/recent" <<'R'
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1280
gui.geometry_main_height: 960
gui.geometry_main_maximized: FALSE
gui.byte_view_show: FALSE
gui.geometry_main_upper_pane: 260
R
chmod -R a+rwX "$HOMEDIR"
chmod 700 "$HOMEDIR/run"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

# as root Wireshark ignores the personal plugin folder: run as nobody
if [ "$(id -u)" = 0 ] || [ "$(id -g)" = 0 ]; then
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chown -R 65534:65534 "$HOMEDIR"
else
	AS=
fi
# a sanitizer build's plugin needs the ASan runtime first (HS_LIBASAN)
PRE=
[ -n "${HS_LIBASAN:-}" ] && PRE="LD_PRELOAD=$HS_LIBASAN ASAN_OPTIONS=detect_leaks=0"
run() { env HOME="$HOMEDIR" XDG_RUNTIME_DIR="$HOMEDIR/run" $PRE $AS "$@"; }

# (`tshark -G` hangs with libasan preloaded: the tree below shows the plugin loaded)
[ -n "$PRE" ] || check "tshark -G plugins lists hopsniff.so" 'run tshark -G plugins | grep -q "hopsniff.so"'
run tshark -2 -r "$CAPTURE" -V -Y "frame.number == $FRAME" > "$HOMEDIR/tree.txt" 2>&1 || true
check "tshark -V shows the Double-Hop tree at frame $FRAME" 'grep -q "^\[Double-Hop Analysis (hopsniff)\]" "$HOMEDIR/tree.txt"'
check "... with a failed verdict" 'grep -q "\[Verdict: failed\]" "$HOMEDIR/tree.txt"'
check "... and the security expert info" 'grep -q "Expert Info (Error/Security): Double hop" "$HOMEDIR/tree.txt"'

# Xvfb on a free display (it writes the number it took)
exec 9>"$HOMEDIR/display"
Xvfb -displayfd 9 -screen 0 1280x960x24 -nolisten tcp >"$HOMEDIR/xvfb.log" 2>&1 &
XPID=$!
for i in $(seq 50); do [ -s "$HOMEDIR/display" ] && break; sleep 0.1; done
DISPLAY=:$(cat "$HOMEDIR/display")
export DISPLAY
env DISPLAY="$DISPLAY" HOME="$HOMEDIR" XDG_RUNTIME_DIR="$HOMEDIR/run" $PRE $AS \
	wireshark --log-level info -r "$CAPTURE" -g "$FRAME" >"$HOMEDIR/wireshark.log" 2>&1 &
WPID=$!
name=$(basename "$CAPTURE")
WIN=
for i in $(seq 360); do # up to 90 s: slow under ASan on a loaded machine
	WIN=$(xdotool search --name "$name" 2>/dev/null | head -1) && [ -n "$WIN" ] && break
	sleep 0.25
done
check "the Wireshark window opened with $name in its title" '[ -n "$WIN" ]'
[ -n "$WIN" ] || { cat "$HOMEDIR/wireshark.log"; exit 1; }
sleep 2 # the file is read and frame $FRAME selected
title=$(xdotool getwindowname "$WIN")
echo "window title: $title"
import -window root "$HOMEDIR/before.png"
# the first row of the details pane, then its last item (the postdissector's
# tree, added after every other protocol), then expand its subtrees
xdotool mousemove --window "$WIN" 300 364 click 1
sleep 0.3
xdotool key End
sleep 0.2
xdotool key shift+Right
sleep 1
import -window root "$SHOT"
check "no plugin load error" '! grep -qi "plugin" "$HOMEDIR/wireshark.log"'
colours=$(identify -format %k "$SHOT")
check "the screenshot is a real picture ($colours colours)" '[ "$colours" -gt 50 ]'
# ink (non-white pixels) in the details pane before and after expanding
ink() { convert "$1" -crop 1240x560+0+355 -colorspace gray -threshold 90% -negate -format "%[fx:mean*w*h]" info:; }
b=$(ink "$HOMEDIR/before.png"); a=$(ink "$SHOT")
echo "details pane ink: before $b, after $a"
check "expanding the Double-Hop tree filled the details pane" "awk 'BEGIN{exit !($a > 3 * $b)}'"

# what the CLI says of a file alone, as the plugin's log line
expect() {
	"$HOPSNIFF" -r "$1" --json 2>/dev/null | jq -r '"analysis: \(.inputs[0].packets) frames, \(.chains | length) chain(s):" +
		([.chains[] | " \(.delegation.verdict)/\(.delegation.cause)"] | add // "")'
}
analyses() { sed -n 's/.*\[hopsniff INFO\] -- //p' "$HOMEDIR/wireshark.log"; }
want1=$(expect "$CAPTURE")
check "first file: the plugin's analysis = the CLI's ($want1)" '[ "$(analyses | head -1)" = "$want1" ]'
# a second file in the same window (File > Open, the path typed into the dialog)
cp "$CAPTURE2" "$HOMEDIR/second.pcapng"
chmod a+r "$HOMEDIR/second.pcapng"
xdotool key --window "$WIN" ctrl+o
sleep 2
xdotool type --delay 10 "$HOMEDIR/second.pcapng"
sleep 0.3
xdotool key Return
for i in $(seq 120); do
	xdotool getwindowname "$WIN" 2>/dev/null | grep -q second.pcapng && break
	sleep 0.25
done
sleep 2
want2=$(expect "$CAPTURE2")
check "second file opened in the same window" 'xdotool getwindowname "$WIN" | grep -q second.pcapng'
check "second file: a fresh analysis = the CLI's on that file alone ($want2)" \
	'[ "$(analyses | wc -l)" -ge 2 ] && [ "$(analyses | tail -1)" = "$want2" ]'
analyses | sed 's/^/plugin log: /'
exit $fail
