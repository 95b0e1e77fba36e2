#!/bin/sh
# sessionwrap-ws under load: N idle push-only sockets spread over S logged-in
# sessions (cookie store), then server RSS per connection, SEND fan-out, and the
# time from CLOSE on the control socket to the last close frame of a session.
# Then, with --echo M (default 1000; 0 skips), the same line-echo handler
# (/bin/cat) held by M sockets behind sessionwrap-ws and behind Debian's
# websocketd: RSS of the daemon and of the handler processes.
# Then, with --bus-sockets K (default 100; 0 skips), two hosts on one ws_bus
# (Redis pub/sub, then PostgreSQL LISTEN/NOTIFY): host A's sessionwrap-ws
# holds K sockets of a session, host B's lighttpd + sessionwrap logs it out;
# the time from the logout request to the last close frame on A, 10 times.
#
#   sh bench/ws.sh [--connections N] [--sessions S] [--echo M] [--bus-sockets K]
#
# Needs a build in ./build with sessionwrap-ws (BUILD_DIR overrides), python3,
# websocketd for the comparison, and `ulimit -n` above N + 100 (raised here
# when the hard limit allows).

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
connections=10000
sessions=100
echo_n=1000
bus_n=100
while [ $# -gt 0 ]; do
	case $1 in
	--connections) connections=$2; shift ;;
	--connections=*) connections=${1#*=} ;;
	--sessions) sessions=$2; shift ;;
	--sessions=*) sessions=${1#*=} ;;
	--echo) echo_n=$2; shift ;;
	--echo=*) echo_n=${1#*=} ;;
	--bus-sockets) bus_n=$2; shift ;;
	--bus-sockets=*) bus_n=${1#*=} ;;
	-h|--help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "ws.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
for v in "$connections" "$sessions" "$echo_n" "$bus_n"; do
	case $v in ''|*[!0-9]*) echo "ws.sh: numbers must be integers" >&2; exit 2 ;; esac
done
[ "$sessions" -ge 1 ] && [ "$connections" -ge "$sessions" ] ||
    { echo "ws.sh: need 1 <= sessions <= connections" >&2; exit 2; }

top_srcdir=$top
top_builddir=$BUILD_DIR
SW_TEST_TIMEOUT=900
. "$top/tests/lib.sh"
TEST_NAME=bench-ws
SESSIONWRAP_WS=$BUILD_DIR/src/sessionwrap-ws
for p in "$SESSIONWRAP" "$SESSIONWRAP_WS"; do
	[ -x "$p" ] || { echo "bench: $p not built; run: sh tests/check.sh" >&2; exit 1; }
done
need_cmd python3

want=$((connections + echo_n * 4 + 200))
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$((connections + 100))" ]; then
	echo "bench: ulimit -n is $(ulimit -n), below $((connections + 100)); raise the hard limit" >&2
	exit 1
fi

sw_setup
sw_secret
mkdir -p "$T/cgi"
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\nX-Session-Login: %%s\\r\\n\\r\\n" "$QUERY_STRING"\n' > "$T/cgi/login.sh"
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$SESSION_WS_ID"\n' > "$T/cgi/whoami.sh"
chmod 755 "$T/cgi" "$T/cgi/login.sh" "$T/cgi/whoami.sh"
sw_config script_root="$T/cgi" log_level=warning

# cgi SCRIPT [COOKIE] [QUERY]: run sessionwrap as a CGI program.
cgi() {
	env -i PATH="$PATH" REQUEST_METHOD=GET GATEWAY_INTERFACE=CGI/1.1 \
	    SERVER_PROTOCOL=HTTP/1.1 SCRIPT_FILENAME="$T/cgi/$1" \
	    HTTP_COOKIE="${2:-}" QUERY_STRING="${3:-}" \
	    SESSIONWRAP_CONF="$T/sw.conf" "$SESSIONWRAP" 2>>"$T/sessionwrap.log"
}

log "logging in $sessions users"
: > "$T/sessions"
i=0
while [ $i -lt "$sessions" ]; do
	c=$(cgi login.sh "" "user$i" | sed -n 's/^Set-Cookie: \(sessionwrap=[^;]*\);.*/\1/p' | tr -d '\r')
	[ -n "$c" ] || fail "login user$i: no cookie"
	w=$(cgi whoami.sh "$c" | tr -d '\r' | tail -n 1)
	[ -n "$w" ] || fail "no ws_id for user$i"
	echo "$c $w" >> "$T/sessions"
	i=$((i + 1))
done

# start_ws NAME ARGS...: sessionwrap-ws on $T/NAME.sock and $T/NAME.ctl.
start_ws() {
	_n=$1
	shift
	# $SW_PDEATH: it goes when this script dies, even by SIGKILL.
	$SW_PDEATH "$SESSIONWRAP_WS" -c "$T/sw.conf" --listen "unix:$T/$_n.sock" \
	    --control "$T/$_n.ctl" --ws_max_connections="$((connections + echo_n + 100))" \
	    --ws_max_per_session="$connections" "$@" >>"$T/$_n.log" 2>&1 </dev/null &
	WS_PID=$!
	sw_track "$WS_PID"
	wait_for_socket "$T/$_n.ctl" 10 "$WS_PID"
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Idle means idle: no keepalive pings during the run.
echo "== sessionwrap-ws: $connections idle push-only sockets over $sessions sessions"
start_ws hold --ws_ping_interval=0
python3 "$top/bench/ws_bench.py" hold --addr "unix:$T/hold.sock" --ctl "$T/hold.ctl" \
    --pid "$WS_PID" --sessions "$T/sessions" -n "$connections" ||
    fail "hold bench failed"
stop_pid "$WS_PID"

echo "== sessionwrap-ws: $connections idle push-only sockets of one session, one CLOSE"
head -n 1 "$T/sessions" > "$T/session1"
start_ws one --ws_ping_interval=0
python3 "$top/bench/ws_bench.py" hold --addr "unix:$T/one.sock" --ctl "$T/one.ctl" \
    --pid "$WS_PID" --sessions "$T/session1" -n "$connections" --closes 1 ||
    fail "one-session bench failed"
stop_pid "$WS_PID"

if [ "$echo_n" -gt 0 ]; then
	echo "== line-echo handler (/bin/cat), $echo_n sockets"
	start_ws echo --ws_handler=/bin/cat
	python3 "$top/bench/ws_bench.py" echo --addr "unix:$T/echo.sock" --pid "$WS_PID" \
	    --sessions "$T/sessions" -n "$echo_n" --label sessionwrap-ws ||
	    fail "sessionwrap-ws echo bench failed"
	stop_pid "$WS_PID"
	if command -v websocketd >/dev/null 2>&1; then
		port=$(free_port)
		$SW_PDEATH websocketd --address=127.0.0.1 --port="$port" --loglevel=error /bin/cat \
		    >>"$T/websocketd.log" 2>&1 </dev/null &
		wd=$!
		sw_track "$wd"
		wait_for_port "$port" 10 "$wd"
		python3 "$top/bench/ws_bench.py" echo --addr "127.0.0.1:$port" --pid "$wd" \
		    -n "$echo_n" --host "127.0.0.1:$port" --label websocketd ||
		    fail "websocketd echo bench failed"
		stop_pid "$wd"
	else
		echo "websocketd not installed: no comparison"
	fi
fi
# bus_case KIND URI: host A (sessionwrap-ws) and host B (lighttpd, sessionwrap
# and its own sessionwrap-ws) on one ws_bus; logouts on B, closes timed on A.
bus_case() {
	echo "== two hosts on ws_bus ($1): logout on host B, $bus_n sockets on host A"
	start_ws busA --ws_ping_interval=0 --ws_bus="$2"
	a_pid=$WS_PID
	start_ws busB --ws_ping_interval=0 --ws_bus="$2"
	b_pid=$WS_PID
	SW_CONF=$T/swB.conf SW_SOCK=$T/swB.sock
	sw_config script_root="$SCRIPT_ROOT" log_level=warning ws_bus="$2" \
	    ws_control="$T/busB.ctl"
	sw_start
	[ -n "$BASE" ] || lighttpd_start
	python3 "$top/bench/ws_bench.py" twohost --addr "unix:$T/busA.sock" \
	    --pid "$a_pid" --sessions "$T/bus-sessions-$1" -n "$bus_n" \
	    --logout-base "$BASE" --label "$1" || fail "two-host bench ($1) failed"
	sw_stop
	SW_CONF= SW_SOCK=
	stop_pid "$a_pid"
	stop_pid "$b_pid"
}

if [ "$bus_n" -gt 0 ]; then
	. "$top/tests/integration/store_servers.sh"
	stores_init
	need_cmd lighttpd
	DOCROOT=$T/www SCRIPT_ROOT=$T/www/cgi-bin
	mkdir -p "$SCRIPT_ROOT"
	chmod 755 "$DOCROOT" "$SCRIPT_ROOT"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\nX-Session-Logout: 1\\r\\n\\r\\nbye\\n"\n' > "$SCRIPT_ROOT/logout.sh"
	chmod 755 "$SCRIPT_ROOT/logout.sh"
	# Fresh sessions per case: a logout ends one.
	for kind in redis postgresql; do
		: > "$T/bus-sessions-$kind"
		i=0
		while [ $i -lt 10 ]; do
			c=$(cgi login.sh "" "bus$kind$i" | sed -n 's/^Set-Cookie: \(sessionwrap=[^;]*\);.*/\1/p' | tr -d '\r')
			echo "$c -" >> "$T/bus-sessions-$kind"
			i=$((i + 1))
		done
	done
	if command -v redis-server >/dev/null 2>&1; then
		redis-server --port 0 --unixsocket "$T/run/redis.sock" --unixsocketperm 777 \
		    --daemonize yes --pidfile "$T/run/redis.pid" --dir "$T/run" --save '' \
		    --appendonly no --logfile "$T/redis.log" || fail "redis-server did not start"
		wait_for_socket "$T/run/redis.sock" 10
		bus_case redis "redis+unix://$T/run/redis.sock"
	else
		echo "redis-server not installed: no Redis bus case"
	fi
	pg_setup
	bus_case postgresql "$PG_URI"
fi
pass
