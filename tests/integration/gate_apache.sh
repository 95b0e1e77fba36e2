#!/bin/sh
# The gate through Apache (contrib/apache.conf, mod_proxy_fcgi):
# login_required, path tricks, REMOTE_USER, cross-origin refusal
# (tests/integration/gate_common.sh); and a static folder behind the same
# login through mod_authnz_fcgi (contrib/apache-authnz-fcgi.conf): 302 to the
# login page anonymously, served after a login, refused after logout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd apache2 curl python3 openssl
need_sessionwrap
[ -f /usr/lib/apache2/modules/mod_authnz_fcgi.so ] || skip "Apache mod_authnz_fcgi not installed"
docroot_setup
. "$top_srcdir/tests/integration/gate_common.sh"
gate_setup
sw_secret
[ "$(id -u)" = 0 ] && chown www-data:www-data "$T/secret"
sw_config login_required="/cgi-bin/app/ /cgi-bin/Up/" \
    login_url=/cgi-bin/login.sh csrf_trusted_origins=https://trusted.example
sw_start --threads 4
# The authorizer's TCP listener: a second sessionwrap, same configuration.
AUTHZ_PORT=$(free_port)
PATH="$top_builddir/src:$PATH" setsid $SW_PDEATH $SW_WRAP "$SESSIONWRAP" -c "$T/sw.conf" \
    --listen "127.0.0.1:$AUTHZ_PORT" --threads 2 >>"$T/sessionwrap.log" 2>&1 </dev/null &
AUTHZ_PID=$!
sw_track "$AUTHZ_PID"
wait_for_port "$AUTHZ_PORT" 10 "$AUTHZ_PID"
# Scripts behind Apache's own Basic authentication: its REMOTE_USER stands.
mkdir -p "$SCRIPT_ROOT/basic"
chmod 755 "$SCRIPT_ROOT/basic"
cp "$SCRIPT_ROOT/app/mark.sh" "$SCRIPT_ROOT/basic/mark.sh"
printf 'bob:%s\n' "$(openssl passwd -apr1 bobpw)" > "$T/htpasswd"
chmod 644 "$T/htpasswd"
APACHE_MODULES="authn_core authz_user authnz_fcgi auth_basic authn_file"
APACHE_EXTRA=$(sed -e "s|127.0.0.1:9101|127.0.0.1:$AUTHZ_PORT|g" \
    -e "s|/var/www/sessionwrap|$DOCROOT|g" "$top_srcdir/contrib/apache-authnz-fcgi.conf"
printf '<Directory %s>\nAuthType Basic\nAuthName basic\nAuthBasicProvider file\nAuthUserFile %s\nRequire valid-user\n</Directory>\n' \
    "$SCRIPT_ROOT/basic" "$T/htpasswd")
apache_start
JAR=$T/jar
: > "$JAR"

gate_checks
authorizer_checks 302

step "the web server's own authentication stands over the session's user"
gate_login alice
req /cgi-bin/basic/mark.sh -u bob:bobpw
expect_status 200 "Basic-authenticated script"
grep -q '^ran user=alice remote_user=bob auth_type=Basic ' "$T/out.b" ||
    fail "Basic over a session: $(cat "$T/out.b")"
gate_logout
sw_stop
sw_config login_required=/ login_url=/cgi-bin/login.sh
sw_start --threads 4
next_checks

sw_alive "at the end"
kill -0 "$AUTHZ_PID" 2>/dev/null || fail "the authorizer's sessionwrap died"
kill -0 "$APACHE_PID" 2>/dev/null || fail "apache died"
pass
