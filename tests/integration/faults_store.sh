#!/bin/sh
# Store faults through lighttpd + sessionwrap, for memcached and PostgreSQL:
#  - store down when sessionwrap starts: it starts, answers 503 (Retry-After)
#    to what needs the store and 200 to what does not, then serves once the
#    store is up;
#  - store killed while a script runs: 503, nothing of that request stored;
#  - after the store restarted, connections that died with it are re-made
#    without failing a request;
#  - lock = exclusive: a request waiting behind a long one gets 503 and
#    Retry-After after lock_timeout, and changes nothing;
#  - store frozen (SIGSTOP): 503 within a bound, service again after SIGCONT.
# Every check runs; the test fails at the end with the list of failed ones.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

THREADS=4
# Seconds after a store came back before no request may fail: above the
# retry pause of a worker that saw the outage (PostgreSQL back-off after one
# failure: 0.2 s; memcached: retry 1 s, dead timeout 2 s).
SETTLE=3

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
stores_init
docroot_setup
sw_secret
JAR=$T/jar

# now_ms: monotonic enough for elapsed times here.
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# burst: 16 concurrent requests of new sessions (no lock involved), enough
# for every worker to use its store connection. 0 when all answered 200;
# $CODES summarises the answers.
burst() { burst_get 16 "$BASE/cgi-bin/fault.sh?slow&s=0.3&k=warm&v=NUM"; }

# warm: a burst whose errors do not matter (workers left in a retry state).
warm() { burst || log "warm-up burst:$CODES"; }

# wait_pidfile NAME: wait until fault.sh in mode NAME recorded its pid.
wait_pidfile() {
	_n=0
	while [ ! -s "$T/state/fault-$1.pid" ]; do
		_n=$((_n + 1))
		[ $_n -lt 150 ] || fail "fault.sh $1 did not start"
		sleep 0.1
	done
}

# store_pids: the processes of the store under test (to freeze them).
store_pids() {
	if [ "$NAME" = memcached ]; then
		cat "$T/run/mc1.pid"
	else
		_pm=$(head -n 1 "$PG_DATA/postmaster.pid")
		echo "$_pm" $(ps --ppid "$_pm" -o pid=)
	fi
}

# pg_row: "data|version" of the session with public id $1 (PostgreSQL only).
pg_row() {
	$PSQL -d postgres -At -c "SELECT data::text || '|' || version FROM sessionwrap_sessions WHERE public_id = '$1'"
}

# with_store NAME URI: the faults against one store; the store is stopped
# on entry and START / STOP are shell commands.
with_store() {
	NAME=$1
	URI=$2

	step "$NAME: down when sessionwrap starts"
	sw_stop
	sw_config store="$URI" lock=merge handler_timeout=10 lock_timeout=2
	sw_start --threads "$THREADS"
	[ -n "$PORT" ] || lighttpd_start
	sw_alive "$NAME down at start"
	: > "$JAR"
	req /cgi-bin/do.py
	[ "$STATUS" = 200 ] || soft_fail "$NAME down: a request that needs no store answered $STATUS"
	req /cgi-bin/counter.sh
	if [ "$STATUS" != 503 ]; then
		soft_fail "$NAME down: a request saving a session answered $STATUS, not 503"
	elif [ -z "$(header Retry-After)" ]; then
		soft_fail "$NAME down: 503 without Retry-After"
	fi
	sw_alive "$NAME down, after requests"
	sh -c "$START" || fail "starting $NAME"
	until_200 15 req /cgi-bin/counter.sh || soft_fail "$NAME up: still $STATUS 15 s after it started"
	grep -q '^n=1 ' "$T/out.b" || soft_fail "$NAME up: first counter: $(cat "$T/out.b")"
	req /cgi-bin/counter.sh
	grep -q '^n=2 ' "$T/out.b" || soft_fail "$NAME up: second counter: $(cat "$T/out.b")"
	sleep "$SETTLE"
	if ! burst; then
		soft_fail "$NAME up: $SETTLE s later, 16 concurrent requests answered$CODES"
		grep -E 'loading session|saving session' "$T/sessionwrap.log" | tail -n 3 >&2
	fi

	step "$NAME: killed while a script runs: 503, nothing stored"
	warm
	req /cgi-bin/do.py
	pub=$(body_json 'j["SESSION_ID"]')
	n_before=$(body_json 's.get("n")')
	[ "$NAME" = postgresql ] && row_before=$(pg_row "$pub")
	rm -f "$T/state/fault-slow.pid"
	curl -sS -b "$JAR" -o "$T/slow.b" -D "$T/slow.h" -w '%{http_code}' --max-time 30 \
	    "$BASE/cgi-bin/fault.sh?slow&s=2&k=mid&v=1" > "$T/slow.code" 2>&1 &
	cpid=$!
	wait_pidfile slow
	sleep 0.5
	sh -c "$STOP" || fail "stopping $NAME"
	wait "$cpid"
	code=$(cat "$T/slow.code")
	[ "$code" = 503 ] || soft_fail "$NAME killed mid-request: answered '$code', not 503"
	tr -d '\r' < "$T/slow.h" | grep -qi '^Retry-After:' || soft_fail "$NAME killed mid-request: no Retry-After"
	grep -q 'mid=1' "$T/slow.b" && soft_fail "$NAME killed mid-request: the script's body was delivered"
	sh -c "$START" || fail "restarting $NAME"

	step "$NAME: after the restart, connections that died with it are re-made without an error"
	# No request in between: the other workers still hold connections to
	# the old server. Past the retry pause of the worker that saw the outage.
	sleep "$SETTLE"
	if ! burst; then
		soft_fail "$NAME restarted: $SETTLE s later, 16 concurrent requests answered$CODES"
		grep -E 'loading session|saving session' "$T/sessionwrap.log" | tail -n 3 >&2
	fi
	until_200 15 req /cgi-bin/do.py || soft_fail "$NAME restarted: still $STATUS after 15 s"
	expect_json '"mid" in s' false "$NAME: the change of the failed request was stored"
	if [ "$NAME" = postgresql ]; then
		expect_json 's.get("n")' "$n_before" "$NAME: session after the failed request"
		row_after=$(pg_row "$pub")
		[ "$row_after" = "$row_before" ] ||
		    soft_fail "$NAME: row changed by the failed request: '$row_before' -> '$row_after'"
	fi
	sw_alive "$NAME killed mid-request"

	step "$NAME: lock = exclusive, a waiter gets 503 + Retry-After after lock_timeout"
	sw_stop
	sw_config store="$URI" lock=exclusive lock_timeout=1 handler_timeout=10
	sw_start --threads "$THREADS"
	: > "$JAR"
	until_200 10 req /cgi-bin/counter.sh || soft_fail "$NAME exclusive: counter answered $STATUS"
	rm -f "$T/state/fault-slow.pid"
	curl -sS -b "$JAR" -o "$T/slow.b" -w '%{http_code}' --max-time 30 \
	    "$BASE/cgi-bin/fault.sh?slow&s=6&k=a&v=1" > "$T/slow.code" 2>&1 &
	cpid=$!
	wait_pidfile slow
	t0=$(now_ms)
	req "/cgi-bin/do.py?$(do_query 'X-Session-Set: b=1')"
	el=$(( $(now_ms) - t0 ))
	if [ "$STATUS" != 503 ]; then
		soft_fail "$NAME exclusive: the waiter answered $STATUS, not 503"
	else
		[ -n "$(header Retry-After)" ] || soft_fail "$NAME exclusive: 503 without Retry-After"
		# Gave up after lock_timeout, long before the holder (6 s) let go:
		# the margin is for ASan and valgrind on a loaded machine.
		[ "$el" -ge 800 ] && [ "$el" -le 5000 ] ||
		    soft_fail "$NAME exclusive: 503 after $el ms with lock_timeout = 1"
	fi
	wait "$cpid"
	[ "$(cat "$T/slow.code")" = 200 ] || soft_fail "$NAME exclusive: the lock holder answered $(cat "$T/slow.code")"
	req /cgi-bin/do.py
	expect_json '[s.get("n"), s.get("a"), "b" in s]' '["1","1",false]' "$NAME exclusive: session after the lock timeout"

	step "$NAME: frozen (SIGSTOP): 503 within 15 s, then service"
	warm
	pids=$(store_pids)
	kill -STOP $pids
	t0=$(now_ms)
	REQ_TIMEOUT=20 req /cgi-bin/counter.sh
	el=$(( $(now_ms) - t0 ))
	kill -CONT $pids
	if [ "$STATUS" != 503 ] || [ "$el" -gt 15000 ]; then
		soft_fail "$NAME frozen: answered $STATUS after $el ms (want 503 within 15 s)"
	fi
	sleep "$SETTLE"
	until_200 15 req /cgi-bin/counter.sh || soft_fail "$NAME thawed: still $STATUS after 15 s"
	sw_alive "$NAME frozen"
}

MC1=$(free_port)
need_cmd memcached
START=$(mc_cmd 1 "$MC1")
STOP=$(mc_stop_cmd 1)
with_store memcached "memcached://127.0.0.1:$MC1"

pg_setup
sh -c "$PG_STOP" || fail "stopping PostgreSQL"
START=$PG_START STOP=$PG_STOP with_store postgresql "$PG_URI"

sw_stop
soft_done
pass
