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
PY=$(ws_python) || exit $?

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
