#!/bin/sh
# examples/demo.sh --php serves examples/counter.php under php-fpm behind a
# second sessionwrap (upstream), sharing the sessions with the shell
# examples: the index links it, it counts, logs in and out, and PHP holds no
# session cookie.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || skip "php-fpm not installed"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
BUILD_DIR=$top_builddir setsid $SW_PDEATH sh "$top_srcdir/examples/demo.sh" --no-install --php --port "$PORT" \
    > "$T/demo.log" 2>&1 </dev/null &
DEMO_PID=$!
sw_track "$DEMO_PID"
wait_for_port "$PORT" 30 "$DEMO_PID"
wait_until 5 grep -q "open  $BASE/" "$T/demo.log" || fail "demo did not print its URL: $(tail -n 5 "$T/demo.log")"
JAR=$T/jar
: > "$JAR"

step "index links counter.php"
req /
expect_status 200 "index"
grep -q 'href="counter.php"' "$T/out.b" || fail "index.html does not link counter.php"

step "counter.php counts, logs in and out"
for i in 1 2 3; do
	req /counter.php
	expect_status 200 "counter.php $i"
	grep -q "Visit number $i<" "$T/out.b" || fail "counter.php $i: $(grep h1 "$T/out.b")"
done
grep -q 'holds\s*0 cookie' "$T/out.b" || grep -q '^0 cookie' "$T/out.b" ||
    fail "PHP saw cookies: $(grep -A1 holds "$T/out.b")"
req /counter.php --data 'user=alice'
expect_status 303 "login"
req /counter.php
grep -q 'logged in as <b>alice</b>' "$T/out.b" || fail "not logged in: $(grep 'logged' "$T/out.b")"
grep -q "Visit number 4<" "$T/out.b" || fail "count lost at login: $(grep h1 "$T/out.b")"
req /counter.sh
expect_status 200 "the shell counter beside"
req /counter.php --data 'logout=1'
expect_status 303 "logout"
req /counter.php
grep -q 'not logged in' "$T/out.b" && grep -q "Visit number 1<" "$T/out.b" ||
    fail "after logout: $(grep -e h1 -e logged "$T/out.b")"

step "the demo stops cleanly"
kill -TERM "$DEMO_PID"
wait_until 10 sh -c "! kill -0 $DEMO_PID 2>/dev/null" || fail "demo did not stop"
pass
