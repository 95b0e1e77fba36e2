#!/bin/sh
# sessionwrap-ws faults behind lighttpd (contrib/lighttpd.conf and
# contrib/lighttpd-ws.conf), sessions from sessionwrap (cookie store):
#  - the helper stopped with SIGTERM, then with SIGKILL, while ten sockets of
#    two sessions are open: every client sees the close (1001, or the end
#    of the connection), a new helper takes the same sockets, clients
#    reconnect and receive SEND and CLOSE;
#  - the control socket flooded (thousands of pipelined commands, 300
#    clients at once, binary garbage, an over-long line): the helper lives,
#    every reply is right and open sockets keep receiving.
# The checks live in ws_faults.py.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
docroot_setup
sw_secret
WS_SOCK=$T/ws.sock
WS_CTL=$T/ws.ctl
sw_config ws_control="$WS_CTL"
ws_start
sw_start
sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
    "$top_srcdir/contrib/lighttpd-ws.conf" > "$T/lighttpd-ws.conf"
LIGHTTPD_EXTRA="include \"$T/lighttpd-ws.conf\""
lighttpd_start
export BASE WS_CTL T

# ws_stop SIGNAL: stop the helper; fail unless it goes within 60 s.
ws_stop() {
	kill "-$1" "$WS_PID"
	_n=0
	while kill -0 "$WS_PID" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 600 ] || fail "sessionwrap-ws ignored SIG$1"
		sleep 0.1
	done
	wait "$WS_PID"
	_rc=$?
	if [ "$1" = TERM ]; then
		[ "$_rc" = 0 ] || fail "sessionwrap-ws exited $_rc after SIGTERM"
		[ -z "$SW_WRAP" ] || sw_vg_check "$T/vg/$WS_PID.vg" ||
		    fail "valgrind found errors in sessionwrap-ws"
	else
		# A killed valgrind leaves an incomplete log: not ours to judge.
		rm -f "$T/vg/$WS_PID.vg"
	fi
}

for sig in TERM KILL; do
	step "sessionwrap-ws stopped with SIG$sig while sockets are open, then started again"
	rm -f "$T/ws-ready" "$T/ws-closed" "$T/ws-restarted"
	python3 "$top_srcdir/tests/integration/ws_faults.py" restart "$sig" &
	py=$!
	sw_track "$py"
	n=0
	while [ ! -f "$T/ws-ready" ]; do
		kill -0 "$py" 2>/dev/null || fail "ws_faults.py restart $sig failed before the restart"
		n=$((n + 1))
		[ $n -lt 300 ] || fail "ws_faults.py never got ready"
		sleep 0.1
	done
	ws_stop "$sig"
	n=0
	while [ ! -f "$T/ws-closed" ]; do
		kill -0 "$py" 2>/dev/null || break
		n=$((n + 1))
		[ $n -lt 300 ] || fail "ws_faults.py never saw the close"
		sleep 0.1
	done
	ws_start
	touch "$T/ws-restarted"
	wait "$py" || fail "ws_faults.py restart $sig"
	sw_alive "after the helper restarted"
done

step "control socket flood"
python3 "$top_srcdir/tests/integration/ws_faults.py" flood &
py=$!
sw_track "$py"
wait "$py" || fail "ws_faults.py flood"
kill -0 "$WS_PID" 2>/dev/null || fail "sessionwrap-ws died in the flood"
log "helper after the flood: $(ls "/proc/$WS_PID/fd" | wc -l) open fds"

ws_stop TERM
pass
