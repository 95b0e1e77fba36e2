#!/bin/sh
# Server-side stores through the real lighttpd + sessionwrap: 200 concurrent
# requests of one session lose no update (lock = exclusive and lock = merge),
# sessionwrap-ctl administers the store, and a store outage gives 503s, then
# normal service without losing what was acknowledged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

N=${SW_CONCURRENT:-200}

sw_setup
need_cmd lighttpd curl python3
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
	_i=0
	: > "$T/urls"
	while [ $_i -lt "$1" ]; do
		echo "url = \"$BASE$(echo "$2" | sed "s/NUM/$_i/g")\"" >> "$T/urls"
		echo "output = /dev/null" >> "$T/urls"
		_i=$((_i + 1))
	done
	curl -sS -Z --parallel-max 64 --max-time 60 -K "$T/urls" \
	    -b "sessionwrap=$_cookie" -w '%{http_code}\n' > "$T/codes" 2>"$T/curl.err"
	_ok=$(grep -c '^200$' "$T/codes")
	[ "$_ok" = "$1" ] || fail "burst $2: $_ok of $1 returned 200 ($(sort "$T/codes" | uniq -c | tr '\n' ' '))"
}

# with_store NAME URI: the whole suite against one store.
with_store() {
	NAME=$1
	URI=$2

	step "$NAME: lock = exclusive, $N concurrent increments"
	sw_stop
	sw_config store="$URI" lock=exclusive lock_timeout=60
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
	sw_config store="$URI" lock=merge
	sw_start --threads 8
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
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" revoke --user alice > "$T/revoke.out" ||
	    fail "ctl revoke: $(cat "$T/revoke.out")"
	grep -q '^1 session deleted' "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
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
	grep -q "loading session" "$T/sessionwrap.log" || fail "no log line for the outage"
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

pg_setup
STOP=$PG_STOP START=$PG_START KEPT=3 \
    with_store postgresql "$PG_URI"

pass
