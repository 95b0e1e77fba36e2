#!/bin/sh
# Sessions through Apache 2.4 + mod_fcgid (contrib/apache-fcgid.conf): Apache
# spawns sessionwrap itself through FcgidWrapper, configured by
# FcgidInitialEnv SESSIONWRAP_CONF. And WebSockets through mod_proxy_wstunnel
# (contrib/apache-ws.conf): logging out closes the session's sockets with 4001
# (tests/integration/ws_logout.py).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd apache2 curl python3
need_sessionwrap
[ -f /usr/lib/apache2/modules/mod_fcgid.so ] || skip "libapache2-mod-fcgid not installed"
[ -f /usr/lib/apache2/modules/mod_proxy_wstunnel.so ] || skip "Apache mod_proxy_wstunnel not installed"
PY=$(ws_python) || exit $?
# Copies that www-data can reach wherever the build is: the sessionwrap
# mod_fcgid spawns, and the sessionwrap-ctl the test scripts call.
mkdir -p "$T/swbin"
cp "$SESSIONWRAP" "$T/swbin/sessionwrap"
cp "$SESSIONWRAP_CTL" "$T/swbin/sessionwrap-ctl"
chmod 755 "$T/swbin" "$T/swbin/sessionwrap" "$T/swbin/sessionwrap-ctl"
SESSIONWRAP_CTL=$T/swbin/sessionwrap-ctl
docroot_setup
sw_secret
# As root, Apache's children (and so the sessionwrap processes mod_fcgid
# spawns) run as www-data: it must read the secret, and reach the binary.
if [ "$(id -u)" = 0 ]; then
	chown www-data:www-data "$T/secret"
fi
sw_config ws_control="$T/ws.ctl"
mkdir -p "$T/fcgid"
[ "$(id -u)" = 0 ] && chown www-data "$T/fcgid"
ws_start
# The control socket is mode 0660: sessionwrap, now www-data, must be in its
# group (as a deployment runs sessionwrap-ws with Group=www-data).
[ "$(id -u)" = 0 ] && chgrp www-data "$T/ws.ctl"

sed -e "s|/var/www/sessionwrap|$DOCROOT|g" \
    -e "s|/usr/local/bin/sessionwrap|$T/swbin/sessionwrap|g" \
    -e "s|/etc/sessionwrap.conf|$T/sw.conf|g" \
    "$top_srcdir/contrib/apache-fcgid.conf" > "$T/apache-fcgid-site.conf"
sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
    "$top_srcdir/contrib/apache-ws.conf" > "$T/apache-ws-site.conf"
APACHE_SITES=none
APACHE_MODULES="fcgid proxy_wstunnel"
APACHE_EXTRA="FcgidIPCDir $T/fcgid
FcgidProcessTableFile $T/fcgid/shm
Include $T/apache-fcgid-site.conf
Include $T/apache-ws-site.conf"
apache_start
JAR=$T/jar
: > "$JAR"

step "mod_fcgid spawns sessionwrap; lazy cookie; environment"
req /cgi-bin/do.py
expect_status 200 "first request"
expect_json 'j["SESSION_NEW"]' 1 SESSION_NEW
expect_json 'j["SCRIPT_FILENAME"]' "$SCRIPT_ROOT/do.py" SCRIPT_FILENAME
[ -z "$(set_cookie_of sessionwrap)" ] || fail "Set-Cookie before the session has data"
pgrep -f "^$T/swbin/sessionwrap" >/dev/null || fail "no sessionwrap process spawned by mod_fcgid"

step "missing script, request body"
req /cgi-bin/missing.sh
expect_status 404 "missing script"
head -c 300000 /dev/urandom > "$T/body"
req /cgi-bin/echo.sh --data-binary "@$T/body" -H 'Content-Type: application/octet-stream'
expect_status 200 "POST body"
[ "$(cat "$T/out.b")" = "$(sha256sum < "$T/body" | cut -d' ' -f1)" ] ||
    fail "the script read a different body"

step "counter, X-Session-* headers stripped"
web_counter

step "login changes the cookie; replaying the old one is not logged in"
web_login fred

step "parallel requests (mod_fcgid starts more processes)"
pids=
for i in 1 2 3 4 5 6; do
	curl -sS --max-time 30 -o "$T/par$i" "$BASE/cgi-bin/do.py" &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
for i in 1 2 3 4 5 6; do
	grep -q '"SESSION_NEW"' "$T/par$i" || fail "parallel request $i: $(head -c 200 "$T/par$i")"
done

step "logout expires the cookie; the next request is anonymous"
web_logout

step "WebSocket through mod_proxy_wstunnel: logout closes the session's sockets with 4001"
BASE=$BASE SW_CTL="$SESSIONWRAP_CTL" SW_CONF="$T/sw.conf" \
    "$PY" "$top_srcdir/tests/integration/ws_logout.py" ||
    fail "ws_logout.py through Apache failed"
kill -0 "$WS_PID" 2>/dev/null || fail "sessionwrap-ws died"

step "stopping Apache stops the sessionwrap processes it spawned"
kill -TERM "$APACHE_PID"
wait "$APACHE_PID" 2>/dev/null
n=0
while pgrep -f "^$T/swbin/sessionwrap" >/dev/null; do
	n=$((n + 1))
	if [ $n -ge 100 ]; then
		for p in $(pgrep -f "^$T/swbin/sessionwrap"); do kill -KILL "$p"; done
		fail "sessionwrap outlived Apache by 10 s"
	fi
	sleep 0.1
done
pass
