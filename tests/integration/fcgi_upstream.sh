#!/bin/sh
# upstream = a FastCGI application that is not PHP, through lighttpd: a
# libfcgi C program (tests/fcgi_app) gets the session as params and sets it
# with X-Session-* headers, its Status and headers pass through, its stderr
# reaches the web server's log, a session over the 128 KiB a script's
# environment takes goes through, a body streams both ways, an app that
# dies mid-body cuts the response, and an app that is down is a 502. Then a
# broken or hostile app (fcgi_evil.py): garbage, bad and cut records,
# refusals, stray bytes after END_REQUEST, other requests' records, unknown
# types, huge records and stderr, an early END_REQUEST, a kept connection
# dropped under the next request (retried once on a fresh one), a hang (504 and
# FCGI_ABORT_REQUEST): sessionwrap answers each as it should and stays up.
# Last, more requests than upstream_connections wait for a free one, and
# give up with 504 at handler_timeout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl python3 memcached
need_sessionwrap
stores_init
# A server store: a session of 200 KB fits no cookie.
MC=$(free_port)
mc_start 1 "$MC"
APP="$top_builddir/tests/fcgi_app"
[ -x "$APP" ] || fail "tests/fcgi_app not built (make check builds it)"
docroot_setup
sw_secret

# app_start: the libfcgi app on $T/app.sock.
app_start() {
	rm -f "$T/app.sock"
	setsid $SW_PDEATH "$APP" "unix:$T/app.sock" >>"$T/app.log" 2>&1 </dev/null &
	APP_PID=$!
	sw_track "$APP_PID"
	wait_for_socket "$T/app.sock" 10 "$APP_PID"
}

app_start
sw_config upstream="unix:$T/app.sock" handler_timeout=3 max_header_size=1048576 \
    store="memcached://127.0.0.1:$MC"
sw_start
lighttpd_start
U=/cgi-bin/counter.sh

step "the session to the app and back"
JAR=$T/jar
: > "$JAR"
req "$U"
expect_status 200 "first"
grep -qx 'session={}' "$T/out.b" || fail "first: $(cat "$T/out.b")"
grep -qi '^x-session-' "$T/out.h" && fail "X-Session-* reached the client"
req "$U"
grep -qx 'session={"app":"c"}' "$T/out.b" || fail "second: $(cat "$T/out.b")"
c=$(jar_cookie "$JAR" sessionwrap)
req_nojar "$U" -H "Cookie: x=1; sessionwrap=$c; y=2"
grep -qx 'cookie=x=1; y=2' "$T/out.b" || fail "the cookie reached the app: $(cat "$T/out.b")"

step "Status, headers and stderr pass through"
req "$U?status"
expect_status 404 "status"
[ "$(header X-App)" = 1 ] || fail "the app's header was lost"
grep -qx 'not here' "$T/out.b" || fail "status body: $(cat "$T/out.b")"
req "$U?stderr"
expect_status 200 "stderr"
wait_until 5 grep -q 'fcgi_app: a line for the error log' "$T/lighttpd.log" ||
    fail "the app's stderr did not reach lighttpd's error log"

step "a session over what a script's environment takes"
req "$U?big"
expect_status 200 "big"
req "$U?len"
len=$(sed -n 's/^len=//p' "$T/out.b")
[ "${len:-0}" -gt 200000 ] || fail "SESSION of $len bytes after setting 200000"

step "a body both ways"
head -c 5000000 /dev/urandom > "$T/up.bin"
code=$(curl -sS --max-time 30 -o "$T/down.bin" -w '%{http_code}' \
    --data-binary "@$T/up.bin" "$BASE$U?echo") || code=000
[ "$code" = 200 ] && cmp -s "$T/up.bin" "$T/down.bin" ||
    fail "5 MB echo: status $code, $(wc -c < "$T/down.bin") bytes back"

step "the app dies mid-body: the response is cut"
curl --http1.1 -sS -o "$T/cut.b" --max-time 10 "$BASE$U?crash" 2>"$T/cut.err"
rc=$?
case $rc in
18|56) ;;
*) fail "crash: curl exit $rc ($(cat "$T/cut.err")), not a cut response" ;;
esac

step "the app down: 502; back: served"
wait "$APP_PID" 2>/dev/null
req "$U"
expect_status 502 "app down"
app_start
req "$U"
expect_status 200 "app back"
kill "$APP_PID"
sw_alive "libfcgi app"

step "a broken or hostile app"
sw_stop
rm -f "$T/evil.log"
setsid $SW_PDEATH python3 "$top_srcdir/tests/integration/fcgi_evil.py" "$T/evil.sock" "$T/evil.log" \
    >>"$T/evil.out" 2>&1 </dev/null &
sw_track $!
wait_for_socket "$T/evil.sock" 10
# Valgrind is slow: more time there.
HT=2
[ -z "$SW_VALGRIND" ] || HT=10
sw_config upstream="unix:$T/evil.sock" handler_timeout=$HT
sw_start
JAR=

# evil MODE STATUS [BODY]: the app's MODE answers STATUS (with BODY).
evil() {
	req "$U?$1"
	expect_status "$2" "$1"
	[ -z "$3" ] || [ "$(cat "$T/out.b")" = "$3" ] || fail "$1: body $(head -c 200 "$T/out.b")"
	sw_alive "$1"
}
for m in garbage badend overloaded unknownrole silentclose; do
	evil "$m" 502
done
evil ok 200 ok
evil stray 200 ok
for i in 1 2 3 4 5 6; do
	evil ok 200 ok
done
# A kept connection closed before its next request is read: retried once.
evil okdrop 200 ok
evil ok 200 ok
grep -q 'okdrop: dropped the next request' "$T/evil.log" ||
    fail "the next request did not go to the dropped connection"
evil otherid 200 ok
evil unknowntype 200 ok
evil stderrflood 200 ok
evil bigrecords 200
[ "$(wc -c < "$T/out.b")" = 196605 ] || fail "bigrecords: $(wc -c < "$T/out.b") bytes"
head -c 1000000 /dev/zero > "$T/zero.bin"
evil endearly 200 early
req "$U?endearly" --data-binary "@$T/zero.bin"
expect_status 200 "endearly with a body"
for m in midheader midrecord; do
	curl --http1.1 -sS -o /dev/null --max-time 10 "$BASE$U?$m" 2>"$T/cut.err"
	rc=$?
	case $rc in
	18|56) ;;
	*) fail "$m: curl exit $rc ($(cat "$T/cut.err")), not a cut response" ;;
	esac
done
t0=$(date +%s)
evil hang 504
[ $(($(date +%s) - t0)) -le $((HT + 2)) ] || fail "hang: the 504 took too long"
wait_until 3 grep -q 'hang: ABORT_REQUEST' "$T/evil.log" ||
    fail "no FCGI_ABORT_REQUEST after the timeout: $(cat "$T/evil.log" 2>/dev/null)"
burst_get 30 "$BASE$U?NUM" || fail "after the hostile modes:$CODES"
sw_alive "hostile app"

step "more requests than upstream_connections: they wait, within handler_timeout"
sw_stop
sw_config upstream="unix:$T/evil.sock" handler_timeout=$HT upstream_connections=2
sw_start --threads 8
t0=$(date +%s)
burst_get 16 "$BASE$U?slowNUM" || fail "16 requests over 2 connections:$CODES"
# 8 rounds of 0.2 s over two connections at the least.
[ $(($(date +%s) - t0)) -ge 1 ] || fail "16 slow requests went faster than 2 connections allow"
# Both connections busy (streaming, for longer than handler_timeout): the
# next request waits for one, then 504.
curl -sS -o /dev/null --max-time 30 "$BASE$U?trickle$((HT * 2 + 1))" &
busy1=$!
curl -sS -o /dev/null --max-time 30 "$BASE$U?trickle$((HT * 2 + 1))" &
busy2=$!
sleep 0.5
t0=$(date +%s)
req_nojar "$U?ok"
expect_status 504 "no free connection within handler_timeout"
[ $(($(date +%s) - t0)) -le $((HT + 2)) ] || fail "waiting for a connection took too long"
wait "$busy1" "$busy2"
req_nojar "$U?ok"
expect_status 200 "a connection free again"
sw_alive "connection limit"
pass
