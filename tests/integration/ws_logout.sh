#!/bin/sh
# End to end: lighttpd with contrib/lighttpd.conf + contrib/lighttpd-ws.conf in
# front of sessionwrap (FastCGI) and sessionwrap-ws (mod_proxy upgrade). Log in
# over HTTP, open sockets with python3-websockets and our raw client, log out
# over HTTP: every socket of the session gets close 4001 within 100 ms and the
# old cookie is refused (ws_logout.py).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl
need_sessionwrap
SESSIONWRAP_WS="$top_builddir/src/sessionwrap-ws"
[ -x "$SESSIONWRAP_WS" ] ||
    skip "sessionwrap-ws not built (configure found no libevent/wslay)"
PY=$(ws_python) || exit $?

docroot_setup
sw_secret
WS_SOCK=$T/ws.sock
sw_config script_root="$SCRIPT_ROOT" ws_control="$T/ws.ctl"

step "sessionwrap-ws on $WS_SOCK"
"$SESSIONWRAP_WS" -c "$T/sw.conf" --listen "unix:$WS_SOCK" \
    >>"$T/sessionwrap-ws.log" 2>&1 </dev/null &
WS_PID=$!
sw_track "$WS_PID"
wait_for_socket "$WS_SOCK" 10 "$WS_PID"
wait_for_socket "$T/ws.ctl" 10 "$WS_PID"
# As root lighttpd may run as www-data; the control socket is for sessionwrap.
chmod 666 "$WS_SOCK"

sw_start
sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
    "$top_srcdir/contrib/lighttpd-ws.conf" > "$T/lighttpd-ws.conf"
LIGHTTPD_EXTRA="include \"$T/lighttpd-ws.conf\""
lighttpd_start

step "login, sockets, logout through lighttpd"
BASE=$BASE SW_CTL="$top_builddir/src/sessionwrap-ctl" SW_CONF="$T/sw.conf" \
    "$PY" "$top_srcdir/tests/integration/ws_logout.py" &
py=$!
sw_track "$py"
wait "$py" || fail "ws_logout.py failed"
kill -0 "$WS_PID" 2>/dev/null || fail "sessionwrap-ws died"
pass
