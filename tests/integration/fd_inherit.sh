#!/bin/sh
# A script or ws_handler inherits exactly descriptors 0, 1 and 2: no FastCGI
# connection (its own, kept ones, those of other requests in flight), no
# listening socket, no store connection, no other request's pipe. Through
# real lighttpd, Apache mod_proxy_fcgi with enablereuse=on, nginx with
# upstream keepalive and fastcgi_keep_conn, and sessionwrap-ws, with a
# memcached store and other requests in flight.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd apache2 nginx curl python3 memcached
need_sessionwrap
stores_init
docroot_setup
sw_secret
[ "$(id -u)" = 0 ] && chown www-data:www-data "$T/secret"
MC_PORT=$(free_port)
mc_start 1 "$MC_PORT"
sw_config store="memcached://127.0.0.1:$MC_PORT" ws_control="$T/ws.ctl"
# A kept connection (enablereuse, fastcgi_keep_conn) holds a worker thread
# between its requests: more threads than Apache has children.
sw_start --threads 32
JAR=$T/jar

# expect_fds WHAT FILE: fail unless the listing (ls -l /proc/self/fd of
# fds.sh) holds exactly 0, 1 and 2 besides ls's own directory handle.
expect_fds() {
	_fds=$(sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$2" |
	    grep -v ' /proc/[0-9]*/fd$' | cut -d' ' -f1 | sort -n | tr '\n' ' ')
	[ "$_fds" = "0 1 2 " ] || {
		cat "$2" >&2
		fail "$1: the script inherited descriptors '$_fds', not '0 1 2'"
	}
}

# inflight PREFIX N: N requests of inflight.sh in the background, with a
# body, that stay in flight for 3 seconds; their pids in INFLIGHT.
inflight() {
	INFLIGHT=
	_i=0
	while [ $_i -lt "$2" ]; do
		curl -sS --max-time 30 -o /dev/null -b "$JAR" --data-binary "body $_i" \
		    "$BASE$1/inflight.sh?3" &
		INFLIGHT="$INFLIGHT $!"
		_i=$((_i + 1))
	done
	sleep 1
}

# fds_check WHAT PREFIX: with requests in flight, fds.sh sees only 0, 1, 2
# (GET and POST, fresh and with a session, several times on kept connections).
fds_check() {
	: > "$JAR"
	# Sessions in memcached: every worker holds a store connection.
	burst_get 8 "$BASE$2/counter.sh" || fail "$1: counter burst:$CODES"
	req "$2/counter.sh"
	expect_status 200 "$1: counter"
	inflight "$2" 4
	for _k in 1 2 3; do
		req "$2/fds.sh"
		expect_status 200 "$1: fds.sh ($_k)"
		expect_fds "$1 GET $_k" "$T/out.b"
		req "$2/fds.sh" --data-binary "a body"
		expect_status 200 "$1: POST fds.sh ($_k)"
		expect_fds "$1 POST $_k" "$T/out.b"
	done
	for _p in $INFLIGHT; do
		wait "$_p" || fail "$1: a request in flight failed"
	done
}

step "lighttpd"
lighttpd_start
fds_check lighttpd /cgi-bin
LIGHTTPD_BASE=$BASE

step "Apache mod_proxy_fcgi, enablereuse=on"
APACHE_EXTRA="<Proxy \"unix:$SW_SOCK|fcgi://localhost\">
	ProxySet enablereuse=on
</Proxy>"
apache_start
fds_check "Apache enablereuse" /cgi-bin
# The kept connections really are kept: sessionwrap still holds some.
if command -v ss >/dev/null 2>&1; then
	ss -x | grep -q "$SW_SOCK" ||
	    fail "no FastCGI connection kept open after the Apache requests"
fi

step "nginx, upstream keepalive + fastcgi_keep_conn on"
NGINX_HTTP_EXTRA="	upstream swkeep { server unix:$SW_SOCK; keepalive 8; }"
NGINX_SERVER_EXTRA="	location ^~ /k/ {
		fastcgi_split_path_info ^/k(/.+?\\.sh)(.*)\$;
		include fastcgi_params;
		fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		fastcgi_keep_conn on;
		fastcgi_pass swkeep;
	}"
nginx_start
fds_check "nginx keepalive" /k/cgi-bin
sw_alive "after the web servers"

step "sessionwrap-ws: a ws_handler inherits 0, 1, 2 only"
PY=$(ws_python) || exit $?
printf '#!/bin/sh\nPATH=/usr/bin:/bin\nexec ls -l /proc/self/fd\n' > "$T/wsfds.sh"
chmod 755 "$T/wsfds.sh"
sw_config store="memcached://127.0.0.1:$MC_PORT" ws_control="$T/ws.ctl" \
    ws_handler="$T/wsfds.sh"
# Its own sockets are close-on-exec; what it inherited from whoever started
# it (here an open handle on the secret file) must not reach handlers either.
exec 7<"$T/secret"
ws_start
exec 7<&-
BASE=$LIGHTTPD_BASE
: > "$JAR"
req /cgi-bin/counter.sh
expect_status 200 "a session for the WebSocket"
COOKIE=$(jar_cookie "$JAR" sessionwrap)
[ -n "$COOKIE" ] || fail "no session cookie"
"$PY" - "$top_srcdir/tests/integration" "unix:$WS_SOCK" "sessionwrap=$COOKIE" \
    > "$T/ws.out" 2>"$T/ws.err" <<'EOF' || fail "WebSocket client: $(cat "$T/ws.err")"
import sys
sys.path.insert(0, sys.argv[1])
from ws_client import CLOSE, Raw

addr, cookie = sys.argv[2], sys.argv[3]
# Other sockets (and their handlers) open while the last one lists its fds.
others = [Raw(addr, cookie=cookie) for _ in range(3)]
for n, r in enumerate(others + [Raw(addr, cookie=cookie)]):
    assert r.status == 101, "handshake %d: %d" % (n, r.status)
r = Raw(addr, cookie=cookie)
assert r.status == 101, "handshake: %d" % r.status
while True:
    fin, op, payload = r.recv_frame()
    if op == CLOSE:
        break
    print(payload.decode())
EOF
expect_fds "ws_handler" "$T/ws.out"
sw_alive "at the end"
pass
