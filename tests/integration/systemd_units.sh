#!/bin/sh
# contrib/systemd/: `systemd-analyze verify` accepts the units (binaries and
# paths pointed at this build and the temp dir), `systemd-analyze security`
# rates them OK, and the units work: sd_activate.py starts them as systemd
# would (socket bound from sessionwrap.socket and handed over on fd 0, User=,
# RuntimeDirectory=), lighttpd (contrib/lighttpd.conf + lighttpd-ws.conf) in
# front: sessions, and logout closing the session's sockets.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd systemd-analyze lighttpd curl python3
need_sessionwrap
PY=$(ws_python) || exit $?
SESSIONWRAP_WS="$top_builddir/src/sessionwrap-ws"
[ -x "$SESSIONWRAP_WS" ] || skip "sessionwrap-ws not built (configure found no libevent/wslay)"
UNITS="sessionwrap.socket sessionwrap.service sessionwrap-ws.service"

# Copies of the programs that www-data can reach wherever the build is;
# the test scripts call this sessionwrap-ctl too.
mkdir -p "$T/bin"
for p in sessionwrap sessionwrap-ctl sessionwrap-ws; do
	cp "$top_builddir/src/$p" "$T/bin/$p"
done
chmod 755 "$T/bin" "$T/bin/"*
SESSIONWRAP=$T/bin/sessionwrap
SESSIONWRAP_CTL=$T/bin/sessionwrap-ctl

# The units as shipped, with our binaries, configuration and /run.
RUN=$T/run
mkdir -p "$T/units" "$RUN"
for u in $UNITS; do
	sed -e "s|/usr/local/bin/|$T/bin/|g" \
	    -e "s|/etc/sessionwrap.conf|$T/sw.conf|g" \
	    -e "s|/run/sessionwrap/|$RUN/sessionwrap/|g" \
	    "$top_srcdir/contrib/systemd/$u" > "$T/units/$u"
done

step "systemd-analyze verify: no complaint"
(cd "$T/units" && systemd-analyze verify --man=no $UNITS) > "$T/verify.out" 2>&1 ||
    fail "systemd-analyze verify failed: $(cat "$T/verify.out")"
[ ! -s "$T/verify.out" ] || fail "systemd-analyze verify complains: $(cat "$T/verify.out")"

step "systemd-analyze security: exposure below 4 (OK)"
for u in sessionwrap.service sessionwrap-ws.service; do
	(cd "$T/units" && systemd-analyze security --offline=yes --threshold=40 "$u") \
	    > "$T/security.out" 2>&1 ||
	    fail "$u: exposure over 4: $(tail -n 1 "$T/security.out")"
	log "$u: $(tail -n 1 "$T/security.out")"
done

docroot_setup
sw_secret
# Every unit says User=www-data: as root it must read the secret and reach
# the control socket; sessionwrap must not need allow_root.
[ "$(id -u)" = 0 ] && chown www-data:www-data "$T/secret"
sw_config allow_root=off ws_control="$RUN/sessionwrap/ws.ctl"

step "sessionwrap-ws.service: RuntimeDirectory, User"
SD_RUNTIME_DIR=$RUN setsid "$PY" "$top_srcdir/tests/integration/sd_activate.py" \
    "$T/units/sessionwrap-ws.service" >>"$T/sessionwrap-ws.log" 2>&1 </dev/null &
WS_PID=$!
sw_track "$WS_PID"
WS_SOCK=$RUN/sessionwrap/ws.sock
wait_for_socket "$WS_SOCK" 10 "$WS_PID"
wait_for_socket "$RUN/sessionwrap/ws.ctl" 10 "$WS_PID"

step "sessionwrap.socket + sessionwrap.service: the socket arrives on fd 0"
SW_SOCK=$RUN/sessionwrap/sessionwrap.sock
SD_RUNTIME_DIR=$RUN setsid "$PY" "$top_srcdir/tests/integration/sd_activate.py" \
    "$T/units/sessionwrap.service" "$T/units/sessionwrap.socket" \
    >>"$T/sessionwrap.log" 2>&1 </dev/null &
SW_PID=$!
sw_track "$SW_PID"
n=0
until [ "$(readlink "/proc/$SW_PID/exe" 2>/dev/null)" = "$(readlink -f "$SESSIONWRAP")" ] &&
    grep -q 'ready' "$T/sessionwrap.log"; do
	kill -0 "$SW_PID" 2>/dev/null || fail "sessionwrap did not start: $(tail -n 3 "$T/sessionwrap.log")"
	n=$((n + 1))
	[ $n -lt 100 ] || fail "sessionwrap not ready after 10 s"
	sleep 0.1
done
grep -q -- '--listen' "/proc/$SW_PID/cmdline" && fail "ExecStart= passes --listen"
fd0=$(readlink "/proc/$SW_PID/fd/0")
inode=$(awk -v p="$SW_SOCK" '$NF == p { print $7 }' /proc/net/unix | head -n 1)
[ -n "$inode" ] && [ "$fd0" = "socket:[$inode]" ] ||
    fail "fd 0 of sessionwrap is $fd0, not the listening socket $SW_SOCK (inode $inode)"
mode=$(stat -c %a "$SW_SOCK")
[ "$mode" = 660 ] || fail "socket mode $mode, SocketMode= says 0660"
if [ "$(id -u)" = 0 ]; then
	for p in "$SW_PID" "$WS_PID"; do
		u=$(ps -o user= -p "$p")
		[ "$u" = www-data ] || fail "process $p runs as $u, not User=www-data"
	done
	[ "$(stat -c %G "$SW_SOCK")" = www-data ] || fail "socket group is not SocketGroup=www-data"
fi

sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
    "$top_srcdir/contrib/lighttpd-ws.conf" > "$T/lighttpd-ws.conf"
LIGHTTPD_EXTRA="include \"$T/lighttpd-ws.conf\""
# lighttpd as www-data, the group the socket admits.
if [ "$(id -u)" = 0 ]; then
	LIGHTTPD_EXTRA="$LIGHTTPD_EXTRA
server.username = \"www-data\"
server.groupname = \"www-data\""
	touch "$T/lighttpd.log"
	chown www-data "$T/lighttpd.log"
fi
lighttpd_start
JAR=$T/jar
: > "$JAR"

step "sessions through the activated socket, scripts as www-data"
for i in 1 2 3; do
	req /cgi-bin/counter.sh
	expect_status 200 "counter $i"
	grep -q "^n=$i " "$T/out.b" || fail "counter request $i: expected n=$i, got: $(cat "$T/out.b")"
done
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: gina')"
expect_status 200 login
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' gina SESSION_USER

step "WebSocket: logout closes the session's sockets with 4001"
BASE=$BASE SW_CTL="$SESSIONWRAP_CTL" SW_CONF="$T/sw.conf" \
    "$PY" "$top_srcdir/tests/integration/ws_logout.py" || fail "ws_logout.py failed"

step "KillSignal=SIGTERM stops both within TimeoutStopSec"
for p in "$SW_PID" "$WS_PID"; do
	kill -TERM "$p"
	wait_until 10 sh -c '! kill -0 "$1" 2>/dev/null' - "$p" ||
	    fail "process $p still running 10 s after SIGTERM"
done
pass
