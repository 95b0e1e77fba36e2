#!/bin/sh
# The Redis store through lighttpd + sessionwrap, against a real redis-server
# on a private socket, then over TCP as an ACL user:
#  - counter, login (the pre-login cookie replayed is not logged in), logout
#    (the logged-in cookie replayed is a fresh session); keys are keyed
#    hashes and nothing stored holds the secret id;
#  - 100 concurrent writers of different keys all kept under lock = merge;
#  - 200 concurrent increments of one session exact under lock = exclusive;
#  - redis-server killed under load: 503s, no acknowledged increment lost;
#    restarted: served again without restarting sessionwrap;
#  - revoke --user of a user's sessions; the user index lives as long as its
#    longest session, gc drops what ended ones left in it; stats;
#  - an ACL user and password from the URI, a database number; a wrong
#    password: 503 and the password in no log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl python3 redis-server redis-cli
need_sessionwrap
stores_init
docroot_setup
sw_secret
JAR=$T/jar
CTL="$SESSIONWRAP_CTL -c $T/sw.conf"

# burst COUNT PATH: COUNT concurrent requests with the jar's cookie, all 200.
burst() {
	_cookie=$(jar_cookie "$JAR" sessionwrap)
	[ -n "$_cookie" ] || fail "no session cookie for the burst"
	burst_get "$1" "$BASE$2" -b "sessionwrap=$_cookie" ||
	    fail "burst $2: not all of $1 returned 200:$CODES"
}

# rcli ARGS: redis-cli on server 1's socket.
rcli() { redis-cli -s "$T/run/rd1.sock" "$@"; }

rd_start 1
URI="redis+unix://$T/run/rd1.sock?prefix=it:"

step "counter, login, logout, and the old cookies replayed"
sw_config store="$URI" lock=merge
sw_start --threads 8
lighttpd_start
: > "$JAR"
web_counter
web_login alice
inuser=$(jar_cookie "$JAR" sessionwrap)
web_logout
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$inuser"
expect_status 200 "the logged-out cookie replayed"
expect_json 'j.get("SESSION_USER", "")' '' "the logged-out cookie is still logged in"
expect_json 'j["SESSION_NEW"]' 1 "the logged-out cookie still loads its session"

step "what Redis holds: keyed hashes, no secret id"
req /cgi-bin/counter.sh
cookie=$(jar_cookie "$JAR" sessionwrap)
id=${cookie%%.*}
[ ${#id} -ge 20 ] || fail "cookie without an id: $cookie"
rcli --scan --pattern 'it:*' > "$T/keys"
[ -s "$T/keys" ] || fail "no session in Redis"
grep -v -E '^it:(u:)?[0-9a-f]{64}(:lock)?$' "$T/keys" && fail "a Redis key that is not a keyed hash"
for k in $(grep -E '^it:[0-9a-f]{64}$' "$T/keys"); do
	rcli hgetall "$k"
done > "$T/dump"
grep -q '"n"' "$T/dump" || fail "session data not in Redis: $(head -c 300 "$T/dump")"
grep -qF "$id" "$T/dump" "$T/keys" && fail "Redis holds the secret session id"

step "lock = merge: 100 concurrent writers of different keys"
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Set: seed=1')"
expect_status 200 "seed request"
burst 100 "/cgi-bin/do.py?$(do_query 'X-Session-Set: kNUM=1')"
req /cgi-bin/do.py
expect_json 'len([k for k in s if k.startswith("k")])' 100 "merge: keys kept"
expect_json 's["seed"]' 1 "merge: seed kept"

step "lock = exclusive: 200 concurrent increments"
sw_stop
sw_config store="$URI" lock=exclusive lock_timeout=60
sw_start --threads 8
: > "$JAR"
req /cgi-bin/counter.sh
burst 200 /cgi-bin/counter.sh
req /cgi-bin/counter.sh
grep -q '^n=202 ' "$T/out.b" || fail "exclusive: expected n=202, got $(cat "$T/out.b")"

step "redis-server killed under load: 503s, nothing acknowledged lost; then back"
sw_stop
sw_config store="$URI" lock=exclusive lock_timeout=5
sw_start --threads 8
: > "$JAR"
req /cgi-bin/counter.sh
grep -q '^n=1 ' "$T/out.b" || fail "before the kill: $(cat "$T/out.b")"
cookie=$(jar_cookie "$JAR" sessionwrap)
python3 - "$BASE/cgi-bin/counter.sh" "$cookie" "$T/load.late" "$T/load.stop" > "$T/load.out" <<'PY' &
import os, sys, threading, time, urllib.request, urllib.error
url, cookie, late_f, stop_f = sys.argv[1:5]
codes, late, lock = {}, {}, threading.Lock()
t0 = time.time()
def worker():
    # Until the test says stop (60 s at most).
    while not os.path.exists(stop_f) and time.time() < t0 + 60:
        was_late = os.path.exists(late_f)
        req = urllib.request.Request(url, headers={"Cookie": "sessionwrap=" + cookie})
        try:
            code = urllib.request.urlopen(req, timeout=20).status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception:
            code = 0
        with lock:
            codes[code] = codes.get(code, 0) + 1
            if was_late:
                late[code] = late.get(code, 0) + 1
ts = [threading.Thread(target=worker) for _ in range(6)]
for t in ts: t.start()
for t in ts: t.join()
print(" ".join("%d:%d" % kv for kv in sorted(codes.items())))
# Requests sent 1.5 s after redis-server answered again: all served.
print(" ".join("%d:%d" % kv for kv in sorted(late.items())))
PY
load=$!
sleep 1.5
kill -9 "$(cat "$T/run/rd1.pid")" || fail "killing redis-server"
sleep 1.5
sh -c "$(rd_cmd 1)" || fail "restarting redis-server"
# Its socket file outlived the kill: wait for the new server's answer.
_n=0
until [ "$(rcli ping 2>/dev/null)" = PONG ]; do
	_n=$((_n + 1))
	[ $_n -lt 200 ] || fail "redis-server did not come back"
	sleep 0.05
done
sleep 1.5
: > "$T/load.late"
sleep 1.5
: > "$T/load.stop"
wait "$load" || fail "load client failed"
log "load: $(head -n 1 "$T/load.out"); from 1.5 s after the restart: $(tail -n 1 "$T/load.out")"
late=$(tail -n 1 "$T/load.out")
case $late in
200:*' '*|'') fail "failures 1.5 s after the restart: $late" ;;
200:*) ;;
*) fail "nothing served 1.5 s after the restart: $late" ;;
esac
sed -i '2d' "$T/load.out"
ok=$(tr ' ' '\n' < "$T/load.out" | awk -F: '$1 == 200 { print $2 }')
bad=$(tr ' ' '\n' < "$T/load.out" | awk -F: '$1 == 503 { print $2 }')
other=$(tr ' ' '\n' < "$T/load.out" | awk -F: '$1 != 200 && $1 != 503 { n += $2 } END { print n + 0 }')
[ -n "$ok" ] && [ "$ok" -gt 0 ] || fail "no request served under load: $(cat "$T/load.out")"
[ -n "$bad" ] && [ "$bad" -gt 0 ] || fail "no 503 while redis-server was down: $(cat "$T/load.out")"
[ "$other" = 0 ] || fail "answers other than 200 and 503: $(cat "$T/load.out")"
_n=0
while :; do
	req /cgi-bin/counter.sh
	[ "$STATUS" = 200 ] && break
	_n=$((_n + 1))
	[ $_n -lt 100 ] || fail "still $STATUS after redis-server came back"
	sleep 0.1
done
sw_alive "after the redis-server kill"
got=$(sed -n 's/^n=\([0-9]*\) .*/\1/p' "$T/out.b")
# 1 before, each 200 one increment, this request one more; a request that
# failed after Redis took its write may have counted too (at most all 503s).
[ "$got" -ge $((ok + 2)) ] || fail "acknowledged increments lost: n=$got after $ok acknowledged"
[ "$got" -le $((ok + bad + 2)) ] || fail "more increments than requests: n=$got, $ok + $bad"
rcli --scan --pattern 'it:*:lock' > "$T/locks"
[ -s "$T/locks" ] && fail "locks left behind after the restart: $(cat "$T/locks")"

step "revoke --user: every session of the user, none of another's"
sw_stop
sw_config store="$URI" lock=merge
sw_start --threads 8
for j in 1 2 3; do
	JAR=$T/jar.bob$j
	: > "$JAR"
	req "/cgi-bin/do.py?$(do_query 'X-Session-Login: bob')"
	expect_status 200 "bob login $j"
done
JAR=$T/jar.carol
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: carol')"
$CTL revoke --user bob > "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
grep -q '^3 sessions deleted' "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
for j in 1 2 3; do
	JAR=$T/jar.bob$j
	req /cgi-bin/do.py
	expect_json 'j.get("SESSION_USER", "")' '' "bob's session $j after revoke"
done
JAR=$T/jar.carol
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' carol "carol after bob's revoke"
$CTL revoke --user bob > "$T/revoke.out" || fail "ctl revoke again"
grep -q '^0 sessions deleted' "$T/revoke.out" || fail "second revoke: $(cat "$T/revoke.out")"

step "the user index: it lives as long as its longest session; gc forgets ended ones"
# dave: one session ending in 2 s, one lasting; the index outlives the first.
for j in 1 2; do
	JAR=$T/jar.dave$j
	: > "$JAR"
done
JAR=$T/jar.dave1
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: dave' 'X-Session-Max-Age: 2')"
expect_status 200 "dave's short login"
JAR=$T/jar.dave2
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: dave')"
expect_status 200 "dave's long login"
for k in $(rcli --scan --pattern 'it:u:*'); do
	ttl=$(rcli ttl "$k")
	[ "$ttl" -gt 60 ] || fail "user index $k: TTL $ttl, not that of its longest session"
done
sleep 3
JAR=$T/jar.dave1
req /cgi-bin/do.py
expect_json 'j.get("SESSION_USER", "")' '' "dave's short session after its end"
$CTL gc > "$T/gc.out" || fail "ctl gc: $(cat "$T/gc.out")"
grep -q '^1 expired session deleted' "$T/gc.out" || fail "ctl gc: $(cat "$T/gc.out")"
$CTL gc > "$T/gc.out" || fail "ctl gc again"
grep -q '^0 expired sessions deleted' "$T/gc.out" || fail "second gc: $(cat "$T/gc.out")"
JAR=$T/jar.dave2
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' dave "dave's long session after gc"
$CTL revoke --user dave > "$T/revoke.out" || fail "ctl revoke dave"
grep -q '^1 session deleted' "$T/revoke.out" || fail "revoke after gc: $(cat "$T/revoke.out")"

step "stats"
$CTL stats > "$T/stats.out" || fail "ctl stats: $(cat "$T/stats.out")"
grep -q '^store redis$' "$T/stats.out" || fail "ctl stats: $(cat "$T/stats.out")"
grep -q " redis_version [0-9]" "$T/stats.out" || fail "ctl stats: $(cat "$T/stats.out")"
grep -q " keys [1-9]" "$T/stats.out" || fail "ctl stats: $(cat "$T/stats.out")"

step "TCP: ACL user and password from the URI, database 3"
RD2=$(free_port)
rd_start 2 "$RD2" "--user default off --user app on '>pw+Q%x' '~*' '&*' '+@all'"
sw_stop
sw_config store="redis://app:pw%2BQ%25x@127.0.0.1:$RD2/3"
sw_start --threads 2
JAR=$T/jar
: > "$JAR"
web_counter
n3=$(redis-cli -p "$RD2" --user app --pass 'pw+Q%x' --no-auth-warning -n 3 dbsize)
n0=$(redis-cli -p "$RD2" --user app --pass 'pw+Q%x' --no-auth-warning -n 0 dbsize)
[ "$n3" -ge 1 ] && [ "$n0" = 0 ] || fail "sessions not in database 3: db3=$n3 db0=$n0"

step "a wrong password: 503, and it is in no log"
sw_stop
sw_config store="redis://app:Wr0ngPassw0rd@127.0.0.1:$RD2/3"
sw_start --threads 2
req /cgi-bin/counter.sh
expect_status 503 "wrong password"
grep -q 'WRONGPASS\|invalid username-password' "$T/sessionwrap.log" ||
    fail "no log line naming the refusal: $(tail -n 5 "$T/sessionwrap.log")"
grep -rq 'Wr0ngPassw0rd' "$T"/*.log && fail "the password reached a log"

sw_stop
pass
