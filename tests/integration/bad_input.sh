#!/bin/sh
# Hostile and broken input through lighttpd + sessionwrap: bad cookies give a
# fresh session, bad scripts give 403/404/502/504, and after every failure
# sessionwrap is alive and the session kept its previous value.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3 sha256sum
need_sessionwrap
docroot_setup
sw_secret
sw_config handler_timeout=2
sw_start --threads 4
# Room for an 8 KB cookie, so the oversized cookie reaches sessionwrap.
LIGHTTPD_EXTRA='server.max-request-field-size = 65536'
lighttpd_start
JAR=$T/jar
: > "$JAR"

# expect_fresh WHAT: the last response is a 200 from a brand-new session.
expect_fresh() {
	expect_status 200 "$1"
	expect_json 'j["SESSION_NEW"]' 1 "$1: SESSION_NEW"
	expect_json 's' '{}' "$1: SESSION"
	sw_alive "$1"
}

# expect_kept WHAT: sessionwrap alive and the jar's session still has n=1.
expect_kept() {
	sw_alive "$1"
	_st=$STATUS
	req /cgi-bin/do.py
	expect_status 200 "$1: follow-up request"
	expect_json 's.get("n")' 1 "$1: session value after the failure"
	expect_json 'j["SESSION_NEW"]' 0 "$1: SESSION_NEW after the failure"
	STATUS=$_st
}

req /cgi-bin/counter.sh
expect_status 200 "first counter"
good=$(jar_cookie "$JAR" sessionwrap)
[ -n "$good" ] || fail "no session cookie from counter.sh"
expect_kept "baseline"

step "tampered cookie"
tampered=$(python3 -c 'import sys
v = sys.argv[1]; i = len(v) // 2
print(v[:i] + ("A" if v[i] != "A" else "B") + v[i + 1:])' "$good")
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$tampered"
expect_fresh "tampered cookie"
[ -z "$(set_cookie_of sessionwrap)" ] || echo "$(set_cookie_of sessionwrap)" | grep -qi 'Max-Age=0' ||
    fail "a fresh empty session after a bad cookie should not get a new cookie: $(set_cookie_of sessionwrap)"

step "truncated cookie"
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$(printf %s "$good" | cut -c1-$((${#good} / 2)))"
expect_fresh "truncated cookie"
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$(printf %s "$good" | cut -c1-$((${#good} - 1)))"
expect_fresh "cookie missing its last character"

step "garbage and empty cookies"
req_nojar /cgi-bin/do.py -H 'Cookie: sessionwrap=!!!%00not-base64$$$'
expect_fresh "garbage cookie"
req_nojar /cgi-bin/do.py -H 'Cookie: sessionwrap='
expect_fresh "empty cookie"
req_nojar /cgi-bin/do.py -H 'Cookie: sessionwrap'
expect_fresh "cookie without ="

step "duplicated cookie"
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$good; sessionwrap=$tampered"
expect_fresh "duplicated cookie"

step "oversized cookie (8 KB)"
big=$(head -c 8192 /dev/zero | tr '\0' 'A')
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$big"
expect_fresh "8 KB cookie"
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$good$big"
expect_fresh "valid cookie plus 8 KB"
expect_kept "bad cookies"

step "script outside script_root: 403"
cp "$SCRIPT_ROOT/outside.sh" "$DOCROOT/outside.sh"
chmod 755 "$DOCROOT/outside.sh"
req /outside.sh
expect_status 403 "script outside script_root"
grep -q ran "$T/out.b" && fail "script outside script_root ran"
expect_kept "outside script_root"

step "symlink escaping script_root: 403"
ln -s ../outside.sh "$SCRIPT_ROOT/escape.sh"
req /cgi-bin/escape.sh
expect_status 403 "symlink escaping script_root"
grep -q ran "$T/out.b" && fail "symlinked script outside script_root ran"
ln -s /bin/true "$SCRIPT_ROOT/true.sh"
req /cgi-bin/true.sh
expect_status 403 "symlink to /bin/true"
expect_kept "symlinks"

step "non-executable script: 403"
req /cgi-bin/noexec.sh
expect_status 403 "non-executable script"
grep -q ran "$T/out.b" && fail "non-executable script ran"
expect_kept "non-executable"

step "missing script: 404"
req /cgi-bin/missing.sh
expect_status 404 "missing script"
expect_kept "missing script"

step "script that crashes before its headers: 502"
req /cgi-bin/crash.sh
expect_status 502 "crash before headers"
expect_kept "crash"

step "script that prints no header block: 502"
req /cgi-bin/noheaders.sh
expect_status 502 "no headers"
expect_kept "no headers"
req /cgi-bin/garbage.sh
expect_status 502 "malformed headers"
expect_kept "malformed headers"

step "script that prints 1 MB of headers: 502"
req /cgi-bin/bigheaders.sh
expect_status 502 "1 MB of headers"
expect_kept "1 MB of headers"

step "CR inside an X-Session-Set value: rejected, never forwarded"
req /cgi-bin/crlf.sh
if grep -qi '^X-Injected' "$T/out.h"; then
	fail "header injection through X-Session-Set reached the client"
fi
[ "$STATUS" = 502 ] || [ "$STATUS" = 200 ] || fail "CR in X-Session-Set: expected 502, got $STATUS"
[ "$STATUS" = 502 ] || log "note: CR in X-Session-Set answered $STATUS (not forwarded)"
expect_kept "CR in X-Session-Set"

step "invalid JSON in X-Session-Patch: 502"
req /cgi-bin/badpatch.sh
expect_status 502 "invalid JSON patch"
expect_kept "invalid JSON patch"
req "/cgi-bin/do.py?$(do_query 'X-Session-Patch: [1,2]')"
expect_status 502 "JSON patch that is not an object"
expect_kept "non-object patch"

step "hung script: 504 after handler_timeout (2 s), process group killed"
rm -f "$T/state/hang.pids"
t0=$(date +%s)
req /cgi-bin/hang.sh
t1=$(date +%s)
expect_status 504 "hung script"
[ $((t1 - t0)) -le 8 ] || fail "hung script answered after $((t1 - t0)) s with handler_timeout = 2"
[ $((t1 - t0)) -ge 1 ] || fail "hung script answered after $((t1 - t0)) s, before handler_timeout"
[ -s "$T/state/hang.pids" ] || fail "hang.sh did not record its pids"
n=0
for p in $(cat "$T/state/hang.pids"); do
	while kill -0 "$p" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 30 ] || fail "process $p of the hung script survived the timeout: $(ps -o pid,pgid,args -p "$p" | tail -n 1)"
		sleep 0.1
	done
done
expect_kept "hung script"

step "50 MB request body streamed to a script that reads it all"
head -c 52428800 /dev/urandom > "$T/body"
want=$(sha256sum < "$T/body" | cut -d' ' -f1)
REQ_TIMEOUT=120 req /cgi-bin/echo.sh --data-binary "@$T/body" -H 'Content-Type: application/octet-stream'
expect_status 200 "50 MB body"
got=$(head -n 1 "$T/out.b")
[ "$got" = "$want" ] || fail "50 MB body: script saw sha256 $got, sent $want"
rm -f "$T/body"
expect_kept "50 MB body"

step "1 MB on stderr, then a 20 MB response body"
REQ_TIMEOUT=120 req /cgi-bin/noisy.sh
expect_status 200 "noisy script"
size=$(wc -c < "$T/out.b")
[ "$size" = 20971520 ] || fail "20 MB body arrived as $size bytes"
expect_kept "noisy script"

step "session too large for a cookie: response delivered, error logged, old session kept"
before=$(wc -c < "$T/sessionwrap.log")
req /cgi-bin/toobig.sh
[ "$STATUS" = 200 ] || [ "$STATUS" = 500 ] || [ "$STATUS" = 502 ] || fail "too-large session: status $STATUS"
if [ "$STATUS" = 200 ]; then
	grep -q delivered "$T/out.b" || fail "too-large session: body not delivered"
else
	log "note: too-large session answered $STATUS"
fi
after=$(wc -c < "$T/sessionwrap.log")
[ "$after" -gt "$before" ] || fail "too-large session: nothing logged"
log "logged: $(tail -c +$((before + 1)) "$T/sessionwrap.log" | head -n 3)"
expect_kept "too-large session"
req /cgi-bin/do.py
expect_json '"big" in s' false "too-large value not stored"

step "cookie sealed with another key: fresh session; key rotation keeps old cookies"
sw_stop
sw_secret "$T/secret2"
sw_config secret_file="$T/secret2"
sw_start
req_nojar /cgi-bin/counter.sh
other=$(sed -n 's/^Set-Cookie: sessionwrap=\([^;]*\).*/\1/Ip' "$T/out.h" | head -n 1)
[ -n "$other" ] || fail "no cookie from the second key"
sw_stop
sw_config handler_timeout=2
sw_start
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$other"
expect_fresh "cookie from another key"
expect_kept "wrong key"
# Rotation: new key first, old key still verifies.
cat "$T/secret2" "$T/secret" > "$T/secret-rot"
chmod 600 "$T/secret-rot"
sw_stop
sw_config secret_file="$T/secret-rot"
sw_start
expect_kept "cookie of the previous key after rotation"

# 3 s rather than 1: a loaded machine (make -j check) can take over a second
# between two requests, and expiry has whole-second granularity.
step "expired cookie (idle_timeout = 3): fresh session"
sw_stop
sw_config idle_timeout=3 touch_interval=0
sw_start
: > "$JAR"
req /cgi-bin/counter.sh
grep -q '^n=1 ' "$T/out.b" || fail "counter with idle_timeout = 3: $(cat "$T/out.b")"
req /cgi-bin/do.py
expect_json 'j["SESSION_NEW"]' 0 "immediately after creation"
sleep 5
req /cgi-bin/do.py
expect_fresh "expired cookie"

sw_alive "at the end"
pass
