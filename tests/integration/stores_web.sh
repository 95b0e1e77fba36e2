#!/bin/sh
# Server-side stores through the real lighttpd + sessionwrap: 200 concurrent
# requests of one session lose no update (lock = exclusive and lock = merge),
# sessionwrap-ctl administers the store (revoke --user also closes the
# user's websockets on sessionwrap-ws), and a store outage gives 503s, then
# normal service without losing what was acknowledged. Then all of it again
# with the cache tier (memcached in front of PostgreSQL), plus: reads served
# by memcached, memcached down, and a logout racing reads.
: "${SW_TEST_TIMEOUT:=480}"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

N=${SW_CONCURRENT:-200}

sw_setup
need_cmd lighttpd curl python3 redis-server
need_sessionwrap
stores_init
docroot_setup
sw_secret
JAR=$T/jar

# burst COUNT PATH: COUNT concurrent requests with the jar's cookie; fails
# unless every one returns 200.
burst() {
	_cookie=$(jar_cookie "$JAR" sessionwrap)
	[ -n "$_cookie" ] || fail "no session cookie for the burst"
	burst_get "$1" "$BASE$2" -b "sessionwrap=$_cookie" ||
	    fail "burst $2: not all of $1 returned 200:$CODES"
}

# with_store NAME URI: the whole suite against one store.
with_store() {
	NAME=$1
	URI=$2

	step "$NAME: lock = exclusive, $N concurrent increments"
	sw_stop
	# shellcheck disable=SC2086
	sw_config store="$URI" $CACHE_KV lock=exclusive lock_timeout=60
	sw_start --threads 8
	[ -n "$PORT" ] || lighttpd_start
	: > "$JAR"
	req /cgi-bin/counter.sh
	expect_status 200 "first counter request"
	grep -q '^n=1 ' "$T/out.b" || fail "first counter: $(cat "$T/out.b")"
	burst "$N" /cgi-bin/counter.sh
	req /cgi-bin/counter.sh
	grep -q "^n=$((N + 2)) " "$T/out.b" ||
	    fail "$NAME exclusive: expected n=$((N + 2)), got $(cat "$T/out.b")"

	step "$NAME: lock = merge, $N concurrent requests each setting its own key"
	sw_stop
	# shellcheck disable=SC2086
	sw_config store="$URI" $CACHE_KV lock=merge ws_control="$T/ws.ctl"
	sw_start --threads 8
	# sessionwrap-ws with the same store, for revoke --user.
	if [ -n "$WS_PID" ]; then
		kill "$WS_PID" 2>/dev/null
		wait "$WS_PID" 2>/dev/null
	fi
	ws_start
	: > "$JAR"
	req "/cgi-bin/do.py?$(do_query 'X-Session-Set: seed=1')"
	expect_status 200 "seed request"
	burst "$N" "/cgi-bin/do.py?$(do_query 'X-Session-Set: kNUM=1')"
	req /cgi-bin/do.py
	expect_json 'len([k for k in s if k.startswith("k")])' "$N" "$NAME merge: keys kept"
	expect_json 's["seed"]' 1 "$NAME merge: seed kept"

	step "$NAME: sessionwrap-ctl show, stats, revoke --user, gc"
	req "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice')"
	expect_status 200 "login"
	req /cgi-bin/do.py
	expect_json 'j["SESSION_USER"]' alice "$NAME: logged in"
	cookie=$(jar_cookie "$JAR" sessionwrap)
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" show "$cookie" > "$T/show.out" ||
	    fail "ctl show: $(cat "$T/show.out")"
	grep -q '"user": "alice"' "$T/show.out" || fail "ctl show: $(cat "$T/show.out")"
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" stats > "$T/stats.out" || fail "ctl stats"
	grep -q "^store $NAME" "$T/stats.out" || fail "ctl stats: $(cat "$T/stats.out")"
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" gc > "$T/gc.out" || fail "ctl gc: $(cat "$T/gc.out")"
	# A websocket of alice's session, open until revoke closes it.
	rm -f "$T/ws-open" "$T/ws-close"
	python3 - "$WS_SOCK" "$cookie" "$T" <<'PY' &
import os, struct, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "integration"))
import ws_client
sock, cookie, t = sys.argv[1:4]
c = ws_client.Raw("unix:" + sock, cookie="sessionwrap=" + cookie, timeout=20)
if c.status != 101:
    sys.exit("websocket refused: %d" % c.status)
open(os.path.join(t, "ws-open"), "w").close()
fin, op, payload = c.recv_frame()
code = struct.unpack("!H", payload[:2])[0] if op == ws_client.CLOSE else -1
open(os.path.join(t, "ws-close"), "w").write("%d %d\n" % (op, code))
PY
	wspy=$!
	# Opened, or the client gave up.
	wait_until 10 sh -c '[ -f "$1/ws-open" ] || ! kill -0 "$2" 2>/dev/null' - "$T" "$wspy"
	[ -f "$T/ws-open" ] || fail "$NAME: no websocket for alice's session"
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" revoke --user alice > "$T/revoke.out" ||
	    fail "ctl revoke: $(cat "$T/revoke.out")"
	grep -q '^1 session deleted' "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
	grep -q '^1 websocket closed' "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
	wait "$wspy" || fail "$NAME: websocket client failed"
	grep -qx '8 4001' "$T/ws-close" || fail "$NAME: revoked session's websocket got '$(cat "$T/ws-close")', not close 4001"
	req /cgi-bin/do.py
	expect_json 'j.get("SESSION_USER", "")' '' "$NAME: revoked session still logged in"
	expect_json 'j["SESSION_NEW"]' 1 "$NAME: revoked session still loads"

	step "$NAME: store outage: 503, then service again"
	: > "$JAR"
	req /cgi-bin/counter.sh
	req /cgi-bin/counter.sh
	grep -q '^n=2 ' "$T/out.b" || fail "before outage: $(cat "$T/out.b")"
	sh -c "$STOP" || fail "stopping $NAME"
	req /cgi-bin/counter.sh
	expect_status 503 "$NAME down"
	# The cache tier may serve the load from memcached: then the save fails.
	grep -q "loading session${CACHE_KV:+\\|saving session}" "$T/sessionwrap.log" ||
	    fail "no log line for the outage"
	sh -c "$START" || fail "restarting $NAME"
	_n=0
	while :; do
		req /cgi-bin/counter.sh
		[ "$STATUS" = 200 ] && break
		_n=$((_n + 1))
		[ $_n -lt 100 ] || fail "$NAME: still $STATUS after the restart"
		sleep 0.1
	done
	sw_alive "after the $NAME outage"
	# PostgreSQL kept n=2; a restarted memcached is empty.
	grep -q "^n=$KEPT " "$T/out.b" || fail "$NAME after the outage: expected n=$KEPT, got $(cat "$T/out.b")"
}

MC1=$(free_port)
mc_start 1 "$MC1"
STOP=$(mc_stop_cmd 1) START=$(mc_cmd 1 "$MC1") KEPT=1 \
    with_store memcached "memcached://127.0.0.1:$MC1"

# Redis killed outright: its append-only file keeps what it acknowledged.
rd_start 1
STOP="kill -9 \$(cat $T/run/rd1.pid)" START=$(rd_cmd 1) KEPT=3 \
    with_store redis "redis+unix://$T/run/rd1.sock"

pg_setup
STOP=$PG_STOP START=$PG_START KEPT=3 \
    with_store postgresql "$PG_URI"

# cache_hits: memcached's get_hits as sessionwrap-ctl stats reports it.
cache_hits() {
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" stats > "$T/stats.out" || fail "ctl stats"
	awk '$1 == "cache" && $3 == "get_hits" { print $4 }' "$T/stats.out"
}

# session_of FILE: "new user" of a do.py body saved in FILE.
session_of() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["SESSION_NEW"], j.get("SESSION_USER") or "-")' "$1" 2>/dev/null || echo "bad body"
}

MC2=$(free_port)
mc_start 2 "$MC2"
CACHE_KV="cache=memcached://127.0.0.1:$MC2"
STOP=$PG_STOP START=$PG_START KEPT=3 \
    with_store postgresql+memcached "$PG_URI"

step "cache tier: reads are served by memcached"
sw_stop
# One worker: its connection outlives PostgreSQL's outage below.
# shellcheck disable=SC2086
sw_config store="$PG_URI" $CACHE_KV
sw_start --threads 1
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Set: seen=1')"
expect_status 200 "first request"
h0=$(cache_hits)
[ -n "$h0" ] || fail "ctl stats shows no cache counters: $(cat "$T/stats.out")"
req /cgi-bin/do.py
expect_json 's["seen"]' 1 "read through the tier"
h1=$(cache_hits)
[ "$h1" = $((h0 + 1)) ] || fail "get_hits went from $h0 to $h1, expected one hit"

step "cache tier: PostgreSQL down: the copy is read, writes get 503"
sh -c "$PG_STOP" || fail "stopping PostgreSQL"
req /cgi-bin/do.py
expect_status 200 "read from memcached while PostgreSQL is down"
expect_json 's["seen"]' 1 "copy read while PostgreSQL is down"
req "/cgi-bin/do.py?$(do_query 'X-Session-Set: lost=1')"
expect_status 503 "write while PostgreSQL is down"
grep -q "saving session" "$T/sessionwrap.log" || fail "no log line for the failed save"
sh -c "$PG_START" || fail "restarting PostgreSQL"
_n=0
while :; do
	req /cgi-bin/do.py
	[ "$STATUS" = 200 ] && break
	_n=$((_n + 1))
	[ $_n -lt 100 ] || fail "still $STATUS after PostgreSQL came back"
	sleep 0.1
done
expect_json 's.get("lost", "absent")' absent "a write refused with 503 must not be in the store"
expect_json 's["seen"]' 1 "session kept across PostgreSQL's outage"

step "cache tier: a logout racing $N reads is never undone by a copy"
sw_stop
# shellcheck disable=SC2086
sw_config store="$PG_URI" $CACHE_KV lock=merge
sw_start --threads 8
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice')"
expect_status 200 "login"
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' alice "logged in"
cookie=$(jar_cookie "$JAR" sessionwrap)
mkdir -p "$T/race"
_i=0
: > "$T/urls"
while [ $_i -lt "$N" ]; do
	echo "url = \"$BASE/cgi-bin/do.py?r=$_i\"" >> "$T/urls"
	echo "output = $T/race/before.$_i" >> "$T/urls"
	_i=$((_i + 1))
done
curl -sS -Z --parallel-max 16 --max-time 60 -K "$T/urls" \
    -b "sessionwrap=$cookie" 2>"$T/curl.err" &
_burst=$!
sleep 0.2
req "/cgi-bin/do.py?$(do_query 'X-Session-Logout: 1')"
expect_status 200 "logout"
# Every request sent from now on finds the session gone.
sed "s/before\./after./" "$T/urls" > "$T/urls.after"
curl -sS -Z --parallel-max 16 --max-time 60 -K "$T/urls.after" \
    -b "sessionwrap=$cookie" 2>>"$T/curl.err" || fail "after-logout burst"
wait $_burst
_before=0
for f in "$T"/race/before.*; do
	[ "$(session_of "$f")" = "0 alice" ] && _before=$((_before + 1))
done
for f in "$T"/race/after.*; do
	_s=$(session_of "$f")
	[ "$_s" = "1 -" ] || fail "after the logout a request got session \"$_s\" ($f)"
done
log "logout race: $_before of $N reads found the session before the logout"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" show "$cookie" > "$T/show.out" 2>&1 &&
    fail "ctl show still finds the logged-out session"

step "cache tier: memcached down: PostgreSQL alone, no failed request"
: > "$JAR"
req /cgi-bin/counter.sh
req /cgi-bin/counter.sh
grep -q '^n=2 ' "$T/out.b" || fail "before the memcached outage: $(cat "$T/out.b")"
sh -c "$(mc_stop_cmd 2)" || fail "stopping memcached"
burst "$N" "/cgi-bin/do.py?$(do_query 'X-Session-Set: dNUM=1')"
req /cgi-bin/counter.sh
expect_status 200 "counter with memcached down"
grep -q '^n=3 ' "$T/out.b" || fail "memcached down: expected n=3, got $(cat "$T/out.b")"
req /cgi-bin/do.py
expect_json 'len([k for k in s if k.startswith("d")])' "$N" "memcached down: merge keys kept"
req "/cgi-bin/do.py?$(do_query 'X-Session-Logout: 1')"
expect_status 200 "logout with memcached down"
req /cgi-bin/counter.sh
grep -q '^n=1 ' "$T/out.b" || fail "after a logout with memcached down: $(cat "$T/out.b")"
$(mc_cmd 2 "$MC2") || fail "restarting memcached"
wait_for_port "$MC2" 10
req /cgi-bin/counter.sh
expect_status 200 "counter after memcached returned"
grep -q '^n=2 ' "$T/out.b" || fail "after memcached returned: $(cat "$T/out.b")"
# libmemcached retries a failed server after a second.
sleep 1.5
req /cgi-bin/counter.sh
grep -q '^n=3 ' "$T/out.b" || fail "after memcached returned: $(cat "$T/out.b")"
_w=$(grep -c "cache unavailable" "$T/sessionwrap.log")
[ "$_w" = 1 ] || fail "memcached outage logged $_w times, expected once"
grep -q "cache answering again" "$T/sessionwrap.log" ||
    fail "no log line when memcached came back"
sw_alive "after the memcached outage"

pass
