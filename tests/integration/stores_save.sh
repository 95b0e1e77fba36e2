#!/bin/sh
# Saves that cannot be done lose nothing, through lighttpd + sessionwrap with
# PostgreSQL and with memcached:
#  - a session never grows past what a script's environment can take (Linux
#    refuses execve when one environment string passes 128 KiB): the save that
#    would cross is refused (response delivered, error logged, previous
#    session kept) and every later request of that session, logout included,
#    still runs; the same with mod_session_compat = on, where HTTP_SESSION
#    (the url-encoded form) is what crosses;
#  - a session stored above that size (mod_session_compat turned on over
#    sessions whose form is too large, as an older version could store)
#    is ended with a logged error instead of failing every request;
#  - a login or regenerate whose new session cannot be saved (too big, or
#    the store cut at the very save) leaves the old session usable past
#    regenerate_grace; a logout whose new session cannot be saved still
#    ends the old one.
# Every check runs; the test fails at the end with the list of failed ones.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
stores_init
docroot_setup
sw_secret
JAR=$T/jar
# Seconds a replaced id stays readable; the checks wait past it.
GRACE=1


# big [QUERY]: a request of big.py (see the script) with the jar.
big() { req "/cgi-bin/big.py${1:+?$1}"; }

# check WHAT EXPR VALUE: soft_fail unless the request answered 200 and the
# Python expression over the body (j) prints VALUE.
check() {
	if [ "$STATUS" != 200 ]; then
		soft_fail "$NAME: $1: answered $STATUS"
		return 1
	fi
	_got=$(body_json "$2")
	[ "$_got" = "$3" ] || { soft_fail "$NAME: $1: expected $3, got $_got"; return 1; }
}

# refusals: how many saves sessionwrap refused so far.
refusals() { grep -c 'session not saved, previous one kept' "$T/sessionwrap.log"; }

# expect_refused BEFORE WHAT: soft_fail unless one more refusal was logged.
expect_refused() {
	[ "$(refusals)" -gt "$1" ] || soft_fail "$NAME: $2: no 'session not saved' in the log"
}

# restart KEY=VALUE...: sessionwrap with the store under test and these keys.
restart() {
	sw_stop
	# shellcheck disable=SC2086
	sw_config store="$URI" regenerate_grace=$GRACE "$@"
	sw_start --threads 2
	[ -n "$PORT" ] || lighttpd_start
}

# logout_works: logout answers 200 and expires the cookie; a fresh session
# follows.
logout_works() {
	big logout=1
	if [ "$STATUS" != 200 ]; then
		soft_fail "$NAME: $1: logout answered $STATUS"
		return
	fi
	set_cookie_of sessionwrap | grep -qi 'Max-Age=0' ||
	    soft_fail "$NAME: $1: logout did not expire the cookie"
	big
	check "$1: after the logout" 'j["new"]' 1
}

# ws_status COOKIE: the status sessionwrap-ws answers an upgrade with it.
ws_status() {
	python3 - "$WS_SOCK" "$1" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "integration"))
import ws_client
print(ws_client.Raw("unix:" + sys.argv[1], cookie="sessionwrap=" + sys.argv[2]).status)
PY
}

# stored_too_large: a session whose SESSION is over the limit, as an older
# version could store it (written into PostgreSQL directly): sessionwrap-ws
# starts no ws_handler for it, sessionwrap ends it at its next request.
stored_too_large() {
	step "$NAME: SESSION stored over the limit: no ws_handler for it, the next request ends it"
	restart ws_handler=/bin/cat
	[ -z "$WS_PID" ] || { kill "$WS_PID"; wait "$WS_PID"; WS_PID=; }
	ws_start
	: > "$JAR"
	big "k=a&n=10"
	req /cgi-bin/do.py
	pub=$(body_json 'j["SESSION_ID"]')
	cookie=$(jar_cookie "$JAR" sessionwrap)
	[ "$(ws_status "$cookie")" = 101 ] || soft_fail "$NAME: no websocket for a small session"
	$PSQL -d postgres -c "UPDATE sessionwrap_sessions SET data =
	    jsonb_build_object('a', repeat('x', 140000)) WHERE public_id = '$pub'" ||
	    fail "$NAME: writing the session too large"
	[ "$(ws_status "$cookie")" = 503 ] || soft_fail "$NAME: a websocket for a session too large for ws_handler"
	grep -q 'session too large for ws_handler' "$T/sessionwrap-ws.log" ||
	    soft_fail "$NAME: no log line for the session too large for ws_handler"
	n=$(grep -c 'treated as ended' "$T/sessionwrap.log")
	big
	check "the request of a session stored over the limit" '[j["new"], j["keys"]]' '["1",[]]'
	[ "$(grep -c 'treated as ended' "$T/sessionwrap.log")" -gt "$n" ] ||
	    soft_fail "$NAME: no log line for the session stored over the limit"
	[ "$(ws_status "$cookie")" = 401 ] || soft_fail "$NAME: the ended session still opens a websocket"
	logout_works "after a session stored over the limit"
}

# with_store NAME URI: every check against one store.
with_store() {
	NAME=$1
	URI=$2

	step "$NAME: three 60 KB values: the third save is refused, the session goes on"
	restart
	: > "$JAR"
	big "k=a&n=60000"
	big "k=b&n=60000"
	check "the second 60 KB value" 'j["keys"]' '["a"]'
	n=$(refusals)
	big "k=c&n=60000"
	check "the request whose save crosses the limit" 'j["keys"]' '["a","b"]'
	expect_refused "$n" "third 60 KB value"
	big
	check "the next request" '[j["new"], j["keys"]]' '["0",["a","b"]]'
	big "k=a&n=10"
	big
	check "after a save that fits again" '[j["keys"], j["session"] < 70000]' '[["a","b"],true]'
	logout_works "after a refused save"

	step "$NAME: a session exactly at the limit runs; one byte more is refused"
	restart
	: > "$JAR"
	# SESSION={"a":"..","b":"..","c":".."} and its NUL: 31 + 131041 bytes.
	big "k=a&n=60000"
	big "k=b&n=60000"
	big "k=c&n=11041"
	big
	check "at the limit" '[j["keys"], j["session"]]' '[["a","b","c"],131063]'
	n=$(refusals)
	big "k=c&n=11042"
	check "one byte over the limit" 'j["session"]' 131063
	expect_refused "$n" "one byte over the limit"
	big
	check "after one byte over" 'j["session"]' 131063

	step "$NAME: mod_session_compat = on: the form crosses first"
	restart mod_session_compat=on
	: > "$JAR"
	# '~' is 3 bytes in the form: 25000 of them are 75 KB there.
	big "k=a&n=25000&c=%7E"
	n=$(refusals)
	big "k=b&n=25000&c=%7E"
	check "the value whose form crosses the limit" '[j["keys"], j["form"]]' '[["a"],75002]'
	expect_refused "$n" "second value with mod_session_compat"
	big
	check "the next request" '[j["new"], j["keys"]]' '["0",["a"]]'
	logout_works "after a refused save (mod_session_compat)"

	step "$NAME: a session stored above the limit ends with a logged error"
	restart
	: > "$JAR"
	big "k=a&n=25000&c=%7E"
	big "k=b&n=25000&c=%7E"
	big
	check "two values (mod_session_compat off)" 'j["keys"]' '["a","b"]'
	cookie=$(jar_cookie "$JAR" sessionwrap)
	n=$(grep -c 'treated as ended' "$T/sessionwrap.log")
	restart mod_session_compat=on
	big
	check "the first request with mod_session_compat on" '[j["new"], j["keys"]]' '["1",[]]'
	[ "$(grep -c 'treated as ended' "$T/sessionwrap.log")" -gt "$n" ] ||
	    soft_fail "$NAME: no log line for the session too large for scripts"
	set_cookie_of sessionwrap | grep -qi 'Max-Age=0' ||
	    soft_fail "$NAME: the ended session's cookie was not expired"
	big
	check "the next request" '[j["new"], j["keys"]]' '["1",[]]'
	big "k=x&n=1"
	big
	check "a new session" '[j["new"], j["keys"]]' '["0",["x"]]'
	"$SESSIONWRAP_CTL" -c "$T/sw.conf" show "$cookie" > "$T/show.out" 2>&1 &&
	    soft_fail "$NAME: the session too large for scripts is still stored"

	for lock in merge exclusive; do
		step "$NAME: lock = $lock: a login or regenerate too big to save keeps the old session, a logout still ends it"
		restart lock=$lock max_session_size=4096
		: > "$JAR"
		big "k=a&n=1000"
		big
		check "a small session" 'j["keys"]' '["a"]'
		pre=$(jar_cookie "$JAR" sessionwrap)
		n=$(refusals)
		big "k=b&n=4000&login=alice"
		check "the login over max_session_size" '[j["user"], j["keys"]]' '["",["a"]]'
		expect_refused "$n" "login over max_session_size"
		[ -z "$(set_cookie_of sessionwrap)" ] ||
		    soft_fail "$NAME: a refused login sent a cookie: $(set_cookie_of sessionwrap)"
		[ "$(jar_cookie "$JAR" sessionwrap)" = "$pre" ] ||
		    soft_fail "$NAME: the cookie changed with a refused login"
		sleep $((GRACE + 1))
		big
		check "past regenerate_grace" '[j["new"], j["user"], j["keys"]]' '["0","",["a"]]'
		n=$(refusals)
		big "k=b&n=4000&regenerate=1"
		expect_refused "$n" "regenerate over max_session_size"
		[ -z "$(set_cookie_of sessionwrap)" ] ||
		    soft_fail "$NAME: a refused regenerate sent a cookie"
		sleep $((GRACE + 1))
		big
		check "a refused regenerate, past regenerate_grace" '[j["new"], j["keys"]]' '["0",["a"]]'
		big "login=alice"
		check "a login that fits" '[j["user"], j["keys"]]' '["",["a"]]'
		big
		check "logged in" '[j["new"], j["user"], j["keys"]]' '["0","alice",["a"]]'
		pre_logout=$(jar_cookie "$JAR" sessionwrap)
		n=$(refusals)
		big "logout=1&k=b&n=5000"
		expect_refused "$n" "a logout whose new session is over max_session_size"
		set_cookie_of sessionwrap | grep -qi 'Max-Age=0' ||
		    soft_fail "$NAME: a logout with a refused save did not expire the cookie"
		req_nojar /cgi-bin/big.py -H "Cookie: sessionwrap=$pre_logout"
		check "the logged-out session" '[j["new"], j["user"]]' '["1",""]'
	done

	step "$NAME: a login past the environment limit keeps the old session"
	restart
	: > "$JAR"
	big "k=a&n=60000"
	big "k=b&n=60000"
	n=$(refusals)
	big "k=c&n=60000&login=alice"
	check "the login that crosses the limit" '[j["user"], j["keys"]]' '["",["a","b"]]'
	expect_refused "$n" "login past the environment limit"
	sleep $((GRACE + 1))
	big
	check "past regenerate_grace" '[j["new"], j["user"], j["keys"]]' '["0","",["a","b"]]'
	logout_works "after a refused login"

	[ "$NAME" = postgresql ] && stored_too_large

	step "$NAME: the store cut at the save of a login: 503, the old session lives on"
	restart
	: > "$JAR"
	big "k=a&n=100"
	big
	check "a small session" 'j["keys"]' '["a"]'
	n=$(grep -c 'saving session' "$T/sessionwrap.log")
	$CUT || fail "$NAME: staging the outage"
	big "login=alice"
	[ "$STATUS" = 503 ] || soft_fail "$NAME: a login whose save failed answered $STATUS, not 503"
	[ "$(grep -c 'saving session' "$T/sessionwrap.log")" -gt "$n" ] ||
	    soft_fail "$NAME: no log line for the failed save"
	$HEAL || fail "$NAME: ending the outage"
	sleep $((GRACE + 1))
	if until_200 15 big ""; then
		check "after the store came back" '[j["new"], j["user"], j["keys"]]' '["0","",["a"]]'
	else
		soft_fail "$NAME: still $STATUS 15 s after the store came back"
	fi
	big "login=alice"
	big
	check "logged in after the outage" '[j["user"], j["keys"]]' '["alice",["a"]]'
	sw_alive "$NAME"
}

# memcached behind a proxy that cuts the connection at an ADD while armed.
mc_cut() { touch "$T/cut-add"; }
mc_heal() { rm -f "$T/cut-add"; }
MC1=$(free_port)
mc_start 1 "$MC1"
MCP=$(free_port)
python3 "$top_srcdir/tests/integration/mc_cut.py" "$MCP" "$MC1" "$T/cut-add" \
    >>"$T/mc_cut.log" 2>&1 </dev/null &
sw_track $!
wait_for_port "$MCP" 10
CUT=mc_cut HEAL=mc_heal with_store memcached "memcached://127.0.0.1:$MCP"
[ -s "$T/cut-add.cuts" ] || soft_fail "memcached: the proxy never cut an ADD"

# PostgreSQL: while armed, a trigger ends the connection at the INSERT of a
# new session (an update, such as the doom of an old id, passes).
pg_cut() {
	$PSQL -d postgres -c 'CREATE FUNCTION sw_test_cut() RETURNS trigger
	    LANGUAGE plpgsql AS $$ BEGIN
	    PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
	    CREATE TRIGGER sw_test_cut BEFORE INSERT ON sessionwrap_sessions
	    FOR EACH ROW EXECUTE FUNCTION sw_test_cut()'
}
pg_heal() {
	$PSQL -d postgres -c 'DROP TRIGGER sw_test_cut ON sessionwrap_sessions;
	    DROP FUNCTION sw_test_cut()'
}
pg_setup
CUT=pg_cut HEAL=pg_heal with_store postgresql "$PG_URI"

sw_stop
soft_done
pass
