#!/bin/sh
# Several hosts: two process sets (A and B, each its own lighttpd on its own
# loopback port, sessionwrap and sessionwrap-ws) sharing one PostgreSQL store
# and one ws_bus, for both bus kinds: PostgreSQL LISTEN/NOTIFY (a database of
# its own on the store's server) and Redis pub/sub (redis-server on a private
# Unix socket). ws_bus.py: a SEND and a logout on one host reach the sockets
# on both, forged bus messages are ignored and logged, a restarted bus server
# still carries the next logout, and a logout while the bus is down is
# applied by the other host once it is back (its re-check of the store).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl redis-server redis-cli
need_sessionwrap
[ -x "$top_builddir/src/sessionwrap-ws" ] ||
    skip "sessionwrap-ws not built (configure found no libevent/wslay)"
PY=$(ws_python) || exit $?
stores_init
pg_setup
T0=$T
sw_secret "$T0/secret"
CHANNEL=sessionwrap_ws
$PSQL -c "CREATE DATABASE swbus" || fail "CREATE DATABASE swbus"
PG_BUS=$(echo "$PG_URI" | sed 's/dbname=postgres/dbname=swbus/')

REDIS_SOCK=$T0/run/redis.sock
REDIS_START="redis-server --port 0 --unixsocket $REDIS_SOCK --unixsocketperm 777 --daemonize yes --pidfile $T0/run/redis.pid --dir $T0/run --save '' --appendonly no --logfile $T0/redis.log"
REDIS_STOP="p=\$(cat $T0/run/redis.pid); kill \$p; while kill -0 \$p 2>/dev/null; do sleep 0.05; done; rm -f $REDIS_SOCK"
REDIS_UP="$REDIS_START; i=0; while ! redis-cli -s $REDIS_SOCK ping >/dev/null 2>&1 && [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done"

# host_up NAME BUS: lighttpd, sessionwrap and sessionwrap-ws of one host,
# in $T0/NAME, on the shared store and bus. Sets PORT_NAME and friends.
host_up() {
	T=$T0/$1
	mkdir -p "$T"
	chmod 755 "$T"
	cp "$T0/secret" "$T/secret"
	docroot_setup
	SW_CONF=$T/sw.conf SW_SOCK=$T/sw.sock WS_SOCK=$T/ws.sock
	# No periodic re-check: only the bus (and its reconnect) closes sockets.
	sw_config store="$PG_URI" ws_control="$T/ws.ctl" ws_bus="$2" \
	    ws_bus_channel="$CHANNEL" ws_recheck_interval=0 ws_ping_interval=0
	ws_start
	sw_start
	lighttpd_ws_proxy
	lighttpd_start
	eval "BASE_$1=\$BASE PIDS_$1=\"\$WS_PID \$SW_PID \$LIGHTTPD_PID\""
	# Their logs in the top dir, so that a failure shows them.
	for f in "$T"/*.log; do ln -sf "$f" "$T0/$1-$(basename "$f")"; done
	T=$T0
	SW_CONF= SW_SOCK= WS_SOCK= PORT=
}

# host_down NAME: stop one host's processes.
host_down() {
	eval "_p=\$PIDS_$1"
	for p in $_p; do kill -TERM "$p" 2>/dev/null; done
	for p in $_p; do wait "$p" 2>/dev/null; done
}

# two_hosts KIND BUS PUBLISH RESTART DOWN UP: run ws_bus.py on both hosts.
two_hosts() {
	step "$1: two hosts on ws_bus $2"
	host_up A "$2"
	host_up B "$2"
	KIND=$1 BASE_A=$BASE_A BASE_B=$BASE_B CTL_A=$T0/A/ws.ctl \
	    CTL_B=$T0/B/ws.ctl CONF_B=$T0/B/sw.conf SW_CTL=$SESSIONWRAP_CTL \
	    SECRET=$T0/secret CHANNEL=$CHANNEL LOG_A=$T0/A/sessionwrap-ws.log \
	    LOG_B=$T0/B/sessionwrap-ws.log SWLOG_B=$T0/B/sessionwrap.log PUBLISH=$3 BUS_RESTART=$4 BUS_DOWN=$5 \
	    BUS_UP=$6 "$PY" "$top_srcdir/tests/integration/ws_bus.py" &
	py=$!
	sw_track "$py"
	wait "$py" || fail "ws_bus.py failed for the $1 bus"
	host_down A
	host_down B
}

PG_PSQL_BUS="$PSQL -d swbus"
# The bus database refuses connections and drops those it has; the store
# (database postgres, same server) stays up.
two_hosts postgresql "$PG_BUS" \
    "printf '%s\n' \"SELECT pg_notify('$CHANNEL', :'m');\" | $PG_PSQL_BUS -v m=\"\$MSG\" -v ON_ERROR_STOP=1 >/dev/null" \
    "$PG_STOP && $PG_START" \
    "$PSQL -c \"ALTER DATABASE swbus ALLOW_CONNECTIONS false\" -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'swbus'\" >/dev/null" \
    "$PSQL -c \"ALTER DATABASE swbus ALLOW_CONNECTIONS true\""

sh -c "$REDIS_UP" || fail "redis-server did not start: $(tail -n 3 "$T0/redis.log")"
two_hosts redis "redis+unix://$REDIS_SOCK" \
    "redis-cli -s $REDIS_SOCK PUBLISH $CHANNEL \"\$MSG\" >/dev/null" \
    "$REDIS_STOP; $REDIS_UP" "$REDIS_STOP" "$REDIS_UP"
pass
