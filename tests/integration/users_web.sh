#!/bin/sh
# Per-user session control through the real lighttpd + sessionwrap, against
# memcached, PostgreSQL, the cache tier and Redis: a login records its client
# (address, user agent); sessionwrap-ctl sessions --user lists them, revoke
# ID ends exactly one and closes its websocket, max_sessions_per_user ends
# the oldest. Neither a client's User-Agent (tabs, escapes, bytes that are
# no UTF-8, a line break through CGI) nor a script can spoof the fields or
# break the listing's lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl python3 redis-server redis-cli
need_sessionwrap
stores_init
docroot_setup
sw_secret
CTL="$SESSIONWRAP_CTL -c $T/sw.conf"
# A User-Agent with a tab, a C1 CSI (a terminal escape) and a byte that is
# no UTF-8 (lighttpd refuses ESC and DEL: the CGI step sends those).
EVIL_UA=$(printf 'Evil\tcol\302\233[2J\377')
EVIL_CLEAN='Evil?col?[2J?'
SPOOF='X-Session-Patch: {"_sessionwrap":{"addr":"6.6.6.6","ua":"spoof"}}'

# as CLIENT PATH [curl args]: a request with client CLIENT's jar, address
# (127.0.0.N) and User-Agent ($UA_N, default "Client/N").
as() {
	_c=$1
	_p=$2
	shift 2
	eval "_ua=\${UA_$_c:-Client/$_c}"
	JAR=$T/jar.$_c req "$_p" --interface "127.0.0.$_c" -A "$_ua" "$@"
}

# user_of CLIENT: SESSION_USER of client CLIENT's session ("" when anonymous).
user_of() {
	as "$1" /cgi-bin/do.py
	expect_status 200 "request of client $1"
	body_json 'j.get("SESSION_USER", "")'
}

# sessions: sessionwrap-ctl sessions --user alice into $T/list (and --json
# into $T/list.json); fails unless every line has exactly five fields.
sessions() {
	$CTL sessions --user alice > "$T/list" 2> "$T/list.err" ||
	    fail "ctl sessions: $(cat "$T/list.err")"
	$CTL sessions --user alice --json > "$T/list.json" ||
	    fail "ctl sessions --json"
	awk -F '\t' 'NF != 5 { bad = 1 } END { exit bad }' "$T/list" ||
	    fail "ctl sessions: a line without five fields: $(cat -A "$T/list")"
}

# line_of ADDR: the listing's line of the session logged in from ADDR.
line_of() {
	awk -F '\t' -v a="$1" '$4 == a' "$T/list"
}

# ws_open CLIENT: a websocket of client CLIENT's session in the background
# (WSPY); $T/ws-close.CLIENT gets "opcode code" when it is closed.
ws_open() {
	rm -f "$T/ws-open.$1" "$T/ws-close.$1"
	python3 - "$WS_SOCK" "$(jar_cookie "$T/jar.$1" sessionwrap)" "$T" "$1" <<'PY' &
import os, struct, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "integration"))
import ws_client
sock, cookie, t, c = sys.argv[1:5]
ws = ws_client.Raw("unix:" + sock, cookie="sessionwrap=" + cookie, timeout=20)
if ws.status != 101:
    sys.exit("websocket refused: %d" % ws.status)
open(os.path.join(t, "ws-open." + c), "w").close()
fin, op, payload = ws.recv_frame()
code = struct.unpack("!H", payload[:2])[0] if op == ws_client.CLOSE else -1
open(os.path.join(t, "ws-close." + c), "w").write("%d %d\n" % (op, code))
PY
	WSPY=$!
	wait_until 10 sh -c '[ -f "$1" ] || ! kill -0 "$2" 2>/dev/null' - "$T/ws-open.$1" "$WSPY"
	[ -f "$T/ws-open.$1" ] || fail "$NAME: no websocket for client $1"
}

# ws_closed CLIENT: the websocket of ws_open CLIENT got close code 4001.
ws_closed() {
	wait "$WSPY" || fail "$NAME: websocket client $1 failed"
	grep -qx '8 4001' "$T/ws-close.$1" ||
	    fail "$NAME: client $1's websocket got '$(cat "$T/ws-close.$1")', not close 4001"
}

# start [key=value]...: sessionwrap and sessionwrap-ws on the store.
start() {
	sw_stop
	if [ -n "$WS_PID" ]; then
		kill "$WS_PID" 2>/dev/null
		wait "$WS_PID" 2>/dev/null
		WS_PID=
	fi
	# shellcheck disable=SC2086
	sw_config store="$URI" $CACHE_KV ws_control="$T/ws.ctl" "$@"
	sw_start --threads 4
	ws_start
	[ -n "$PORT" ] || lighttpd_start
}

# with_store NAME URI: the whole suite against one store.
with_store() {
	NAME=$1
	URI=$2
	rm -f "$T"/jar.*
	start

	step "$NAME: alice logs in from two clients; sessions lists both"
	as 1 "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice')"
	expect_status 200 "login 1"
	UA_2=$EVIL_UA as 2 "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice' "$SPOOF")"
	expect_status 200 "login 2"
	# The script's later requests see no record, and cannot make one.
	UA_2=$EVIL_UA as 2 "/cgi-bin/do.py?$(do_query "$SPOOF")"
	expect_json 's' '{}' "$NAME: \$SESSION of a logged-in session"
	pub2=$(body_json 'j["SESSION_ID"]')
	[ "$(user_of 1)" = alice ] || fail "$NAME: client 1 should be alice"
	pub1=$(body_json 'j["SESSION_ID"]')
	[ "$(user_of 1)" = alice ] && [ "$(user_of 2)" = alice ] ||
	    fail "$NAME: both clients should be alice"
	sessions
	[ "$(wc -l < "$T/list")" = 2 ] || fail "$NAME: expected 2 sessions: $(cat "$T/list")"
	grep -q '6\.6\.6\.6\|spoof' "$T/list" && fail "$NAME: a script spoofed the record: $(cat "$T/list")"
	l1=$(line_of 127.0.0.1)
	l2=$(line_of 127.0.0.2)
	[ "$(echo "$l1" | cut -f 5)" = "Client/1" ] || fail "$NAME: client 1's line: $l1"
	[ "$(echo "$l2" | cut -f 5)" = "$EVIL_CLEAN" ] || fail "$NAME: client 2's line: $(echo "$l2" | cat -A)"
	echo "$l1" | cut -f 2,3 | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z	[0-9-]+T[0-9:]+Z$' ||
	    fail "$NAME: times of $l1"
	id1=$(echo "$l1" | cut -f 1)
	id2=$(echo "$l2" | cut -f 1)
	case $NAME in
	memcached|redis)
		echo "$id1" | grep -Eqx '[0-9a-f]{64}' || fail "$NAME: id $id1 is not a store key" ;;
	*)
		[ "$id1" = "$pub1" ] && [ "$id2" = "$pub2" ] ||
		    fail "$NAME: ids $id1 $id2 are not the SESSION_IDs $pub1 $pub2" ;;
	esac
	for c in 1 2; do
		grep -q "$(jar_cookie "$T/jar.$c" sessionwrap | cut -d. -f1)" "$T/list" "$T/list.json" &&
		    fail "$NAME: the listing holds a secret id"
	done
	python3 - "$T/list.json" "$id1" "$id2" "$EVIL_CLEAN" <<'PY' || fail "$NAME: sessions --json: $(cat "$T/list.json")"
import json, sys
v = json.load(open(sys.argv[1]))
by = {s["id"]: s for s in v}
assert set(by) == {sys.argv[2], sys.argv[3]}, by
assert by[sys.argv[2]]["address"] == "127.0.0.1" and by[sys.argv[2]]["user_agent"] == "Client/1"
assert by[sys.argv[3]]["address"] == "127.0.0.2" and by[sys.argv[3]]["user_agent"] == sys.argv[4]
for s in v:
    assert s["created"] <= s["last_seen"] < s["expires"], s
PY

	step "$NAME: revoke ID ends exactly that session and closes its websocket"
	ws_open 2
	$CTL revoke "$id2" > "$T/revoke.out" 2>&1 || fail "ctl revoke: $(cat "$T/revoke.out")"
	grep -q '^1 session deleted' "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
	grep -q '^1 websocket closed' "$T/revoke.out" || fail "ctl revoke: $(cat "$T/revoke.out")"
	ws_closed 2
	[ "$(user_of 2)" = "" ] || fail "$NAME: the revoked session is still logged in"
	[ "$(user_of 1)" = alice ] || fail "$NAME: the other session was ended too"
	$CTL revoke "$id2" > "$T/revoke.out" 2>&1 && fail "$NAME: revoking it again succeeded"
	grep -q 'no such live session' "$T/revoke.out" || fail "$NAME: second revoke: $(cat "$T/revoke.out")"
	sessions
	[ "$(cut -f 1 "$T/list")" = "$id1" ] || fail "$NAME: after revoke: $(cat "$T/list")"

	step "$NAME: max_sessions_per_user = 2: a third login ends the oldest"
	start max_sessions_per_user=2
	ws_open 1
	sleep 1.1	# logins a second apart: "oldest" is by login time
	as 3 "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice')"
	expect_status 200 "login 3"
	[ "$(user_of 1)" = alice ] || fail "$NAME: two sessions are within the limit"
	as 4 "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice')"
	expect_status 200 "login 4"
	ws_closed 1
	[ "$(user_of 1)" = "" ] || fail "$NAME: the oldest session outlived the limit"
	[ "$(user_of 3)" = alice ] && [ "$(user_of 4)" = alice ] ||
	    fail "$NAME: the two newest sessions should stay"
	sessions
	[ "$(cut -f 4 "$T/list" | sort | tr '\n' ' ')" = "127.0.0.3 127.0.0.4 " ] ||
	    fail "$NAME: after the limit: $(cat "$T/list")"
	if [ "$NAME" = postgresql ]; then
		step "$NAME: a row whose record breaks the rules is left out, not listed"
		$PSQL -c "UPDATE sessionwrap_sessions SET data = jsonb_set(data, '{_sessionwrap,ua}', to_jsonb(E'a\\tb'::text)) WHERE public_id = '$(cut -f 1 "$T/list" | head -n 1)'" ||
		    fail "$NAME: tampering with a row"
		sessions
		[ "$(wc -l < "$T/list")" = 1 ] || fail "$NAME: with a bad row: $(cat -A "$T/list")"
		grep -q 'skipped' "$T/list.err" || fail "$NAME: no warning for the bad row: $(cat "$T/list.err")"
	fi
	if [ "$NAME" = redis ]; then
		step "$NAME: a session hash that breaks the rules is left out, not listed"
		rd_hash="sw:$(cut -f 1 "$T/list" | head -n 1)"
		redis-cli -s "$T/run/rd1.sock" HSET "$rd_hash" c x > /dev/null ||
		    fail "$NAME: tampering with a hash"
		sessions
		[ "$(wc -l < "$T/list")" = 1 ] || fail "$NAME: with a bad hash: $(cat -A "$T/list")"
		grep -q 'skipped' "$T/list.err" || fail "$NAME: no warning for the bad hash: $(cat "$T/list.err")"
		step "$NAME: revoke by cookie value; an unknown store key is no such session"
		$CTL revoke "$(jar_cookie "$T/jar.4" sessionwrap)" > "$T/revoke.out" 2>&1 ||
		    fail "$NAME: revoke by cookie: $(cat "$T/revoke.out")"
		[ "$(user_of 4)" = "" ] || fail "$NAME: revoke by cookie left the session"
		$CTL revoke "$(printf '%064d' 0)" > "$T/revoke.out" 2>&1 &&
		    fail "$NAME: revoking an unknown store key succeeded"
		grep -q 'no such live session' "$T/revoke.out" || fail "$NAME: unknown key: $(cat "$T/revoke.out")"
	fi
	$CTL revoke --user alice > /dev/null || fail "$NAME: revoke --user"
}

MC1=$(free_port)
mc_start 1 "$MC1"
with_store memcached "memcached://127.0.0.1:$MC1"

rd_start 1
with_store redis "redis+unix://$T/run/rd1.sock"

pg_setup
with_store postgresql "$PG_URI"

MC2=$(free_port)
mc_start 2 "$MC2"
CACHE_KV="cache=memcached://127.0.0.1:$MC2"
with_store postgresql+memcached "$PG_URI"
CACHE_KV=

step "CGI: a line break in REMOTE_ADDR or User-Agent stays inside its field"
sw_stop
sw_config store="$PG_URI"
printf '#!/bin/sh\nprintf "X-Session-Login: mallory\\r\\nContent-Type: text/plain\\r\\n\\r\\nok\\n"\n' \
    > "$SCRIPT_ROOT/login.sh"
chmod 755 "$SCRIPT_ROOT/login.sh"
env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
    SCRIPT_FILENAME="$SCRIPT_ROOT/login.sh" SCRIPT_NAME=/cgi-bin/login.sh \
    REMOTE_ADDR="$(printf '10.0.0.1\n%s\t2000-01-01T00:00:00Z' "$id1")" \
    HTTP_USER_AGENT="$(printf 'ua\nforged\tline\r\n\033[2J\177end')" \
    SESSIONWRAP_CONF="$T/sw.conf" "$SESSIONWRAP" > "$T/cgi.out" 2>> "$T/sessionwrap.log" ||
    fail "CGI run failed: $(cat "$T/cgi.out")"
grep -q '^ok' "$T/cgi.out" || fail "CGI login: $(cat "$T/cgi.out")"
$CTL sessions --user mallory > "$T/list" || fail "ctl sessions --user mallory"
[ "$(wc -l < "$T/list")" = 1 ] || fail "CGI: a line break made lines: $(cat -A "$T/list")"
awk -F '\t' 'NF != 5 { exit 1 }' "$T/list" || fail "CGI: fields: $(cat -A "$T/list")"
[ "$(cut -f 4,5 "$T/list")" = "10.0.0.1?$id1?2000-01-01T00:00:00Z	ua?forged?line???[2J?end" ] ||
    fail "CGI: the fields: $(cat -A "$T/list")"

step "cookie store: sessions and revoke say they cannot"
sw_config store=cookie
$CTL sessions --user alice > "$T/cookie.out" 2>&1 && fail "sessions with the cookie store succeeded"
grep -q 'keeps sessions in the browser' "$T/cookie.out" || fail "cookie store: $(cat "$T/cookie.out")"
$CTL revoke "$id1" > "$T/cookie.out" 2>&1 && fail "revoke with the cookie store succeeded"
grep -q 'keeps sessions in the browser' "$T/cookie.out" || fail "cookie store: $(cat "$T/cookie.out")"
pass
