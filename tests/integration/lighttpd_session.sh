#!/bin/sh
# Sessions through the real lighttpd + sessionwrap (cookie store): lazy cookie,
# counter, patch semantics, login/logout/replay, header hygiene, cookie
# attributes, mod_session compatibility.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3 perl
need_sessionwrap
docroot_setup
sw_secret
sw_config
sw_start --threads 4
lighttpd_start
JAR=$T/jar
: > "$JAR"

# no_session_headers: fail if any X-Session-* or X-Replace-Session header leaked.
no_session_headers() {
	if grep -iE '^(x-session-|x-replace-session)' "$T/out.h" >/dev/null; then
		cat "$T/out.h" >&2
		fail "$1: session control headers reached the client"
	fi
}

step "static file and a request without session data: no cookie (lazy)"
req /index.html
expect_status 200 "static file"
req /cgi-bin/do.py
expect_status 200 "first request"
[ -z "$(set_cookie_of sessionwrap)" ] || fail "Set-Cookie sent before the session has data: $(set_cookie_of sessionwrap)"
expect_json 'j["SESSION_NEW"]' 1 SESSION_NEW
expect_json 's' '{}' "SESSION of a new session"
expect_json 'j.get("SESSION_USER", "")' '' "SESSION_USER of a new session"
for v in SESSION_ID SESSION_CREATED SESSION_EXPIRES SESSION_WS_ID; do
	[ -n "$(body_json "j.get('$v', '')")" ] || fail "$v missing or empty"
done
expect_json 'int(j["SESSION_EXPIRES"]) > int(j["SESSION_CREATED"])' true "SESSION_EXPIRES after SESSION_CREATED"

step "counter (sh, sessionwrap-ctl get) increments across requests"
for i in 1 2 3; do
	req /cgi-bin/counter.sh
	expect_status 200 "counter $i"
	no_session_headers "counter $i"
	grep -q "^n=$i " "$T/out.b" || fail "counter request $i: expected n=$i, got: $(cat "$T/out.b")"
	if [ $i = 1 ]; then
		sc=$(set_cookie_of sessionwrap)
		[ -n "$sc" ] || fail "no Set-Cookie once the session has data"
		echo "$sc" | grep -qi '; *HttpOnly' || fail "cookie not HttpOnly: $sc"
		echo "$sc" | grep -qi '; *SameSite=Lax' || fail "cookie not SameSite=Lax: $sc"
		echo "$sc" | grep -qi '; *Path=/\(;\|$\)' || fail "cookie Path is not /: $sc"
		echo "$sc" | grep -qi '; *Secure' && fail "Secure cookie over plain http: $sc"
		grep -q 'new=1' "$T/out.b" || fail "first counter request: SESSION_NEW not 1: $(cat "$T/out.b")"
	else
		grep -q 'new=0' "$T/out.b" || fail "counter request $i: SESSION_NEW not 0: $(cat "$T/out.b")"
	fi
done
[ -n "$(jar_cookie "$JAR" sessionwrap)" ] || fail "cookie jar has no sessionwrap cookie"

step "the handler example in README works as printed"
awk '/^    #!\/bin\/sh$/ { on = 1 } on && /^$/ { exit } on { sub(/^    /, ""); print }' \
    "$top_srcdir/README" > "$SCRIPT_ROOT/readme.sh"
chmod 755 "$SCRIPT_ROOT/readme.sh"
[ -s "$SCRIPT_ROOT/readme.sh" ] || fail "no shell example found in README"
main_jar=$JAR
JAR=$T/jar.readme
: > "$JAR"
req /cgi-bin/readme.sh
req /cgi-bin/readme.sh
expect_status 200 "README example"
grep -q "^visit 2, user 'nobody'" "$T/out.b" || fail "README example: $(cat "$T/out.b")"
req '/cgi-bin/readme.sh?logout'
set_cookie_of sessionwrap | grep -qi 'Max-Age=0' || fail "README example: logout did not expire the cookie"
JAR=$main_jar

step "counter in Perl (X-Session-Patch) continues the same session"
req /cgi-bin/counter.pl
expect_status 200 "counter.pl"
grep -q '^n=4 ' "$T/out.b" || fail "counter.pl: expected n=4, got: $(cat "$T/out.b")"

step "session id is stable while nothing changes it"
req /cgi-bin/do.py
id1=$(body_json 'j["SESSION_ID"]')
expect_json 's["n"]' 4 "n after four visits"
req /cgi-bin/do.py
expect_json 'j["SESSION_ID"]' "$id1" "SESSION_ID on the next request"
expect_json 'j["SESSION_NEW"]' 0 SESSION_NEW

step "X-Session-* and X-Replace-Session are stripped from every response"
req "/cgi-bin/do.py?$(do_query 'X-Session-Set: a=1' 'X-Session-Unset: nothere' 'X-Session-Patch: {"p":{"q":1}}' 'X-Replace-Session: r=1' 'X-Session-Max-Age: 3600' 'X-Other: kept')"
expect_status 200 "session headers"
no_session_headers "session headers"
[ "$(header X-Other)" = kept ] || fail "an ordinary response header was not forwarded"
req /cgi-bin/do.py
expect_json '[s.get("a"), s.get("p"), s.get("r")]' '["1",{"q":1},"1"]' "the stripped headers were applied"

step "X-Session-Patch follows RFC 7396 merge semantics"
req "/cgi-bin/do.py?$(do_query 'X-Session-Patch: {"obj":{"a":1,"b":2,"d":{"x":1}},"arr":[1,2],"del":"x"}')"
expect_status 200 "patch 1"
req "/cgi-bin/do.py?$(do_query 'X-Session-Patch: {"obj":{"b":null,"c":3,"d":{"y":2}},"arr":[3],"del":null}')"
expect_status 200 "patch 2"
req /cgi-bin/do.py
expect_json 's["obj"]' '{"a":1,"c":3,"d":{"x":1,"y":2}}' "merged object"
expect_json 's["arr"]' '[3]' "arrays are replaced, not merged"
expect_json '"del" in s' false "null deletes a key"
expect_json 's["n"]' 4 "untouched key kept"

step "X-Session-Set with = in the value, X-Session-Unset"
req "/cgi-bin/do.py?$(do_query 'X-Session-Set: eq=a=b c' 'X-Session-Unset: a')"
req /cgi-bin/do.py
expect_json 's.get("eq")' 'a=b c' "value with = and space"
expect_json '"a" in s' false "X-Session-Unset"

step "X-Replace-Session (mod_session form): url-decoded, empty value deletes"
req "/cgi-bin/do.py?$(do_query 'X-Replace-Session: r1=hello%20world&r2=x')"
req "/cgi-bin/do.py?$(do_query 'X-Replace-Session: r2=')"
req /cgi-bin/do.py
expect_json 's.get("r1")' 'hello world' "X-Replace-Session value"
expect_json '"r2" in s' false "X-Replace-Session empty value deletes"

step "headers apply in order"
req "/cgi-bin/do.py?$(do_query 'X-Session-Set: o=1' 'X-Session-Unset: o' 'X-Session-Set: o2=1' 'X-Session-Patch: {"o2":"2"}')"
req /cgi-bin/do.py
expect_json '[s.get("o"), s.get("o2")]' '[null,"2"]' "in-order application"

step "HTTP_COOKIE loses our cookie and keeps the others"
val=$(jar_cookie "$JAR" sessionwrap)
req_nojar /cgi-bin/do.py -H "Cookie: a=1; sessionwrap=$val; b=2"
expect_status 200 "request with several cookies"
expect_json 'j["SESSION_NEW"]' 0 "our cookie in the middle of others is still read"
hc=$(body_json 'j.get("HTTP_COOKIE", "")')
case $hc in *sessionwrap*) fail "HTTP_COOKIE still holds the session cookie: $hc" ;; esac
case $hc in *a=1*b=2*) ;; *) fail "HTTP_COOKIE lost the other cookies: '$hc'" ;; esac
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$val"
expect_json '"HTTP_COOKIE" in j and j["HTTP_COOKIE"].strip("; ") != ""' false "HTTP_COOKIE with only our cookie"

step "a client's Session: header never becomes HTTP_SESSION"
req /cgi-bin/do.py -H 'Session: n=666&user=admin'
expect_json '"HTTP_SESSION" in j' false "HTTP_SESSION from a request header"
expect_json 's["n"]' 4 "Session: request header did not change the session"

step "X-Session-Regenerate: new id, same data"
cp "$JAR" "$T/jar.before-regen"
req /cgi-bin/do.py
id1=$(body_json 'j["SESSION_ID"]')
req "/cgi-bin/do.py?$(do_query 'X-Session-Regenerate: 1')"
expect_status 200 "regenerate"
[ -n "$(set_cookie_of sessionwrap)" ] || fail "regenerate sent no new cookie"
req /cgi-bin/do.py
id2=$(body_json 'j["SESSION_ID"]')
[ "$id1" != "$id2" ] || fail "SESSION_ID unchanged after X-Session-Regenerate"
expect_json 's["n"]' 4 "data kept across regenerate"

step "login: new cookie value and id, SESSION_USER visible"
cp "$JAR" "$T/jar.pre-login"
pre=$(jar_cookie "$JAR" sessionwrap)
req /cgi-bin/do.py
pre_id=$(body_json 'j["SESSION_ID"]')
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: alice')"
expect_status 200 "login"
no_session_headers "login"
post=$(jar_cookie "$JAR" sessionwrap)
[ -n "$post" ] && [ "$post" != "$pre" ] || fail "login did not change the cookie value"
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' alice SESSION_USER
[ "$(body_json 'j["SESSION_ID"]')" != "$pre_id" ] || fail "SESSION_ID unchanged by login (fixation)"
req /cgi-bin/counter.sh
grep -q 'user=alice' "$T/out.b" || fail "counter.sh does not see SESSION_USER: $(cat "$T/out.b")"

step "replaying the pre-login cookie gives no logged-in session"
req_nojar /cgi-bin/do.py -H "Cookie: sessionwrap=$pre"
expect_status 200 "pre-login cookie"
expect_json 'j.get("SESSION_USER", "")' '' "SESSION_USER with the pre-login cookie"

step "X-Session-Max-Age is accepted"
req "/cgi-bin/do.py?$(do_query 'X-Session-Max-Age: 7200')"
expect_status 200 "max-age"
req /cgi-bin/do.py
expect_json 'j["SESSION_USER"]' alice "still logged in after X-Session-Max-Age"

step "logout expires the cookie, the next request is anonymous"
req "/cgi-bin/do.py?$(do_query 'X-Session-Logout: 1')"
expect_status 200 "logout"
no_session_headers "logout"
sc=$(set_cookie_of sessionwrap)
echo "$sc" | grep -qi 'Max-Age=0' || fail "logout did not expire the cookie: '$sc'"
[ -z "$(jar_cookie "$JAR" sessionwrap)" ] || fail "curl kept the cookie after logout"
req /cgi-bin/do.py
expect_json 'j["SESSION_NEW"]' 1 "SESSION_NEW after logout"
expect_json 'j.get("SESSION_USER", "")' '' "SESSION_USER after logout"
expect_json 's' '{}' "SESSION after logout"
[ -z "$(set_cookie_of sessionwrap)" ] || fail "cookie set for an empty session after logout"

sw_alive "after the lighttpd session checks"

step "mod_session_compat = on exports HTTP_SESSION, still never from the client"
sw_stop
sw_config mod_session_compat=on
sw_start --threads 2
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Replace-Session: user=bob&x=a%20b' 'X-Session-Patch: {"num":5}')"
expect_status 200 "compat: set"
req /cgi-bin/do.py -H 'Session: evil=1'
expect_status 200 "compat: read"
hs=$(body_json 'j.get("HTTP_SESSION", "")')
case $hs in *evil*) fail "client Session: header leaked into HTTP_SESSION: $hs" ;; esac
case "&$hs&" in *"&user=bob&"*) ;; *) fail "HTTP_SESSION lacks user=bob: '$hs'" ;; esac
case "&$hs&" in *"&x=a%20b&"*|*"&x=a+b&"*) ;; *) fail "HTTP_SESSION lacks url-encoded x: '$hs'" ;; esac
case $hs in *num*) fail "HTTP_SESSION holds a non-string value: $hs" ;; esac
expect_json 's.get("user")' bob "X-Replace-Session in compat mode"

step "cookie_name, cookie_secure = on, cookie_samesite = Strict, cookie_path"
sw_stop
sw_config cookie_name=sid cookie_secure=on cookie_samesite=Strict cookie_path=/cgi-bin/
sw_start
: > "$JAR"
req /cgi-bin/counter.sh
sc=$(set_cookie_of sid)
[ -n "$sc" ] || fail "no Set-Cookie for cookie_name = sid: $(header Set-Cookie)"
echo "$sc" | grep -qi '; *Secure' || fail "cookie_secure = on without Secure: $sc"
echo "$sc" | grep -qi '; *SameSite=Strict' || fail "cookie_samesite = Strict not applied: $sc"
echo "$sc" | grep -qi '; *Path=/cgi-bin/' || fail "cookie_path not applied: $sc"
val=$(echo "$sc" | sed 's/^sid=\([^;]*\).*/\1/')
req_nojar /cgi-bin/do.py -H "Cookie: sid=$val; sessionwrap=other"
expect_json 's.get("n")' 1 "session read from the renamed cookie"
expect_json 'j.get("HTTP_COOKIE", "")' 'sessionwrap=other' "renamed cookie stripped, others kept"

sw_alive "at the end"
pass
