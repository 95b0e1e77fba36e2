#!/bin/sh
# THE demo for a newcomer on a fresh Debian:
#
#   sh examples/demo.sh [--port PORT] [--no-install]
#
# Installs what is missing (apt-get as root, else sudo), builds sessionwrap in
# ./build if needed, then serves the examples in this directory through
# lighttpd + sessionwrap on http://127.0.0.1:PORT/ (a free port by default)
# until Ctrl-C, and cleans up after itself.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
port=""
install=yes
while [ $# -gt 0 ]; do
	case $1 in
	--port) port=$2; shift ;;
	--port=*) port=${1#--port=} ;;
	--no-install) install=no ;;
	-h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
	[0-9]*) port=$1 ;;
	*) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $port in ''|*[!0-9]*) [ -z "$port" ] || { echo "demo.sh: bad port $port" >&2; exit 2; } ;; esac

say() { printf '== %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "demo.sh: need root or sudo for: $*" >&2
		return 1
	fi
}

PACKAGES="build-essential autoconf automake libtool pkg-config libfcgi-dev
libjansson-dev libssl-dev lighttpd python3 curl"
if [ $install = yes ] && command -v dpkg-query >/dev/null 2>&1; then
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		    missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		say "installing:$missing"
		as_root apt-get update -q </dev/null
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    --no-install-recommends $missing </dev/null || exit 1
	fi
fi

if [ ! -x "$BUILD_DIR/src/sessionwrap" ] || [ ! -x "$BUILD_DIR/src/sessionwrap-ctl" ]; then
	say "building in $BUILD_DIR"
	[ -x configure ] || autoreconf -fi || exit 1
	mkdir -p "$BUILD_DIR" || exit 1
	if [ ! -f "$BUILD_DIR/Makefile" ]; then
		(cd "$BUILD_DIR" && "$top/configure" -q) || exit 1
	fi
	make -C "$BUILD_DIR" -j"$(nproc 2>/dev/null || echo 2)" || exit 1
fi

top_srcdir=$top
top_builddir=$BUILD_DIR
SW_TEST_TIMEOUT=0
. "$top/tests/lib.sh"
TEST_NAME=demo
sw_setup
trap 'echo; say "stopping"; exit 0' INT TERM HUP

# The examples, without this script, as the document and script root.
DOCROOT=$T/www
SCRIPT_ROOT=$DOCROOT
mkdir -p "$DOCROOT"
chmod 755 "$DOCROOT"
for f in index.html counter.sh note.sh login.py session.sh; do
	cp "$top/examples/$f" "$DOCROOT/$f"
done
chmod 644 "$DOCROOT/index.html" "$DOCROOT/session.sh"
chmod 755 "$DOCROOT/counter.sh" "$DOCROOT/note.sh" "$DOCROOT/login.py"

sw_secret
sw_config
# The scripts find sessionwrap-ctl through sessionwrap's own PATH.
PATH="$BUILD_DIR/src:$PATH"
export PATH
sw_start
lighttpd_start "$port"

[ "$(id -u)" = 0 ] && say "running as root: the example scripts run as root too (demo only; see allow_root)"
say "sessionwrap + lighttpd serving $top/examples"
echo
echo "    open  $BASE/"
echo
say "logs follow; Ctrl-C stops everything"
tail -n +1 -f "$T/sessionwrap.log" "$T/lighttpd.log" &
sw_track $!
while kill -0 "$LIGHTTPD_PID" 2>/dev/null && kill -0 "$SW_PID" 2>/dev/null; do
	sleep 1
done
say "a server stopped; see the logs above"
exit 1
