#!/bin/sh
# THE demo command (examples/demo.sh) serves the examples: counter, note
# (session.sh helper), login.py and the live page (sessionwrap-ws behind
# lighttpd, closed by logout) work through it, and it cleans up on TERM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
BUILD_DIR=$top_builddir setsid $SW_PDEATH sh "$top_srcdir/examples/demo.sh" --no-install --port "$PORT" \
    > "$T/demo.log" 2>&1 </dev/null &
DEMO_PID=$!
sw_track "$DEMO_PID"
wait_for_port "$PORT" 20 "$DEMO_PID"
n=0
until grep -q "open  $BASE/" "$T/demo.log"; do
	n=$((n + 1))
	[ $n -lt 50 ] || fail "demo did not print its URL"
	sleep 0.1
done
sleep 0.5
demo_tmp=$(sed -n 's|^==> \(.*\)/sessionwrap.log <==$|\1|p' "$T/demo.log" | head -n 1)

JAR=$T/jar
: > "$JAR"

step "index links the examples"
req /
expect_status 200 "index"
for f in counter.sh note.sh login.py live.sh; do
	grep -q "href=\"$f\"" "$T/out.b" || fail "index.html does not link $f"
done

step "counter.sh counts and resets"
for i in 1 2 3; do
	req /counter.sh
	expect_status 200 "counter $i"
	grep -q "Visit number $i<" "$T/out.b" || fail "counter $i: $(grep h1 "$T/out.b")"
done
req '/counter.sh?reset'
expect_status 303 "counter reset"
req /counter.sh
grep -q "Visit number 1<" "$T/out.b" || fail "counter after reset: $(grep h1 "$T/out.b")"

step "note.sh keeps an escaped note through session.sh"
req /note.sh --data-urlencode 'note=hello <b>&</b> world'
expect_status 303 "note POST"
req /note.sh
grep -q 'hello &lt;b&gt;&amp;&lt;/b&gt; world' "$T/out.b" || fail "note not kept or not escaped: $(grep -A1 '<h1>' "$T/out.b")"
req /counter.sh
grep -q "Visit number 2<" "$T/out.b" || fail "counter lost after note: $(grep h1 "$T/out.b")"

step "session.sh is never run, demo.sh is not served"
req /session.sh
[ "$STATUS" = 403 ] || [ "$STATUS" = 404 ] || fail "session.sh answered $STATUS"
req /demo.sh
expect_status 404 "demo.sh in the docroot"

step "login.py: wrong password, login, logout"
req /login.py -d 'action=login&user=eve&password=nope'
expect_status 200 "wrong password"
grep -q 'Wrong user name or password' "$T/out.b" || fail "no error for a wrong password"
before=$(jar_cookie "$JAR" sessionwrap)
req /login.py -d 'action=login&user=alice&password=demo'
expect_status 303 "login"
[ "$(jar_cookie "$JAR" sessionwrap)" != "$before" ] || fail "login kept the cookie value"
req /login.py
grep -q 'Logged in as <b[^>]*>alice</b>' "$T/out.b" || fail "not logged in after login"
req /login.py -d 'action=logout'
expect_status 303 "logout"
set_cookie_of sessionwrap | grep -qi 'Max-Age=0' || fail "logout did not expire the cookie"
req /login.py
grep -q 'Log in' "$T/out.b" || fail "still logged in after logout"

step "live page: login?next=, counter with user, socket closed by logout (demo_live.py)"
if [ -x "$top_builddir/src/sessionwrap-ws" ]; then
	BASE=$BASE python3 "$top_srcdir/tests/integration/demo_live.py" bob || fail "demo_live.py failed"
elif [ "${CI:-}" = true ]; then
	fail "sessionwrap-ws not built under CI: the live page cannot work"
else
	log "sessionwrap-ws not built: live page not checked"
fi

step "TERM stops the demo and removes its files"
kill -TERM "$DEMO_PID"
n=0
while kill -0 "$DEMO_PID" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "demo still running 10 s after TERM"
	sleep 0.1
done
! port_open "$PORT" || fail "port $PORT still open after the demo stopped"
[ -z "$demo_tmp" ] || [ ! -d "$demo_tmp" ] || fail "demo left $demo_tmp behind"
pass
