#!/bin/sh
# Slow request bodies must not hold sessionwrap's workers past
# handler_timeout. nginx with fastcgi_request_buffering off and Apache
# mod_proxy_fcgi pass a body on as it comes; with threads = 2 and
# handler_timeout = 3, four clients each send a body a byte every 2 s
# (tests/integration/slow_client.py). Each must be ended (504, or the
# connection closed) in bounded time, a normal request sent meanwhile must
# succeed, and afterwards the workers are free: a request is served at
# once and no script is left running. Then the same through Apache mod_cgi
# with sessionwrap as a plain CGI program (contrib/apache-cgi.conf), which
# waits on its stdin with the time left, a byte every 8 s. Last, a kept
# FastCGI connection idle past handler_timeout still serves its next request.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

TIMEOUT=3

sw_setup
need_cmd nginx apache2 curl python3 ps
need_sessionwrap
docroot_setup
install_scripts "$DOCROOT/cgi"
sw_secret
if [ "$(id -u)" = 0 ]; then
	chown www-data:www-data "$T/secret"
fi
sw_config handler_timeout=$TIMEOUT
SW_CONF=$T/sw-cgi.conf SCRIPT_ROOT=$DOCROOT/cgi sw_config handler_timeout=$TIMEOUT
mkdir -p "$T/swcgi"
cp "$SESSIONWRAP" "$T/swcgi/sessionwrap"
chmod 755 "$T/swcgi/sessionwrap"
sw_start --threads 2


# children: sessionwrap's child processes (zombies too).
children() { ps --ppid "$SW_PID" -o pid=,stat=,args= 2>/dev/null; }

# no_children: true when sessionwrap runs no script.
no_children() { [ -z "$(children)" ]; }

# attack WHAT SCRIPT_PATH LIMIT: four slow clients and a normal request;
# every slow client must be ended and the normal request answered within
# LIMIT seconds.
attack() {
	python3 "$top_srcdir/tests/integration/slow_client.py" "$PORT" "$2" 4 \
	    /cgi-bin/do.py 25 > "$T/slow.out" 2>&1 || soft_fail "$1: slow_client.py failed: $(cat "$T/slow.out")"
	sed "s/^/$TEST_NAME: $1: /" "$T/slow.out" >&2
	while read -r who el what; do
		case $who in
		slow*)
			[ "$what" != held ] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]))' "$el" "$3" ||
			    soft_fail "$1: $who $what after $el s (limit $3 s)"
			;;
		normal)
			[ "$what" = 200 ] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]))' "$el" "$3" ||
			    soft_fail "$1: normal request: $what after $el s (limit $3 s)"
			;;
		esac
	done < "$T/slow.out"
}

# free WHAT: the workers serve at once and no script is left.
free() {
	REQ_TIMEOUT=3 req /cgi-bin/do.py
	[ "$STATUS" = 200 ] || soft_fail "$1: afterwards a request got $STATUS within 3 s"
	wait_until 5 no_children || soft_fail "$1: scripts left running: $(children | tr '\n' ';')"
	sw_alive "$1"
}

# Two rounds of two held workers, each ended at handler_timeout, then up
# to 2 s reading what the web server still sends before the close (lest a
# reset lose the response), plus a margin.
LIMIT=$((2 * (TIMEOUT + 2) + 2))

step "nginx, fastcgi_request_buffering off: 4 clients dribbling a body, threads = 2"
NGINX_SERVER_EXTRA='fastcgi_request_buffering off;' nginx_start
attack nginx /cgi-bin/echo.sh "$LIMIT"
grep -q 'request body not received within' "$T/sessionwrap.log" ||
    soft_fail "nginx: no 'request body not received' in the log"
free nginx
kill "$NGINX_PID"

step "Apache mod_proxy_fcgi: the same"
apache_start
attack apache /cgi-bin/echo.sh "$LIMIT"
free apache

step "Apache mod_cgi, sessionwrap as CGI: each sessionwrap ends at handler_timeout"
# Apache runs one CGI per request and itself reads the client's body to its
# end (mod_reqtimeout is its defence): sessionwrap and its script must not
# wait with it. A byte every 8 s: each wait on stdin outlasts the limit.
python3 "$top_srcdir/tests/integration/slow_client.py" "$PORT" /cgi/echo.sh 4 \
    /cgi/do.py 12 8 > "$T/slow-cgi.out" 2>&1 &
cgi_client=$!
sleep 1
pgrep -f "$T/swcgi/sessionwrap" >/dev/null || soft_fail "apache-cgi: no CGI sessionwrap running 1 s in"
sleep $((TIMEOUT + 1))
cgi_left() { pgrep -f "$T/swcgi/sessionwrap|$DOCROOT/cgi/echo.sh"; }
[ -z "$(cgi_left)" ] ||
    soft_fail "apache-cgi: $((TIMEOUT + 2)) s in, still running: $(cgi_left | tr '\n' ' ')"
wait "$cgi_client"
sed "s/^/$TEST_NAME: apache-cgi: /" "$T/slow-cgi.out" >&2
grep -q '^normal [0-9.]* 200$' "$T/slow-cgi.out" || soft_fail "apache-cgi: the normal request failed"

step "kept FastCGI connection idle past handler_timeout: not cut"
# The read bound (SO_RCVTIMEO) is lifted after each request: a connection
# the web server keeps (fastcgi_keep_conn with a keepalive pool) may wait
# idle for its next request as long as it likes.
python3 "$top_srcdir/tests/integration/fcgi_keep.py" "$SW_SOCK" \
    "$SCRIPT_ROOT/echo.sh" $((TIMEOUT + 2)) > "$T/keep.out" 2>&1
sed "s/^/$TEST_NAME: /" "$T/keep.out" >&2
grep -q "^after .* idle: $(printf again | sha256sum | cut -d' ' -f1)$" "$T/keep.out" ||
    soft_fail "kept connection: the second request failed after $((TIMEOUT + 2)) s idle"

soft_done
pass
