#!/bin/sh
# THE demo for a newcomer on a fresh Debian:
#
#   sh examples/demo.sh [--port PORT] [--store cookie|memcached|postgresql] [--no-install]
#   sh examples/demo.sh --protect [--port PORT] [--store ...]
#
# Installs what is missing (apt-get as root, else sudo), builds sessionwrap in
# ./build if needed, then serves the examples in this directory through
# lighttpd + sessionwrap, with sessionwrap-ws behind /ws for the live page, on
# http://127.0.0.1:PORT/ (a free port by default) until Ctrl-C, and cleans up
# after itself. --store memcached or postgresql starts a private server of
# that kind for the sessions (default: the encrypted cookie store).
# --protect serves gitweb and cgit, unmodified, behind sessionwrap's login
# instead (user alice, password demo), over a bare clone of this tree.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
port=""
install=yes
store=cookie
protect=no
while [ $# -gt 0 ]; do
	case $1 in
	--port) port=$2; shift ;;
	--port=*) port=${1#--port=} ;;
	--store) store=$2; shift ;;
	--store=*) store=${1#--store=} ;;
	--no-install) install=no ;;
	--protect) protect=yes ;;
	-h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
	[0-9]*) port=$1 ;;
	*) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $port in ''|*[!0-9]*) [ -z "$port" ] || { echo "demo.sh: bad port $port" >&2; exit 2; } ;; esac
case $store in
cookie|memcached|postgresql) ;;
*) echo "demo.sh: --store cookie, memcached or postgresql, not $store" >&2; exit 2 ;;
esac

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
libjansson-dev libssl-dev libevent-dev libwslay-dev lighttpd python3 curl"
case $store in
memcached) PACKAGES="$PACKAGES libmemcached-dev memcached" ;;
postgresql) PACKAGES="$PACKAGES libpq-dev postgresql" ;;
esac
[ $protect = no ] || PACKAGES="$PACKAGES libaprutil1-dev apache2-utils git gitweb cgit"
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
		# A build made before the libraries were there lacks their parts.
		[ ! -f "$BUILD_DIR/Makefile" ] || (cd "$BUILD_DIR" && ./config.status --recheck >/dev/null && ./config.status >/dev/null)
	fi
fi

if [ ! -x "$BUILD_DIR/src/sessionwrap" ] || [ ! -x "$BUILD_DIR/src/sessionwrap-ctl" ] ||
    [ ! -x "$BUILD_DIR/src/sessionwrap-login" ] ||
    [ "$install" = yes ]; then
	say "building in $BUILD_DIR"
	[ -x configure ] || autoreconf -fi || exit 1
	mkdir -p "$BUILD_DIR" || exit 1
	if [ ! -f "$BUILD_DIR/Makefile" ]; then
		(cd "$BUILD_DIR" && "$top/configure" -q) || exit 1
	fi
	make -s -C "$BUILD_DIR" -j"$(nproc 2>/dev/null || echo 2)" || exit 1
fi

top_srcdir=$top
top_builddir=$BUILD_DIR
SW_TEST_TIMEOUT=0
. "$top/tests/lib.sh"
. "$top/tests/integration/store_servers.sh"
TEST_NAME=demo
sw_setup
stores_init
trap 'echo; say "stopping"; exit 0' INT TERM HUP

# The examples, without this script and the WebSocket handler, as the
# document and script root.
DOCROOT=$T/www
SCRIPT_ROOT=$DOCROOT
mkdir -p "$DOCROOT" "$T/bin"
chmod 755 "$DOCROOT" "$T/bin"
for f in index.html demo.css live.js counter.sh note.sh login.py live.sh session.sh; do
	cp "$top/examples/$f" "$DOCROOT/$f"
done
chmod 644 "$DOCROOT/index.html" "$DOCROOT/demo.css" "$DOCROOT/live.js" "$DOCROOT/session.sh"
chmod 755 "$DOCROOT/counter.sh" "$DOCROOT/note.sh" "$DOCROOT/login.py" "$DOCROOT/live.sh"
cp "$top/examples/live-handler.sh" "$T/bin/live-handler.sh"
chmod 755 "$T/bin/live-handler.sh"

case $store in
cookie)
	store_uri=cookie ;;
memcached)
	mc_port=$(free_port)
	mc_start 1 "$mc_port"
	store_uri="memcached://127.0.0.1:$mc_port" ;;
postgresql)
	pg_setup
	store_uri=$PG_URI ;;
esac

sw_secret
if [ $protect = yes ]; then
	# gitweb and cgit behind the gate: the apps in cgi-bin, the login form
	# at /cgi-bin/login.cgi (tests/integration/protect_common.sh).
	. "$top/tests/integration/login_lib.sh"
	. "$top/tests/integration/protect_common.sh"
	SCRIPT_ROOT=$DOCROOT/cgi-bin
	mkdir -p "$SCRIPT_ROOT" "$T/state"
	chmod 755 "$SCRIPT_ROOT"
	printf '<!DOCTYPE html>\n<title>sessionwrap: protected apps</title>\n<h1>Behind the login</h1>\n<ul><li><a href="/cgi-bin/gitweb.cgi">gitweb</a></li><li><a href="/cgi-bin/cgit.cgi/">cgit</a></li></ul>\n<form method="post" action="/cgi-bin/login.cgi"><input type="hidden" name="logout" value="1"><button id="logout">Log out</button></form>\n' > "$DOCROOT/index.html"
	if git -C "$top" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		git clone -q --bare "$top" "$T/git/sessionwrap.git"
	fi
	[ -d "$T/git/sessionwrap.git" ] || git init -q --bare "$T/git/sessionwrap.git" || exit 1
	protect_apps
	htpasswd -c -b -B "$T/htpasswd" alice demo 2>/dev/null || exit 1
	sw_config store="$store_uri" login_required=/cgi-bin/ login_url=/cgi-bin/login.cgi \
	    login_htpasswd="$T/htpasswd" login_throttle_file="$T/state/throttle" \
	    pass_env="$PROTECT_VARS"
	sw_start
	LIGHTTPD_EXTRA=$(protect_lighttpd_extra)
	lighttpd_start "$port"
	say "gitweb and cgit behind the login (user alice, password demo), store: $store"
	echo
	echo "    open  $BASE/"
	echo
else
	SESSIONWRAP_WS="$BUILD_DIR/src/sessionwrap-ws"
	if [ -x "$SESSIONWRAP_WS" ]; then
		sw_config store="$store_uri" ws_control="$T/ws.ctl" ws_handler="$T/bin/live-handler.sh" \
		    ws_require_login=on
	else
		sw_config store="$store_uri"
	fi
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" check-config >/dev/null ||
	    { say "this build cannot use --store $store (configure did not find its library?)"; exit 1; }
	# The scripts find sessionwrap-ctl through sessionwrap's own PATH.
	PATH="$BUILD_DIR/src:$PATH"
	export PATH
	sw_start
	if [ -x "$SESSIONWRAP_WS" ]; then
		ws_start
		sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
		    "$top/contrib/lighttpd-ws.conf" > "$T/lighttpd-ws.conf"
		LIGHTTPD_EXTRA="include \"$T/lighttpd-ws.conf\""
	else
		say "sessionwrap-ws not built (libevent/wslay missing): the live page will not connect"
	fi
	lighttpd_start "$port"
fi

[ "$(id -u)" = 0 ] && say "running as root: the example scripts run as root too (demo only; see allow_root)"
if [ $protect = no ]; then
	say "sessionwrap + sessionwrap-ws + lighttpd serving $top/examples, store: $store"
	echo
	echo "    open  $BASE/"
	echo
fi
say "logs follow; Ctrl-C stops everything"
logs="$T/sessionwrap.log $T/lighttpd.log"
[ ! -f "$T/sessionwrap-ws.log" ] || logs="$logs $T/sessionwrap-ws.log"
$SW_PDEATH tail -n +1 -f $logs &
sw_track $!
while kill -0 "$LIGHTTPD_PID" 2>/dev/null && kill -0 "$SW_PID" 2>/dev/null &&
    { [ -z "$WS_PID" ] || kill -0 "$WS_PID" 2>/dev/null; }; do
	sleep 1
done
say "a server stopped; see the logs above"
exit 1
