#!/bin/sh
# A socket ends when its session ends, however it ends: lighttpd with
# contrib/lighttpd.conf + contrib/lighttpd-ws.conf in front of sessionwrap
# and sessionwrap-ws, on the cookie store, a real memcached and a real
# PostgreSQL (ws_session_end.py: timeouts, login as another user, an
# undelivered CLOSE, revoke and deleted rows, a load held up by a lock,
# session-less logouts, a CLOSE flood, ws_max_per_ip).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
stores_init
need_cmd lighttpd curl
need_sessionwrap
PY=$(ws_python) || exit $?
docroot_setup
sw_secret
SLOW=1
[ -n "$SW_WRAP" ] && SLOW=4

# phase STORE URI: sessionwrap, sessionwrap-ws and lighttpd on that store.
phase() {
	step "store $1"
	sw_config script_root="$SCRIPT_ROOT" ws_control="$T/ws-$1.ctl" \
	    store="$2" absolute_timeout=10 ws_recheck_interval=2 \
	    ws_max_per_ip=8 ws_handshake_timeout=60
	WS_SOCK=$T/ws-$1.sock
	ws_start
	SW_SOCK=$T/sw-$1.sock
	sw_start
	sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
	    "$top_srcdir/contrib/lighttpd-ws.conf" > "$T/lighttpd-ws.conf"
	LIGHTTPD_EXTRA="include \"$T/lighttpd-ws.conf\""
	lighttpd_start
	WS_PID=$WS_PID BASE=$BASE HOSTPORT=${BASE#http://} STORE=$1 WS_CTL="$T/ws-$1.ctl" \
	    SW_CTL="$top_builddir/src/sessionwrap-ctl" SW_CONF="$T/sw.conf" \
	    ABSOLUTE=10 RECHECK=2 PER_IP=8 SW_SLOW=$SLOW PSQL="$PSQL" \
	    "$PY" "$top_srcdir/tests/integration/ws_session_end.py" &
	py=$!
	sw_track "$py"
	wait "$py" || fail "ws_session_end.py failed on the $1 store"
	kill -0 "$WS_PID" 2>/dev/null || fail "sessionwrap-ws died"
	kill "$LIGHTTPD_PID" "$WS_PID"
	sw_stop
	wait "$LIGHTTPD_PID" "$WS_PID" 2>/dev/null
	unset WS_SOCK SW_SOCK
}

phase cookie cookie
MC_PORT=$(free_port)
mc_start 1 "$MC_PORT"
phase memcached "memcached://127.0.0.1:$MC_PORT"
pg_setup
phase postgresql "$PG_URI"
pass
