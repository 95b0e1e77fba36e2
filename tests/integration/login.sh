#!/bin/sh
# sessionwrap-login through the real lighttpd + sessionwrap (cookie store):
# the form, logins in every htpasswd format, the same answer for an unknown
# user and a wrong password, open-redirect tricks in next, malformed and
# oversized forms, NUL and multi-byte passwords, the template, logout, and
# the throttle (per user, per address, across processes) attacked by floods.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/login_lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
docroot_setup
login_users
login_install "$SCRIPT_ROOT"
sw_secret
sw_config "login_htpasswd=$HTPASSWD" "login_throttle_file=$T/state/throttle" \
    pass_env=SW_LOGIN_CONF
sw_start --threads 4
LIGHTTPD_EXTRA="server.modules += ( \"mod_setenv\" )
setenv.add-environment = ( \"SW_LOGIN_CONF\" => \"$T/sw.conf\" )"
lighttpd_start
L=/cgi-bin/login.cgi
JAR=$T/jar
: > "$JAR"

# from N: curl from source address 127.0.0.N (its own throttle count).
from() { echo "--interface 127.0.0.$1"; }

step "GET: an accessible form carrying a local next"
req "$L?next=%2Fcgi-bin%2Fdo.py%3Fa%3D1%26b%3D2"
expect_status 200 "the form"
grep -qi '^content-type: text/html; charset=utf-8' "$T/out.h" || fail "form not text/html"
grep -qi '^cache-control: no-store' "$T/out.h" || fail "form may be cached"
grep -qi '^x-frame-options: deny' "$T/out.h" || fail "form may be framed"
for s in '<label for="user">' '<label for="password">' 'id="user" name="user"' \
    'id="password" name="password" type="password"' 'autocomplete="username"' \
    'autocomplete="current-password"' '<form method="post" action="/cgi-bin/login.cgi">' \
    'name="next" value="/cgi-bin/do.py?a=1&amp;b=2"'; do
	grep -qF "$s" "$T/out.b" || fail "form lacks $s: $(cat "$T/out.b")"
done
grep -qi '<script' "$T/out.b" && fail "the form needs no script"
req "$L?next=%2F%2Fevil.example"
grep -qF 'name="next" value="/"' "$T/out.b" || fail "a foreign next reached the form"
req "$L?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
grep -qF '<script>alert' "$T/out.b" && fail "next inserted unescaped"
req "$L" -I
expect_status 200 "HEAD"
grep -q "<form" "$T/out.b" && fail "HEAD answered with a body"
req "$L" -X PUT --data x
expect_status 405 "PUT"

step "logins in every htpasswd format: 303 to next, the user in the session"
for up in 'bob:bob+pw' 'amy:amy-pw' 'sam:sam%3Apw' 'cid:cidpw' 'uli:p%C3%A4ss%E2%82%AC'; do
	u=${up%%:*}
	: > "$JAR"
	login_post "$L" "user=$u&password=${up#*:}&next=%2Fcgi-bin%2Fdo.py%3Fx%3D1" $(from 2)
	expect_status 303 "login of $u"
	[ "$(header Location)" = "/cgi-bin/do.py?x=1" ] || fail "login of $u: Location $(header Location)"
	grep -qi '^x-session-' "$T/out.h" && fail "X-Session-Login reached the client"
	[ -n "$(set_cookie_of sessionwrap)" ] || fail "login of $u set no cookie"
	req /cgi-bin/do.py
	expect_json 'j.get("SESSION_USER", "")' "$u" "SESSION_USER after the login of $u"
	req "$L"
	grep -qF "<strong id=\"logged-in\">$u</strong>" "$T/out.b" || fail "form does not show $u logged in"
done

step "logout: the session ends"
login_post "$L" "logout=1&next=%2Fcgi-bin%2Fdo.py" $(from 2)
expect_status 303 "logout"
[ "$(header Location)" = "/cgi-bin/do.py" ] || fail "logout: Location $(header Location)"
req /cgi-bin/do.py
expect_json 'j.get("SESSION_USER", "")' '' "SESSION_USER after logout"

step "wrong password and unknown user: the same status, body and time"
: > "$JAR"
login_post "$L" "user=bob&password=wrong&next=%2Fa" $(from 3)
expect_status 401 "wrong password"
cp "$T/out.b" "$T/wrong.b"
grep -qF 'value="bob"' "$T/wrong.b" || fail "the form again lacks the user name"
login_post "$L" "user=box&password=wrong&next=%2Fa" $(from 3)
expect_status 401 "unknown user"
sed 's/value="bob"/value="box"/' "$T/wrong.b" | cmp -s - "$T/out.b" ||
    fail "unknown user and wrong password answer differently: $(diff "$T/wrong.b" "$T/out.b")"
login_post "$L" "user=&password=&next=%2Fa" $(from 3)
expect_status 401 "empty fields"
# post_flood N ADDR: N parallel wrong passwords of cid from 127.0.0.ADDR;
# prints the sorted statuses.
post_flood() {
	python3 - "$PORT" "$@" <<'PY'
import http.client, sys, threading
port, n, addr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
codes = []
def one(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
        source_address=("127.0.0.%s" % addr, 0))
    c.request("POST", "/cgi-bin/login.cgi", "user=cid&password=nope%d" % i,
        {"Content-Type": "application/x-www-form-urlencoded"})
    codes.append(c.getresponse().status)
    c.close()
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
[t.start() for t in ts]
[t.join() for t in ts]
print(" ".join(str(c) for c in sorted(codes)))
PY
}
# Time, in 4 interleaved rounds, each kind from its own address: a wrong
# password of uli (bcrypt, cost 10), an unknown user, a wrong password of
# sam (SHA, fast). The unknown user must cost what the bcrypt user costs,
# not what the fast one costs (as it would without the decoy hash).
python3 - "$PORT" > "$T/times" <<'PY' || fail "timing the failures: $(cat "$T/times")"
import http.client, statistics, sys, time
port = int(sys.argv[1])
kinds = (("wrong", "uli", 4), ("unknown", "ghost%d", 5), ("fast", "sam", 9))
times = {k: [] for k, _, _ in kinds}
for i in range(4):
    for kind, user, addr in kinds:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
            source_address=("127.0.0.%d" % addr, 0))
        t = time.monotonic()
        c.request("POST", "/cgi-bin/login.cgi",
            "user=%s&password=nope%d" % (user.replace("%d", str(i)), i),
            {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        times[kind].append(time.monotonic() - t)
        c.close()
        assert r.status == 401, (kind, r.status)
m = {k: statistics.median(v) for k, v in times.items()}
print("median wrong %.4f unknown %.4f fast %.4f" % (m["wrong"], m["unknown"], m["fast"]))
sys.exit(0 if m["unknown"] - m["fast"] > 0.5 * (m["wrong"] - m["fast"]) else 1)
PY
log "$(cat "$T/times")"

step "next: every open-redirect trick falls back to /"
for n in '%2F%2Fevil.example' 'https%3A%2F%2Fevil.example' '%2F%5Cevil.example' \
    '%5C%5Cevil.example' '%2F%09%2Fevil.example' '%2F%0D%0ASet-Cookie%3A+a%3Db' \
    '%252f%252fevil.example' '%2F%252f%252fevil.example' '%2F%255cevil.example' \
    '%2F%25%32%66evil' 'evil.example' '%2F+%2Fevil' '%2Fa%5Cb' '%2F%C3%A9'; do
	: > "$JAR"
	login_post "$L" "user=sam&password=sam%3Apw&next=$n" $(from 6)
	expect_status 303 "login with next=$n"
	[ "$(header Location)" = / ] || fail "next=$n: redirected to $(header Location)"
done

step "malformed and oversized forms: 400, no login"
: > "$JAR"
big=$(python3 -c 'print("user=sam&password=sam%3Apw&x=" + "a" * 9000)')
for body in 'user=sam&password=sam%3Apw%00' 'user=sam%00&password=sam%3Apw' \
    'user=sam&password=%zz' 'user=sam&password=%ff%fe' 'user=sam&user=bob&password=x' \
    'user=sam&&password=sam%3Apw' 'user=sa%0am&password=x' 'user=sam&password=sam%3Apw&' \
    "$big"; do
	login_post "$L" "$body" $(from 7)
	expect_status 400 "form $(echo "$body" | cut -c1-40)"
	[ -z "$(set_cookie_of sessionwrap)" ] || fail "a malformed form set a cookie"
done
req "$L" -H 'Content-Type: text/plain' --data-binary 'user=sam&password=sam%3Apw' $(from 7)
expect_status 400 "text/plain form"
req "$L" -H 'Content-Type: multipart/form-data; boundary=x' --data-binary 'user=sam' $(from 7)
expect_status 400 "multipart form"
# A NUL byte in the raw body.
printf 'user=sam&password=sam:pw\000' > "$T/nul.body"
req "$L" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$T/nul.body" $(from 7)
expect_status 400 "raw NUL in the form"
login_post "$L" 'user=uli&password=pa%CC%88ss%E2%82%AC' $(from 7)
expect_status 401 "the NFD spelling of a UTF-8 password"
login_post "$L" 'user=sam&password=sam%3Apw' $(from 7)
expect_status 303 "a good form after the bad ones"

step "the template: fields inserted escaped"
printf '<html><body><p>{{message}}</p><form action="{{action}}"><input name="user" value="{{user}}"><input name="next" value="{{next}}"></form>custom-template</body></html>\n' > "$T/login.html"
echo "login_template = $T/login.html" >> "$T/sw.conf"
login_post "$L" 'user=%3Cscript%3Ex%27%22&password=x&next=%2Fa%3Fb%3D%22' $(from 8)
expect_status 401 "template page"
grep -qF 'custom-template' "$T/out.b" || fail "template not used: $(cat "$T/out.b")"
grep -qF 'value="&lt;script&gt;x&#39;&quot;"' "$T/out.b" || fail "user not escaped: $(cat "$T/out.b")"
grep -qF 'value="/a?b=&quot;"' "$T/out.b" || fail "next not escaped: $(cat "$T/out.b")"
echo "login_template = $T/missing.html" >> "$T/sw.conf"
req "$L"
expect_status 500 "a template that is missing"
grep -v '^login_template' "$T/sw.conf" > "$T/sw.conf.new" && mv "$T/sw.conf.new" "$T/sw.conf"

step "flood of one user: 429 after 5 failures, from any address; others go on"
for i in 1 2 3 4 5; do
	login_post "$L" "user=amy&password=bad$i" $(from 10)
	expect_status 401 "failure $i of amy"
done
login_post "$L" 'user=amy&password=amy-pw' $(from 10)
expect_status 429 "amy's right password after 5 failures"
[ "$(header Retry-After)" = 900 ] || fail "429 without Retry-After: 900"
[ -z "$(set_cookie_of sessionwrap)" ] || fail "a refused login set a cookie"
login_post "$L" 'user=amy&password=amy-pw' $(from 11)
expect_status 429 "amy from another address"
: > "$JAR"
login_post "$L" 'user=sam&password=sam%3Apw' $(from 12)
expect_status 303 "another user from another address"
login_post "$L" 'user=bob&password=bob+pw' $(from 10)
expect_status 303 "another user from the flooding address"

step "flood from one address: 429 after 20 failures, other addresses go on"
for i in $(seq 1 20); do
	login_post "$L" "user=nobody$i&password=x" $(from 13)
	expect_status 401 "failure $i from 127.0.0.13"
done
login_post "$L" 'user=sam&password=sam%3Apw' $(from 13)
expect_status 429 "a right password from the flooding address"
login_post "$L" 'user=sam&password=sam%3Apw' $(from 14)
expect_status 303 "the same user from another address"

step "parallel flood: the count holds across processes"
post_flood 12 16 > "$T/par"
[ "$(cat "$T/par")" = "401 401 401 401 401 429 429 429 429 429 429 429" ] ||
    fail "12 parallel failures of one user: $(cat "$T/par") (want five 401)"
login_post "$L" 'user=cid&password=cidpw' $(from 15)
expect_status 429 "cid after the parallel flood"

step "no leftover processes, the throttle file private"
[ "$(stat -c %a "$T/state/throttle")" = 600 ] || fail "throttle file mode $(stat -c %a "$T/state/throttle")"
sw_alive || fail "sessionwrap died"
pass
