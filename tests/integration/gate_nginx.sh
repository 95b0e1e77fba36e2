#!/bin/sh
# The gate through nginx (contrib/nginx.conf): login_required, path tricks,
# REMOTE_USER, cross-origin refusal (tests/integration/gate_common.sh), and a
# static folder behind the same login through auth_request
# (contrib/nginx-auth-request.conf): 302 to the login page anonymously,
# served after a login, refused after logout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd nginx curl python3
need_sessionwrap
. "$top_srcdir/tests/integration/gate_common.sh"
gate_setup
NGINX_SERVER_EXTRA=$(sed "s|/run/sessionwrap/sessionwrap.sock|$SW_SOCK|g" \
    "$top_srcdir/contrib/nginx-auth-request.conf")
nginx_start
gate_all

step "the auth location is internal; a client cannot claim the role"
req_nojar /.sessionwrap-auth
expect_status 404 "direct request of the auth location"
rm -f "$MARK"
req_nojar /cgi-bin/app/mark.sh -H 'Sessionwrap-Role: auth_request' -H 'Fcgi-Role: AUTHORIZER'
expect_status 302 "anonymous GET with role headers"
not_run "anonymous GET with role headers"

sw_alive "at the end"
kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx died"
pass
