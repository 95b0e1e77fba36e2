#!/bin/sh
# The gate through lighttpd: login_required sends anonymous visitors to
# login_url (302, next=) or refuses them (401) without running the script,
# whatever path tricks they try; a logged-in request gets REMOTE_USER and
# AUTH_TYPE=Session, never a client's Remote-User header; cross-origin
# unsafe requests get 403; and a static folder sits behind the same login
# through the FastCGI Authorizer role (contrib/lighttpd-authorizer.conf).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
docroot_setup
. "$top_srcdir/tests/integration/gate_common.sh"
gate_setup
sw_secret
[ "$(id -u)" = 0 ] && chown www-data:www-data "$T/secret"
sw_config login_required="/cgi-bin/app/ /cgi-bin/Up/" \
    login_url=/cgi-bin/login.sh csrf_trusted_origins=https://trusted.example
sw_start --threads 4
LIGHTTPD_EXTRA=$(sed -e "s|/run/sessionwrap/sessionwrap.sock|$SW_SOCK|g" \
    -e "s|/var/www/sessionwrap|$DOCROOT|g" "$top_srcdir/contrib/lighttpd-authorizer.conf")
lighttpd_start
JAR=$T/jar
: > "$JAR"

gate_checks
authorizer_checks 302
sw_stop
sw_config login_required=/ login_url=/cgi-bin/login.sh
sw_start --threads 4
next_checks
sw_alive "at the end"
kill -0 "$LIGHTTPD_PID" 2>/dev/null || fail "lighttpd died"
pass
