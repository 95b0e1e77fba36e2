#!/bin/sh
# Keys and revocation on the server-side stores, through the real lighttpd +
# sessionwrap against real memcached and PostgreSQL:
#  - key rotation (new key first, old one second): a session in use moves to
#    the new key, so it survives when the old key is dropped, and its
#    SESSION_ID stays the same throughout (memcached, PostgreSQL, the cache);
#  - memcached with lock = none: a request that loaded a session before
#    another one replaced it (regenerate) saves without reviving the old id
#    past its grace;
#  - the cache tier: a revoke while memcached stalls for a moment still
#    invalidates the cached copy (no revoked session served from the cache),
#    and a revoke whose tombstones memcached never takes fails loudly.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl python3 memcached
need_sessionwrap
stores_init
docroot_setup
sw_secret "$T/key-old"
sw_secret "$T/key-new"
JAR=$T/jar

# restart KEYFILE...: sessionwrap again with these keys, in this order.
restart() {
	cat "$@" > "$T/secret"
	chmod 600 "$T/secret"
	sw_stop
	sw_start
	[ -n "$PORT" ] || lighttpd_start
}

# rotate NAME CONFIG...: the rotation story against one store.
rotate() {
	_name=$1
	shift
	step "$_name: a session in use survives a key rotation and the old key's drop"
	sw_config "$@"
	restart "$T/key-old"
	: > "$JAR"
	req "/cgi-bin/do.py?$(do_query "X-Session-Login: rot-$_name" 'X-Session-Set: k=1')"
	expect_status 200 "$_name: login"
	req /cgi-bin/do.py
	expect_json 'j["SESSION_USER"]' "rot-$_name" "$_name: logged in"
	id0=$(body_json 'j["SESSION_ID"]')
	c0=$(jar_cookie "$JAR" sessionwrap)

	restart "$T/key-new" "$T/key-old"
	req /cgi-bin/do.py
	expect_status 200 "$_name: after the rotation"
	expect_json 'j["SESSION_USER"]' "rot-$_name" "$_name: still logged in after the rotation"
	expect_json 'j["SESSION_ID"]' "$id0" "$_name: SESSION_ID changed with the rotation"
	c1=$(jar_cookie "$JAR" sessionwrap)
	[ "$c1" != "$c0" ] || fail "$_name: the session in use still holds the old key's cookie"
	req /cgi-bin/do.py
	expect_json 'j["SESSION_ID"]' "$id0" "$_name: SESSION_ID on the next request"

	restart "$T/key-new"
	req /cgi-bin/do.py
	expect_status 200 "$_name: after dropping the old key"
	expect_json 'j["SESSION_USER"]' "rot-$_name" "$_name: the session in use ended with the old key"
	expect_json 's["k"]' 1 "$_name: data kept"
	expect_json 'j["SESSION_ID"]' "$id0" "$_name: SESSION_ID changed when the old key went"
	sw_alive "$_name: rotation"
}

MC1=$(free_port)
mc_start 1 "$MC1"
rotate memcached store="memcached://127.0.0.1:$MC1"

step "memcached, lock = none: a late save does not revive a replaced id"
sw_config store="memcached://127.0.0.1:$MC1" lock=none regenerate_grace=5
restart "$T/key-new"
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: doomed')"
expect_status 200 "login"
old=$(jar_cookie "$JAR" sessionwrap)
# The slow request loads the session now and saves it a second later,
# well within the grace (a save past it finds the id gone: 503).
curl -sS --max-time 30 -o "$T/slow.out" -b "sessionwrap=$old" "$BASE/cgi-bin/slow.sh?1" &
_slow=$!
sleep 0.3
req "/cgi-bin/do.py?$(do_query 'X-Session-Regenerate: 1')"
expect_status 200 "regenerate"
new=$(jar_cookie "$JAR" sessionwrap)
[ "$new" != "$old" ] || fail "regenerate gave no new cookie"
wait "$_slow" || fail "the slow request failed"
grep -q late "$T/slow.out" || fail "slow request: $(cat "$T/slow.out")"
# Past the grace: the old id is over, whatever the late save wrote.
sleep 6
_jar=$JAR
JAR=
req /cgi-bin/do.py -b "sessionwrap=$old"
JAR=$_jar
expect_json 'j.get("SESSION_USER", "")' '' "the replaced id was revived by the late save"
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' doomed "the new id keeps the session"

pg_setup
rotate postgresql store="$PG_URI"

MC2=$(free_port)
mc_start 2 "$MC2"
rotate cache store="$PG_URI" cache="memcached://127.0.0.1:$MC2"

# login_cached USER: log a fresh session in and read it once from the cache.
login_cached() {
	: > "$JAR"
	req "/cgi-bin/do.py?$(do_query "X-Session-Login: $1")"
	expect_status 200 "login $1"
	req /cgi-bin/do.py
	expect_json 'j["SESSION_USER"]' "$1" "logged in as $1"
}

step "cache tier: revoke while memcached is out of reach for a moment"
sw_config store="$PG_URI" cache="memcached://127.0.0.1:$MC2"
restart "$T/key-new"
login_cached alice
# sessionwrap-ctl reaches memcached through a relay that comes up a second
# after the revoke started: its first tombstones are refused, not delayed.
relay=$(free_port)
SW_CONF=$T/ctl.conf sw_config store="$PG_URI" cache="memcached://127.0.0.1:$relay"
python3 - "$relay" "$MC2" <<'PY' &
import socket, sys, threading, time
time.sleep(1.0)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(8)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
ls.settimeout(20)
while True:
    try:
        c, _ = ls.accept()
    except OSError:
        break
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
_relay=$!
sw_track "$_relay"
"$SESSIONWRAP_CTL" -c "$T/ctl.conf" revoke --user alice > "$T/revoke.out" 2>&1
rc=$?
kill "$_relay" 2>/dev/null
wait "$_relay" 2>/dev/null
[ "$rc" = 0 ] || fail "revoke with memcached back within a second: exit $rc: $(cat "$T/revoke.out")"
grep -q '^1 session deleted' "$T/revoke.out" || fail "revoke: $(cat "$T/revoke.out")"
req /cgi-bin/do.py
expect_status 200 "after the revoke"
expect_json 'j.get("SESSION_USER", "")' '' "the revoked session was served from the cache"

step "cache tier: revoke whose tombstones memcached never takes fails loudly"
login_cached bob
# sessionwrap-ctl cut off from memcached (another address), the web server not.
dead=$(free_port)
SW_CONF=$T/ctl.conf sw_config store="$PG_URI" cache="memcached://127.0.0.1:$dead"
"$SESSIONWRAP_CTL" -c "$T/ctl.conf" revoke --user bob > "$T/revoke.out" 2> "$T/revoke.err"
rc=$?
[ "$rc" = 1 ] || fail "revoke without memcached: exit $rc, expected 1: $(cat "$T/revoke.out" "$T/revoke.err")"
grep -q '^1 session deleted' "$T/revoke.out" || fail "revoke without memcached: $(cat "$T/revoke.out")"
grep -q 'stay readable for up to 60 s' "$T/revoke.err" || fail "revoke without memcached says: $(cat "$T/revoke.err")"
sw_alive "after the revokes"
pass
