#!/bin/sh
# The bin-path form of contrib/lighttpd.conf: lighttpd spawns sessionwrap with
# the listening socket on fd 0, sessions work, and stopping lighttpd stops it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
docroot_setup
sw_secret
sw_config
LIGHTTPD_FORM=binpath
lighttpd_start
JAR=$T/jar
: > "$JAR"

grep -q '^	".sh" => ((' "$T/lighttpd.conf" && grep -q '"bin-path" => "'"$SESSIONWRAP" "$T/lighttpd.conf" ||
    fail "the bin-path form was not enabled: $(grep -n 'bin-path\|socket' "$T/lighttpd.conf")"

step "counter through a lighttpd-spawned sessionwrap"
for i in 1 2 3; do
	req /cgi-bin/counter.sh
	expect_status 200 "counter $i"
	grep -q "^n=$i " "$T/out.b" || fail "counter request $i: expected n=$i, got: $(cat "$T/out.b")"
done

step "login and logout"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: erin')"
expect_status 200 "login"
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' erin SESSION_USER
expect_json 's.get("n")' 3 "data kept across login"
req "/cgi-bin/do.py?$(do_query 'X-Session-Logout: 1')"
set_cookie_of sessionwrap | grep -qi 'Max-Age=0' || fail "logout did not expire the cookie"

step "stopping lighttpd stops the sessionwrap it spawned"
pgrep -f "$SESSIONWRAP -c $T/sw.conf" >/dev/null || fail "no sessionwrap process spawned by lighttpd"
kill -TERM "$LIGHTTPD_PID"
wait "$LIGHTTPD_PID" 2>/dev/null
n=0
while pgrep -f "$SESSIONWRAP -c $T/sw.conf" >/dev/null; do
	n=$((n + 1))
	if [ $n -ge 50 ]; then
		ps -o pid,ppid,args -p "$(pgrep -d, -f "$SESSIONWRAP -c $T/sw.conf")" >&2
		for p in $(pgrep -f "$SESSIONWRAP -c $T/sw.conf"); do kill -KILL "$p"; done
		fail "sessionwrap outlived lighttpd by 5 s"
	fi
	sleep 0.1
done
pass
