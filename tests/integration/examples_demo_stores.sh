#!/bin/sh
# examples/demo.sh --store memcached and --store postgresql: the demo starts
# its own memcached / PostgreSQL, the sessions really live there
# (sessionwrap-ctl stats), and the live page works as with cookies
# (demo_live.py: login, counter, socket closed by logout).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
[ -x "$top_builddir/src/sessionwrap-ws" ] || skip "sessionwrap-ws not built"

# demo STORE: run the demo with --store STORE, check it, stop it.
demo() {
	step "demo --store $1"
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT"
	: > "$T/demo-$1.log"
	BUILD_DIR=$top_builddir setsid $SW_PDEATH sh "$top_srcdir/examples/demo.sh" --no-install \
	    --store "$1" --port "$PORT" > "$T/demo-$1.log" 2>&1 </dev/null &
	DEMO_PID=$!
	sw_track "$DEMO_PID"
	n=0
	until grep -q "open  $BASE/" "$T/demo-$1.log"; do
		if ! kill -0 "$DEMO_PID" 2>/dev/null; then
			grep -q 'this build cannot use' "$T/demo-$1.log" &&
			    skip "this build has no $1 store"
			grep -q 'not installed' "$T/demo-$1.log" && skip "$(grep 'not installed' "$T/demo-$1.log")"
			fail "demo --store $1 stopped: $(tail -n 20 "$T/demo-$1.log")"
		fi
		n=$((n + 1))
		[ $n -lt 600 ] || fail "demo --store $1 did not print its URL in 60 s"
		sleep 0.1
	done
	wait_for_port "$PORT" 10 "$DEMO_PID"
	dt=$(sed -n 's|^==> \(.*\)/sessionwrap.log <==$|\1|p' "$T/demo-$1.log" | head -n 1)
	[ -n "$dt" ] && [ -f "$dt/sw.conf" ] || fail "cannot find the demo's configuration"
	grep -q "^store = $1" "$dt/sw.conf" || fail "the demo's store is not $1: $(grep '^store' "$dt/sw.conf")"
	BASE=$BASE python3 "$top_srcdir/tests/integration/demo_live.py" "user-$1" ||
	    fail "demo_live.py with --store $1 failed"
	# A session of the live test's user is on the server (the logout
	# deleted its own; log in once more and look).
	JAR=$T/jar-$1
	: > "$JAR"
	req /login.py -d "action=login&user=zoe&password=demo"
	expect_status 303 "login"
	"$SESSIONWRAP_CTL" -c "$dt/sw.conf" stats > "$T/stats" 2>&1 ||
	    fail "sessionwrap-ctl stats on the demo's store: $(cat "$T/stats")"
	grep -q "^store $1" "$T/stats" || fail "stats: $(cat "$T/stats")"
	log "$(tr '\n' ' ' < "$T/stats")"
	kill -TERM "$DEMO_PID"
	n=0
	while kill -0 "$DEMO_PID" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 150 ] || fail "demo --store $1 still running 15 s after TERM"
		sleep 0.1
	done
	[ ! -d "$dt" ] || fail "demo --store $1 left $dt behind"
}

demo memcached
demo postgresql
pass
