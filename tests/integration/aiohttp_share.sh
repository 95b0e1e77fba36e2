#!/bin/sh
# One login shared with a real aiohttp app (Debian's python3-aiohttp,
# python3-aiohttp-session, python3-cryptography) behind one lighttpd: /py/
# is proxied to aiohttp, /cgi-bin/ goes to sessionwrap with
# cookie_format = aiohttp. A login on either side is seen by the other, a
# counter goes up on both in turn, a logout on either side ends the session
# for both; tokens sealed with another key, tampered, expired or
# future-dated are fresh sessions; a rotated key file still opens old
# cookies and re-seals them with the new key. Then the same login, counter
# and logouts with store_format = aiohttp on a real memcached and a real
# redis-server (aiohttp's MemcachedStorage and RedisStorage layouts), where
# an unknown id is a fresh session.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
stores_init
need_cmd lighttpd curl python3
need_sessionwrap
# Debian's python3 with its packages, not another one first on PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import aiohttp, aiohttp_session, cryptography' 2>/dev/null ||
    skip "python3-aiohttp, python3-aiohttp-session or python3-cryptography missing"
docroot_setup
sw_secret
JAR=$T/jar
COOKIE=AIOHTTP_SESSION

# fernet CMD ARGS: the test's Fernet tool (keys, tokens, opening cookies).
fernet() {
	"$PY" - "$@" <<'PYEOF'
import json, sys, time
from cryptography.fernet import Fernet
cmd = sys.argv[1]
if cmd == "key":
    print(Fernet.generate_key().decode())
elif cmd == "token":
    # token KEYFILE AGE USER: a session sealed with the file's first key,
    # stamped AGE seconds ago (negative: in the future).
    key = open(sys.argv[2]).readline().strip()
    now = int(time.time())
    data = {"created": now, "session": {"AIOHTTP_SECURITY": sys.argv[4], "n": 7}}
    print(Fernet(key)._encrypt_from_parts(json.dumps(data).encode(),
          now - int(sys.argv[3]), b"\x00" * 16).decode())
elif cmd == "open":
    # open KEYFILE TOKEN: the session JSON, or INVALID.
    key = open(sys.argv[2]).readline().strip()
    try:
        print(Fernet(key).decrypt(sys.argv[3].strip('"').encode()).decode())
    except Exception:
        print("INVALID")
PYEOF
}

fernet key > "$T/fernet.a" && fernet key > "$T/fernet.b" ||
    fail "cannot make Fernet keys"
chmod 600 "$T/fernet.a" "$T/fernet.b"
cp "$T/fernet.a" "$T/fernet"

step "start-up refuses what cannot work"
# refused WHAT PATTERN KEY=VALUE...: check-config exits non-zero, saying so.
refused() {
	_what=$1
	_pat=$2
	shift 2
	SW_CONF=$T/bad.conf sw_config "$@"
	if "$SESSIONWRAP_CTL" -c "$T/bad.conf" check-config >"$T/bad.out" 2>&1; then
		fail "$_what: accepted"
	fi
	grep -Eq "$_pat" "$T/bad.out" || fail "$_what: $(cat "$T/bad.out")"
}
printf 'not a key\n' > "$T/fernet.bad"
refused "no fernet_key_file" "needs fernet_key_file" cookie_format=aiohttp
refused "a line that is no Fernet key" "fernet.bad: line 1: not a Fernet key" \
    cookie_format=aiohttp fernet_key_file="$T/fernet.bad"
refused "store_format on the cookie store" "built for store = memcached" \
    store_format=aiohttp
refused "user_key alone" "user_key needs" user_key=AIOHTTP_SECURITY
refused "an unknown format" 'bad value "django"' cookie_format=django

# py_start [memcached|redis PORT]: the aiohttp app on $PY_PORT.
py_start() {
	PY_PORT=${PY_PORT:-$(free_port)}
	setsid $SW_PDEATH "$PY" "$SCRIPTS_SRC/aiohttp_app.py" "$PY_PORT" \
	    "$T/fernet.a" "$@" >>"$T/aiohttp.log" 2>&1 </dev/null &
	PY_PID=$!
	sw_track "$PY_PID"
	wait_for_port "$PY_PORT" 20 "$PY_PID"
}
py_stop() {
	kill "$PY_PID" 2>/dev/null
	wait "$PY_PID" 2>/dev/null
}

# py PATH: a request to the aiohttp app through lighttpd; `pyj EXPR` reads
# its JSON answer as j.
py() {
	req "/py/$1"
	expect_status 200 "/py/$1"
}
pyj() {
	"$PY" -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$T/out.b" "$1"
}
expect_py() {
	_got=$(pyj "$1")
	[ "$_got" = "$2" ] || fail "${3:-$1}: expected '$2', got '$_got' ($(cat "$T/out.b"))"
}
# cgi QUERY: do.py through sessionwrap (its environment as JSON).
cgi() {
	req "/cgi-bin/do.py${1:+?$1}"
	expect_status 200 "do.py $1"
}

# counter_turns: "n" goes 1 to 4, Python and sessionwrap in turn, alice's.
counter_turns() {
	for _n in 1 2 3 4; do
		if [ $((_n % 2)) = 1 ]; then
			py count
			expect_py '[j["n"], j["user"], "sessionwrap" in j["keys"]]' \
			    "[$_n, \"alice\", true]" \
			    "Python's turn $_n (the reserved key travels along)"
		else
			req /cgi-bin/counter.sh
			grep -q "^n=$_n user=alice new=0" "$T/out.b" ||
			    fail "counter.sh, turn $_n: $(cat "$T/out.b")"
		fi
	done
}

sw_config cookie_name=$COOKIE cookie_format=aiohttp \
    fernet_key_file="$T/fernet" user_key=AIOHTTP_SECURITY
sw_start
py_start
LIGHTTPD_EXTRA="server.modules += ( \"mod_proxy\" )
\$HTTP[\"url\"] =~ \"^/py/\" {
	proxy.server = ( \"\" => (( \"host\" => \"127.0.0.1\", \"port\" => $PY_PORT )) )
}"
lighttpd_start

step "a login on the Python side is seen by a CGI script"
: > "$JAR"
py "login?user=alice"
expect_py 'j["user"]' '"alice"'
case $(jar_cookie "$JAR" $COOKIE) in
'"gAAAAA'*) ;;
*) fail "aiohttp's cookie is not a quoted Fernet token: $(cat "$JAR")" ;;
esac
cgi
expect_json 'j["SESSION_USER"]' alice "SESSION_USER after a Python login"
expect_json 's' '{}' "SESSION without the user and reserved keys"
ID1=$(body_json 'j["SESSION_ID"]')
cgi
expect_json 'j["SESSION_ID"]' "$ID1" "SESSION_ID stable across requests"
expect_json 'j["SESSION_NEW"]' 0

step "a counter goes up on both sides in turn"
counter_turns
cgi
expect_json 'j["SESSION_ID"]' "$ID1" "SESSION_ID after saves on both sides"

step "the cookie sessionwrap seals is aiohttp's JSON under the Fernet key"
OPENED=$(fernet open "$T/fernet.a" "$(jar_cookie "$JAR" $COOKIE)")
echo "$OPENED" | "$PY" -c 'import json, sys
d = json.load(sys.stdin)
s = d["session"]
assert isinstance(d["created"], int), d
assert s["AIOHTTP_SECURITY"] == "alice" and s["n"] == "4", d
r = s["sessionwrap"]
assert set(r) >= {"id", "ws_id", "login", "access", "user"}, r' ||
    fail "sealed session: $OPENED"

step "a script cannot name the user through the data"
cgi "$(do_query 'X-Session-Set: AIOHTTP_SECURITY=mallory')"
py whoami
expect_py 'j["user"]' '"alice"' "user after X-Session-Set of user_key"

step "a logout on the sessionwrap side ends the session for Python"
cgi "$(do_query 'X-Session-Logout: 1')"
py whoami
expect_py '[j["user"], j["n"], j["new"]]' '[null, null, true]'
cgi
expect_json 'j["SESSION_USER"]' ""

step "a login on the sessionwrap side is seen by Python; Python's logout ends it"
cgi "$(do_query 'X-Session-Login: bob')"
py count
expect_py '[j["user"], j["n"]]' '["bob", 1]'
cgi
expect_json 'j["SESSION_USER"]' bob
ID2=$(body_json 'j["SESSION_ID"]')
py logout
cgi
expect_json '[j["SESSION_USER"], j["SESSION_NEW"]]' '["","1"]' "after Python's logout"
[ "$(body_json 'j["SESSION_ID"]')" != "$ID2" ] || fail "session id kept across Python's logout"

step "Python logs in another user over a session sessionwrap knows: new identity"
py "login?user=carol"
cgi
expect_json 'j["SESSION_USER"]' carol
ID3=$(body_json 'j["SESSION_ID"]')
py "login?user=dave"
cgi
expect_json 'j["SESSION_USER"]' dave
[ "$(body_json 'j["SESSION_ID"]')" != "$ID3" ] || fail "session id kept across a Python login"

# with_cookie VALUE: do.py with only this session cookie.
with_cookie() {
	_jar=$JAR
	JAR=
	req /cgi-bin/do.py -b "$COOKIE=$1"
	JAR=$_jar
}
# fresh WHAT TOKEN: a cookie that must give a fresh session.
fresh() {
	with_cookie "$2"
	expect_status 200 "$1"
	expect_json '[j["SESSION_USER"], j["SESSION_NEW"]]' '["","1"]' "$1"
}

step "another key, tampered, truncated, expired, future-dated: fresh sessions"
GOOD=$(fernet token "$T/fernet.a" 0 mallory)
with_cookie "$GOOD"
expect_json 'j["SESSION_USER"]' mallory "a genuine token (the control case)"
fresh "sealed with another key" "$(fernet token "$T/fernet.b" 0 mallory)"
# Its 61st character made another (an 'A' that stayed an 'A' left the token
# whole, one time in 64).
case $(printf '%s' "$GOOD" | cut -c61) in A) _c=B ;; *) _c=A ;; esac
TAMPERED=$(printf '%s' "$GOOD" | sed "s/^\(.\{60\}\)./\1$_c/")
[ "$TAMPERED" != "$GOOD" ] || fail "the tampered token is the genuine one"
fresh "tampered" "$TAMPERED"
fresh "truncated" "$(echo "$GOOD" | cut -c1-100)"
fresh "padding dropped" "$(echo "$GOOD" | tr -d =)"
fresh "expired (idle_timeout)" "$(fernet token "$T/fernet.a" 1900 mallory)"
fresh "future-dated by 120 s" "$(fernet token "$T/fernet.a" -120 mallory)"
fresh "quoted with a stray quote" "\"$GOOD"
with_cookie "\"$(fernet token "$T/fernet.a" -30 mallory)\""
expect_json 'j["SESSION_USER"]' mallory "quoted, 30 s ahead: within the skew"
sw_alive "after the forged tokens"

step "a rotated key file still opens old cookies and re-seals them"
: > "$JAR"
py "login?user=erin"
sw_stop
cat "$T/fernet.b" "$T/fernet.a" > "$T/fernet"
sw_start
cgi
expect_json 'j["SESSION_USER"]' erin "old cookie after rotation"
NEWC=$(set_cookie_of $COOKIE | sed "s/^$COOKIE=//;s/;.*//")
[ -n "$NEWC" ] || fail "no new cookie after a rotated key opened the old one"
[ "$(fernet open "$T/fernet.b" "$NEWC")" != INVALID ] ||
    fail "the re-sealed cookie does not open with the new first key"
[ "$(fernet open "$T/fernet.a" "$NEWC")" = INVALID ] ||
    fail "the re-sealed cookie still opens with the old key"
sw_stop
cp "$T/fernet.b" "$T/fernet"
sw_start
fresh "old key removed from the file" "$(fernet token "$T/fernet.a" 0 erin)"

sw_alive "after the cookie layout"

# item_get KEY: the value the server store holds under KEY, or nothing.
item_get() {
	if [ "$LAYOUT" = redis ]; then
		redis-cli -s "$T/run/rd1.sock" --raw GET "$1"
		return
	fi
	"$PY" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(b"get " + sys.argv[2].encode() + b"\r\n")
d = b""
while not d.endswith(b"END\r\n"):
    d += s.recv(65536)
lines = d.split(b"\r\n")
print(lines[1].decode() if lines[0].startswith(b"VALUE") else "")' "$MC_PORT" "$1"
}
# store_cookie: the session cookie of the jar (aiohttp's plain id).
store_cookie() {
	jar_cookie "$JAR" $COOKIE | tr -d '"'
}
# check_item KEY: aiohttp's JSON of alice's session with n = "4".
check_item() {
	item_get "$1" | "$PY" -c 'import json, sys
d = json.load(sys.stdin)
s = d["session"]
assert isinstance(d["created"], int), d
assert s["AIOHTTP_SECURITY"] == "alice" and s["n"] == "4", d
assert "ws_id" in s["sessionwrap"], d' || fail "$LAYOUT item $1: $(item_get "$1")"
	if [ "$LAYOUT" = redis ]; then
		_ttl=$(redis-cli -s "$T/run/rd1.sock" TTL "$1")
		[ "$_ttl" -gt 1700 ] && [ "$_ttl" -le 1800 ] ||
		    fail "redis TTL of $1: $_ttl, expected the idle timeout (1800 s)"
	fi
}

# server_layout LAYOUT URI PORT: the shared login with store_format = aiohttp.
server_layout() {
	LAYOUT=$1
	step "$1 layout: a login on the Python side is seen by a CGI script"
	sw_stop
	sw_config cookie_name=$COOKIE store="$2" store_format=aiohttp \
	    user_key=AIOHTTP_SECURITY
	sw_start
	py_stop
	py_start "$1" "$3"
	: > "$JAR"
	py "login?user=alice"
	PYID=$(store_cookie)
	echo "$PYID" | grep -Eq '^[0-9a-f]{32}$' ||
	    fail "aiohttp's id is not uuid4().hex: $PYID"
	cgi
	expect_json 'j["SESSION_USER"]' alice "SESSION_USER after a Python login ($1)"
	expect_json 's' '{}' "SESSION without the user and reserved keys ($1)"
	SID=$(body_json 'j["SESSION_ID"]')

	step "$1 layout: a counter goes up on both sides in turn"
	counter_turns
	[ "$(store_cookie)" = "$PYID" ] || fail "the id changed: $PYID -> $(store_cookie)"
	cgi
	expect_json 'j["SESSION_ID"]' "$SID" "SESSION_ID stable ($1)"
	check_item "${COOKIE}_$PYID"

	step "$1 layout: a logout on the sessionwrap side ends it for Python"
	cgi "$(do_query 'X-Session-Logout: 1')"
	[ -z "$(item_get "${COOKIE}_$PYID")" ] || fail "$1 item still there after logout"
	py whoami
	expect_py '[j["user"], j["n"], j["new"]]' '[null, null, true]'

	step "$1 layout: a sessionwrap login is seen by Python; Python's logout ends it"
	: > "$JAR"
	cgi "$(do_query 'X-Session-Login: bob')"
	SWID=$(store_cookie)
	[ -n "$SWID" ] && [ -n "$(item_get "${COOKIE}_$SWID")" ] ||
	    fail "no $1 item ${COOKIE}_<cookie> after a sessionwrap login"
	py count
	expect_py '[j["user"], j["n"]]' '["bob", 1]'
	py logout
	cgi
	expect_json '[j["SESSION_USER"], j["SESSION_NEW"]]' '["","1"]' "after Python's logout ($1)"

	step "$1 layout: unknown or malformed ids are fresh sessions, never adopted"
	for c in 0123456789abcdef0123456789abcdef 'a%20b' "$(printf 'x%.0s' $(seq 70))"; do
		with_cookie "$c"
		expect_json '[j["SESSION_USER"], j["SESSION_NEW"]]' '["","1"]' "cookie $c"
	done
	[ -z "$(item_get "${COOKIE}_0123456789abcdef0123456789abcdef")" ] ||
	    fail "a client-chosen id was stored ($1)"
}

MC_PORT=$(free_port)
mc_start 1 "$MC_PORT"
server_layout memcached "memcached://127.0.0.1:$MC_PORT" "$MC_PORT"
if ! "$SESSIONWRAP_CTL" --store=redis://127.0.0.1:1 check-config 2>&1 |
    grep -q "not a known or built-in store"; then
	need_cmd redis-server redis-cli
	RD_PORT=$(free_port)
	rd_start 1 "$RD_PORT"
	server_layout redis "redis://127.0.0.1:$RD_PORT" "$RD_PORT"
elif [ "${CI:-}" = true ]; then
	fail "sessionwrap built without the Redis store under CI"
fi
sw_alive "at the end"
pass
