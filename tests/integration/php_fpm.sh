#!/bin/sh
# PHP under Debian's php-fpm behind sessionwrap (upstream = unix:...), with
# the pool's defaults (pm.max_children = 5 against upstream_connections 16),
# through lighttpd, Apache (mod_proxy_fcgi) and nginx, each from its
# contrib/*-php.conf snippet: a counter over examples/session.php, login,
# logout, the session cookie hidden from PHP (other cookies kept), a 20 MB
# upload echoed back and a 20 MB download intact, a hanging script answered
# 504 at handler_timeout, 50 concurrent writers of one session all kept
# (merge mode, memcached store). Then php-fpm stopped (502 at once) and restarted under load
# (requests recover without restarting sessionwrap).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/php.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd apache2 nginx curl python3 memcached
stores_init
need_sessionwrap
docroot_setup
mkdir -p "$DOCROOT/php"
cp "$top_srcdir"/tests/integration/php/*.php "$top_srcdir/examples/session.php" "$DOCROOT/php/"
chmod 755 "$DOCROOT/php"
chmod 644 "$DOCROOT"/php/*
fpm_start
# A server store: concurrent writers of one session merge there.
MC=$(free_port)
mc_start 1 "$MC"
sw_secret
sw_config upstream="unix:$FPM_SOCK" handler_timeout=3 store="memcached://127.0.0.1:$MC"
# More threads than the pool has workers: surplus connections must not hang.
sw_start --threads 16
head -c 20971520 /dev/urandom > "$T/up.bin"

# Snippets with our paths: sessionwrap's php socket is $SW_SOCK.
for f in lighttpd nginx apache; do
	sed -e "s|/var/www/sessionwrap|$DOCROOT|g" \
	    -e "s|/run/sessionwrap/php.sock|$SW_SOCK|g" \
	    "$top_srcdir/contrib/$f-php.conf" > "$T/$f-php.conf"
done

# sha256 of a file.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# check SERVER: the session checks through $BASE.
check() {
	JAR=$T/jar.$1
	: > "$JAR"
	for i in 1 2 3; do
		req /php/counter.php
		expect_status 200 "$1 counter $i"
		grep -q "^n=$i user= " "$T/out.b" || fail "$1 counter $i: $(cat "$T/out.b")"
		grep -qi '^x-session-' "$T/out.h" && fail "$1: X-Session-* header reached the client"
	done
	pre=$(jar_cookie "$JAR" sessionwrap)

	req "/php/login.php?user=alice"
	expect_status 200 "$1 login"
	c=$(jar_cookie "$JAR" sessionwrap)
	[ -n "$c" ] && [ "$c" != "$pre" ] || fail "$1: login did not change the cookie"
	req /php/counter.php
	grep -q "^n=4 user=alice " "$T/out.b" || fail "$1 after login: $(cat "$T/out.b")"
	c=$(jar_cookie "$JAR" sessionwrap)

	req_nojar /php/env.php -H "Cookie: a=1; sessionwrap=$c; b=2"
	expect_status 200 "$1 env"
	python3 - "$T/out.b" <<'PY' || fail "$1: what PHP saw is wrong"
import json, sys
j = json.load(open(sys.argv[1]))
s, c = j["server"], j["cookie"]
ok = True
def want(cond, what):
    global ok
    if not cond:
        print("env.php:", what, file=sys.stderr)
        ok = False
want(s.get("HTTP_COOKIE") == "a=1; b=2", "HTTP_COOKIE %r" % s.get("HTTP_COOKIE"))
want(c == {"a": "1", "b": "2"}, "$_COOKIE %r" % c)
want(not any("sessionwrap=" in str(v) for v in s.values()), "the cookie in $_SERVER")
want(s.get("SESSION_USER") == "alice", "SESSION_USER")
want(json.loads(s.get("SESSION", "null")) == {"n": 4}, "SESSION %r" % s.get("SESSION"))
want(len(s.get("SESSION_ID", "")) > 20, "SESSION_ID")
want("HTTP_SESSION" not in s, "HTTP_SESSION")
sys.exit(0 if ok else 1)
PY

	req "/php/login.php?logout"
	expect_status 200 "$1 logout"
	set_cookie_of sessionwrap | grep -qi 'Max-Age=0' || fail "$1: logout kept the cookie: $(set_cookie_of sessionwrap)"
	req /php/counter.php
	grep -q '^n=1 user= new=1' "$T/out.b" || fail "$1 after logout: $(cat "$T/out.b")"

	# 20 MB each way.
	code=$(curl -sS --max-time 60 -o "$T/down.bin" -w '%{http_code}' \
	    -H 'Content-Type: application/octet-stream' --data-binary "@$T/up.bin" \
	    "$BASE/php/echo.php") || code=000
	[ "$code" = 200 ] || fail "$1: 20 MB upload: status $code"
	[ "$(sha "$T/down.bin")" = "$(sha "$T/up.bin")" ] ||
	    fail "$1: 20 MB upload came back as $(wc -c < "$T/down.bin") other bytes"
	code=$(curl -sS --max-time 60 -o "$T/down.bin" -w '%{http_code}' \
	    "$BASE/php/echo.php?mb=20") || code=000
	[ "$code" = 200 ] || fail "$1: 20 MB download: status $code"
	[ "$(sha "$T/down.bin")" = "$want_down" ] ||
	    fail "$1: 20 MB download: $(wc -c < "$T/down.bin") bytes, not the pattern"

	# A script that hangs: 504 at handler_timeout (3 s).
	t0=$(date +%s)
	req_nojar /php/hang.php
	t1=$(date +%s)
	expect_status 504 "$1 hanging script"
	[ $((t1 - t0)) -le 6 ] || fail "$1: the 504 took $((t1 - t0)) s"

	# 50 concurrent writers of one session: every key kept.
	: > "$JAR"
	req /php/write.php?k=first
	c=$(jar_cookie "$JAR" sessionwrap)
	[ -n "$c" ] || fail "$1: no session for the writers"
	burst_get 50 "$BASE/php/write.php?k=NUM" -b "sessionwrap=$c" ||
	    fail "$1: concurrent writers:$CODES"
	req /php/write.php
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
missing = [k for k in range(50) if not isinstance(d, dict) or d.get("w%d" % k) != 1]
sys.exit("missing: %s" % missing if missing else 0)' "$T/out.b" ||
	    fail "$1: writes of concurrent requests lost"
	sw_alive "$1"
}

want_down=$(python3 -c 'import hashlib
c = (hashlib.sha256(b"sessionwrap").hexdigest() * 1024).encode()
print(hashlib.sha256(c * 320).hexdigest())')

step "lighttpd"
LIGHTTPD_EXTRA="include \"$T/lighttpd-php.conf\"" lighttpd_start
check lighttpd

step "php-fpm stopped: 502 at once"
fpm_stop
t0=$(date +%s)
req_nojar /php/counter.php
t1=$(date +%s)
expect_status 502 "php-fpm down"
[ $((t1 - t0)) -le 1 ] || fail "the 502 took $((t1 - t0)) s"

step "php-fpm restarted under load: requests recover"
fpm_start
burst_get 40 "$BASE/php/counter.php?NUM" || fail "after the restart:$CODES"
( burst_get 300 "$BASE/php/counter.php?NUM" ) &
load=$!
sleep 0.3
fpm_stop
fpm_start
wait "$load"
burst_get 40 "$BASE/php/counter.php?NUM" || fail "after a restart under load:$CODES"
sw_alive "php-fpm restarts"
kill "$LIGHTTPD_PID"

step "Apache (mod_proxy_fcgi)"
APACHE_EXTRA="Include $T/apache-php.conf" apache_start
check apache
kill "$APACHE_PID"

step "nginx"
NGINX_SERVER_EXTRA="include $T/nginx-php.conf;" nginx_start
check nginx

grep -q 'PHP' "$T/sessionwrap.log" >/dev/null 2>&1 || true
pass
