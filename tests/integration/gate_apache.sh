#!/bin/sh
# The gate through Apache (contrib/apache.conf, mod_proxy_fcgi; and plain
# CGI under mod_cgi + Action, contrib/apache-cgi.conf):
# login_required, path tricks, REMOTE_USER, cross-origin refusal
# (tests/integration/gate_common.sh); and a static folder behind the same
# login through mod_authnz_fcgi (contrib/apache-authnz-fcgi.conf): 302 to the
# login page anonymously, served after a login, refused after logout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd apache2 curl python3 openssl
need_sessionwrap
[ -f /usr/lib/apache2/modules/mod_authnz_fcgi.so ] || skip "Apache mod_authnz_fcgi not installed"
. "$top_srcdir/tests/integration/gate_common.sh"
gate_setup
# The authorizer's TCP listener: a second sessionwrap, same configuration
# (started again with it by gate_restart).
AUTHZ_PORT=$(free_port)
gate_restarted() {
	if [ -n "$AUTHZ_PID" ]; then
		kill -TERM "$AUTHZ_PID" 2>/dev/null
		wait "$AUTHZ_PID" 2>/dev/null
	fi
	PATH="$top_builddir/src:$PATH" setsid $SW_PDEATH $SW_WRAP "$SESSIONWRAP" -c "$T/sw.conf" \
	    --listen "127.0.0.1:$AUTHZ_PORT" --threads 2 >>"$T/sessionwrap.log" 2>&1 </dev/null &
	AUTHZ_PID=$!
	sw_track "$AUTHZ_PID"
	wait_for_port "$AUTHZ_PORT" 10 "$AUTHZ_PID"
}
AUTHZ_PID=
gate_restarted
# Scripts behind Apache's own Basic authentication: its REMOTE_USER stands.
mkdir -p "$SCRIPT_ROOT/basic"
chmod 755 "$SCRIPT_ROOT/basic"
cp "$SCRIPT_ROOT/app/mark.sh" "$SCRIPT_ROOT/basic/mark.sh"
printf 'bob:%s\n' "$(openssl passwd -apr1 bobpw)" > "$T/htpasswd"
chmod 644 "$T/htpasswd"
# Plain CGI under mod_cgi + Action (contrib/apache-cgi.conf): the target
# is PATH_INFO there.
install_scripts "$DOCROOT/cgi"
cp -R "$SCRIPT_ROOT/app" "$DOCROOT/cgi/app"
SW_CONF=$T/sw-cgi.conf SCRIPT_ROOT=$DOCROOT/cgi sw_config login_required=/cgi/app/ \
    login_url=/cgi/login.sh
mkdir -p "$T/swcgi"
cp "$SESSIONWRAP" "$T/swcgi/sessionwrap"
chmod 755 "$T/swcgi/sessionwrap"
APACHE_MODULES="authn_core authz_user authnz_fcgi auth_basic authn_file"
APACHE_EXTRA=$(sed -e "s|127.0.0.1:9101|127.0.0.1:$AUTHZ_PORT|g" \
    -e "s|/var/www/sessionwrap|$DOCROOT|g" "$top_srcdir/contrib/apache-authnz-fcgi.conf"
printf '<Directory %s>\nAuthType Basic\nAuthName basic\nAuthBasicProvider file\nAuthUserFile %s\nRequire valid-user\n</Directory>\n' \
    "$SCRIPT_ROOT/basic" "$T/htpasswd")
apache_start
JAR=$T/jar
: > "$JAR"

step "plain CGI through Action: the gate, the login page, REMOTE_USER"
rm -f "$MARK"
req /cgi/app/mark.sh
expect_status 302 "CGI: anonymous GET"
case $(header Location) in
*/cgi/login.sh?next=%2Fcgi%2Fapp%2Fmark.sh) ;;
*) fail "CGI: Location: $(header Location)" ;;
esac
not_run "CGI: anonymous GET"
for p in /cgi//app/mark.sh /cgi/./app/mark.sh /cgi/%61pp/mark.sh /cgi/x/../app/mark.sh \
    /cgi/login.sh/../app/mark.sh; do
	refused_anon "$p"
done
req /cgi/login.sh?user=carol
expect_status 200 "CGI: login page"
req /cgi/app/mark.sh
expect_status 200 "CGI: logged-in GET"
grep -q '^ran user=carol remote_user=carol auth_type=Session ' "$T/out.b" ||
    fail "CGI: logged-in GET: $(cat "$T/out.b")"
req /cgi/login.sh?logout=1
req /cgi/app/mark.sh
expect_status 302 "CGI: after logout"

step "the web server's own authentication stands over the session's user"
gate_login alice
req /cgi-bin/basic/mark.sh -u bob:bobpw
expect_status 200 "Basic-authenticated script"
grep -q '^ran user=alice remote_user=bob auth_type=Basic ' "$T/out.b" ||
    fail "Basic over a session: $(cat "$T/out.b")"
gate_logout

gate_all

sw_alive "at the end"
kill -0 "$AUTHZ_PID" 2>/dev/null || fail "the authorizer's sessionwrap died"
kill -0 "$APACHE_PID" 2>/dev/null || fail "apache died"
pass
