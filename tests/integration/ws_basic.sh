#!/bin/sh
# sessionwrap-ws on private Unix sockets with a cookie store: handshake errors,
# authentication, frames, abrupt disconnects, control commands, handlers,
# limits, keepalive, logout through sessionwrap, SIGHUP and SIGTERM. The
# checks live in ws_basic.py (raw RFC 6455 client plus python3-websockets).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_sessionwrap
SESSIONWRAP_WS="$top_builddir/src/sessionwrap-ws"
[ -x "$SESSIONWRAP_WS" ] ||
    skip "sessionwrap-ws not built (configure found no libevent/wslay)"
# Debian's python3-websockets lives with the system python3.
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import websockets' 2>/dev/null; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || skip "python3-websockets not installed"

sw_secret
sw_config
export T SESSIONWRAP SESSIONWRAP_WS
"$PY" "$top_srcdir/tests/integration/ws_basic.py" &
py=$!
sw_track "$py"
wait "$py"
rc=$?
[ "$rc" = 0 ] || fail "ws_basic.py failed ($rc)"
pass
