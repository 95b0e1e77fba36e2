#!/bin/sh
# Sessions through Debian's nginx with contrib/nginx.conf: fastcgi_pass to a
# running sessionwrap, fastcgi_params plus the SCRIPT_FILENAME line; and
# WebSockets with contrib/nginx-ws.conf: logging out closes the session's
# sockets with 4001 (tests/integration/ws_logout.py).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd nginx curl python3
need_sessionwrap
PY=$(ws_python) || exit $?
docroot_setup
# A script under the document root but outside script_root.
cp "$SCRIPTS_SRC/outside.sh" "$DOCROOT/outside.sh"
chmod 755 "$DOCROOT/outside.sh"
sw_secret
sw_config ws_control="$T/ws.ctl"
sw_start --threads 4
ws_start
# contrib/nginx-ws.conf as pasted: its upstream into http { }, its location
# into the server block.
NGINX_HTTP_EXTRA=$(awk '/^upstream /,/^}/' "$top_srcdir/contrib/nginx-ws.conf" |
    sed "s|/run/sessionwrap/ws.sock|$WS_SOCK|g")
NGINX_SERVER_EXTRA=$(awk '/^location /,/^}/' "$top_srcdir/contrib/nginx-ws.conf")
[ -n "$NGINX_HTTP_EXTRA" ] && [ -n "$NGINX_SERVER_EXTRA" ] ||
    fail "contrib/nginx-ws.conf: no upstream or location block found"
nginx_start
JAR=$T/jar
: > "$JAR"

step "static file, missing script, script outside script_root"
req /index.html
expect_status 200 "static file"
grep -q '^static file$' "$T/out.b" || fail "static file body: $(cat "$T/out.b")"
req /cgi-bin/missing.sh
expect_status 404 "missing script"
req /outside.sh
expect_status 403 "script outside script_root"
grep -q '^ran$' "$T/out.b" && fail "the script outside script_root ran"

step "CGI environment from fastcgi_params + SCRIPT_FILENAME"
req '/cgi-bin/do.py?a=1'
expect_status 200 "first request"
expect_json 'j["SCRIPT_FILENAME"]' "$SCRIPT_ROOT/do.py" SCRIPT_FILENAME
expect_json 'j["SCRIPT_NAME"]' /cgi-bin/do.py SCRIPT_NAME
expect_json 'j["QUERY_STRING"]' a=1 QUERY_STRING
expect_json 'j["REQUEST_METHOD"]' GET REQUEST_METHOD
expect_json 'j["SESSION_NEW"]' 1 SESSION_NEW
[ -z "$(set_cookie_of sessionwrap)" ] || fail "Set-Cookie before the session has data"

step "request body reaches the script"
head -c 300000 /dev/urandom > "$T/body"
req /cgi-bin/echo.sh --data-binary "@$T/body" -H 'Content-Type: application/octet-stream'
expect_status 200 "POST body"
[ "$(cat "$T/out.b")" = "$(sha256sum < "$T/body" | cut -d' ' -f1)" ] ||
    fail "the script read a different body"

step "counter, X-Session-* headers stripped"
web_counter
grep -q sessionwrap "$JAR" || fail "no session cookie after the counter"

step "login changes the cookie, user visible, data kept; the pre-login cookie is not logged in"
web_login nina

step "client Session: header not turned into HTTP_SESSION; cookie hidden"
req /cgi-bin/do.py -H 'Session: user=admin'
expect_json '"HTTP_SESSION" in j' false "HTTP_SESSION from a request header"
expect_json '"sessionwrap=" in j.get("HTTP_COOKIE", "")' false "session cookie in HTTP_COOKIE"

step "logout expires the cookie; the next request is anonymous"
web_logout

step "WebSocket through nginx: logout closes the session's sockets with 4001"
BASE=$BASE SW_CTL="$SESSIONWRAP_CTL" SW_CONF="$T/sw.conf" \
    "$PY" "$top_srcdir/tests/integration/ws_logout.py" || fail "ws_logout.py through nginx failed"

sw_alive "at the end"
kill -0 "$WS_PID" 2>/dev/null || fail "sessionwrap-ws died"
kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx died"
pass
