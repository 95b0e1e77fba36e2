#!/bin/sh
# Server stores under failure, through lighttpd + sessionwrap:
#  - PostgreSQL killed in the middle of a load of many sessions: 503s during
#    the outage, normal service after the restart, and every increment that
#    was acknowledged with a 200 is in the store;
#  - sessions spread over two memcached servers; stopping one loses only the
#    sessions it held, and the responder keeps serving everyone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

SESSIONS=${SW_SESSIONS:-24}

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
stores_init
docroot_setup
sw_secret
JAR=$T/jar

# counter_of COOKIE: the stored counter of a session (without changing it).
counter_of() {
	JAR= req "/cgi-bin/do.py" -H "Cookie: sessionwrap=$1"
	[ "$STATUS" = 200 ] || { echo "status-$STATUS"; return; }
	body_json 'str(s.get("n", "none")) + ("/new" if j["SESSION_NEW"] == "1" else "")'
}

step "PostgreSQL killed under load: 503s, then service, no acknowledged update lost"
pg_setup
sw_config store="$PG_URI" lock=exclusive lock_timeout=30 handler_timeout=30
sw_start --threads 8
lighttpd_start
new_sessions "$SESSIONS" "$T/cookies" /cgi-bin/counter.sh
rm -f "$T/stop"
BASE=$BASE COOKIES=$T/cookies STOP=$T/stop THREADS=12 \
    python3 "$top_srcdir/tests/integration/stores_load.py" > "$T/load.json" 2>"$T/load.err" &
LOAD=$!
sw_track "$LOAD"
sleep 2
sh -c "$PG_STOP" || fail "stopping PostgreSQL"
sleep 2
sh -c "$PG_START" || fail "restarting PostgreSQL"
sleep 3
touch "$T/stop"
wait "$LOAD" || fail "load driver: $(cat "$T/load.err")"
log "load: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"])' "$T/load.json")"
python3 - "$T/load.json" <<'PY' || fail "status codes during the outage"
import json, sys
codes = json.load(open(sys.argv[1]))["codes"]
ok, unavailable = codes.get("200", 0), codes.get("503", 0)
other = {k: v for k, v in codes.items() if k not in ("200", "503")}
if ok < 50 or unavailable < 1 or other:
    sys.exit("want many 200, some 503, nothing else: %r" % codes)
PY
grep -q "loading session\|saving session\|lock" "$T/sessionwrap.log" ||
    fail "no log line for the PostgreSQL outage"
# Each session: the stored counter is at least its highest acknowledged value
# and counts every acknowledged increment (1 + number of 200s; an increment
# whose answer was lost in the crash may add one more).
while read -r c; do
	echo "$c $(counter_of "$c")"
done < "$T/cookies" > "$T/final"
python3 - "$T/load.json" "$T/final" <<'PY' || fail "acknowledged updates lost"
import json, sys
load = json.load(open(sys.argv[1]))
bad = []
for line in open(sys.argv[2]):
    cookie, got = line.split()
    if not got.isdigit():
        bad.append("%s...: %s" % (cookie[:8], got))
        continue
    n = int(got)
    want = 1 + load["acked"][cookie]
    if n < want or n < load["high"][cookie]:
        bad.append("%s...: stored %d, acknowledged %d increments (highest n=%d)"
                   % (cookie[:8], n, want - 1, load["high"][cookie]))
if bad:
    sys.exit("\n".join(bad))
print("all %d sessions hold every acknowledged increment" % len(load["acked"]))
PY
sw_alive "after the PostgreSQL crash"
sw_stop

step "two memcached servers: sessions on both; one stops, only its share is lost"
MC1=$(free_port)
MC2=$(free_port)
mc_start 1 "$MC1"
mc_start 2 "$MC2"
sw_config store="memcached://127.0.0.1:$MC1,127.0.0.1:$MC2"
sw_start --threads 4
new_sessions "$SESSIONS" "$T/mc-cookies" /cgi-bin/counter.sh
items() {
	python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(b"stats\r\n")
data = b""
while not data.endswith(b"END\r\n"):
    data += s.recv(65536)
for line in data.decode().splitlines():
    if line.startswith("STAT curr_items "):
        print(line.split()[2])
PY
}
i1=$(items "$MC1")
i2=$(items "$MC2")
log "sessions per server: $i1 and $i2"
[ "${i1:-0}" -gt 0 ] && [ "${i2:-0}" -gt 0 ] || fail "sessions not spread over both servers ($i1, $i2)"
sh -c "$(mc_stop_cmd 1)" || fail "stopping memcached 1"
# The responder keeps answering: at most a few 503s while the dead server is
# detected, then every request 200, the survivors' sessions intact.
kept=0 lost=0
while read -r c; do
	_try=0
	while :; do
		got=$(counter_of "$c")
		case $got in status-503) ;; *) break ;; esac
		_try=$((_try + 1))
		[ $_try -lt 50 ] || fail "still 503 for a session after memcached 1 stopped"
		sleep 0.1
	done
	case $got in
	1) kept=$((kept + 1)) ;;
	none/new) lost=$((lost + 1)) ;;
	*) fail "session after memcached 1 stopped: $got" ;;
	esac
done < "$T/mc-cookies"
log "after stopping one server: $kept sessions kept, $lost lost"
[ $kept -gt 0 ] && [ $lost -gt 0 ] || fail "expected both kept and lost sessions ($kept, $lost)"
# The lost share is what memcached 1 held (its items included no other keys).
[ $lost -le "$i1" ] || fail "lost $lost sessions, more than memcached 1 held ($i1)"
: > "$JAR"
req /cgi-bin/counter.sh
expect_status 200 "new session with one memcached down"
req /cgi-bin/counter.sh
grep -q '^n=2 ' "$T/out.b" || fail "new session with one server down: $(cat "$T/out.b")"
sw_alive "with one memcached down"
pass
