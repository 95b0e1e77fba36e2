#!/bin/sh
# Under CGI the command line is the client's: Apache's mod_cgi turns a query
# string without '=' into argv words (the CVE-2012-1823 class). Through real
# Apache mod_cgi + mod_actions with contrib/apache-cgi.conf as shipped (paths
# substituted), no query string may set a key, name a file or print usage.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd apache2 curl python3
need_sessionwrap
docroot_setup
install_scripts "$DOCROOT/cgi"
sw_secret
# As root Apache's children (and so CGI-mode sessionwrap) run as www-data.
if [ "$(id -u)" = 0 ]; then
	chown www-data:www-data "$T/secret"
fi
SW_CONF=$T/sw-cgi.conf SCRIPT_ROOT=$DOCROOT/cgi sw_config
mkdir -p "$T/swcgi"
cp "$SESSIONWRAP" "$T/swcgi/sessionwrap"
chmod 755 "$T/swcgi" "$T/swcgi/sessionwrap"

# What the attacker wants run: the POST body for a shell, and a script
# outside script_root reached through a link inside it.
MARK=$T/state/pwned
printf '#!/bin/sh\ntouch %s\nprintf "Content-Type: text/plain\\r\\n\\r\\npwned\\n"\n' \
    "$MARK" > "$T/body.sh"
mkdir -p "$T/outside"
cp "$T/body.sh" "$T/outside/mark.sh"
chmod 755 "$T/outside" "$T/outside/mark.sh"
ln -s "$T/outside/mark.sh" "$DOCROOT/cgi/link.sh"

APACHE_SITES=none
APACHE_EXTRA="Include $T/apache-cgi-site.conf"
apache_start
grep -q 'Action sessionwrap-script "/sessionwrap-cgi/sessionwrap"' "$T/apache-cgi-site.conf" ||
    fail "contrib/apache-cgi.conf no longer has the Action this test attacks"
JAR=$T/jar
: > "$JAR"

# no_mark WHAT: fail if the attacker's program ran.
no_mark() {
	[ ! -e "$MARK" ] || fail "$1: the attacker's program ran (argv was read)"
}

# no_usage WHAT: fail if the response holds sessionwrap's usage text.
no_usage() {
	! grep -qi 'usage: sessionwrap\|configuration keys' "$T/out.h" "$T/out.b" ||
	    fail "$1: sessionwrap printed its usage (argv was read)"
}

step "control: the Action URL runs the wrapped script as CGI"
req /cgi/counter.sh
expect_status 200 "counter through the Action"
grep -q '^n=1 ' "$T/out.b" || fail "counter: $(cat "$T/out.b")"

step "POST /sessionwrap-cgi/sessionwrap?--handler%3D/bin/sh runs nothing"
req '/sessionwrap-cgi/sessionwrap?--handler%3D/bin/sh' --data-binary "@$T/body.sh"
no_mark "direct --handler"
expect_status 403 "direct request of the binary (outside script_root)"

step "the same through the Action URL of a wrapped script"
req '/cgi/counter.sh?--handler%3D/bin/sh' --data-binary "@$T/body.sh"
no_mark "Action --handler"
expect_status 200 "Action with --handler in the query"
grep -q '^n=2 ' "$T/out.b" || fail "Action --handler: the script did not run: $(cat "$T/out.b")"

step "?--script_root%3D/ does not widen script_root"
req '/cgi/link.sh?--script_root%3D/'
no_mark "Action --script_root"
expect_status 403 "a link out of script_root with --script_root=/ in the query"
req '/sessionwrap-cgi/sessionwrap?--script_root%3D/'
no_mark "direct --script_root"
expect_status 403 "direct request with --script_root=/"

step "?--help prints no usage"
req '/cgi/counter.sh?--help'
no_usage "Action --help"
expect_status 200 "Action with --help"
grep -q '^n=3 ' "$T/out.b" || fail "Action --help: $(cat "$T/out.b")"
req '/sessionwrap-cgi/sessionwrap?--help'
no_usage "direct --help"
expect_status 403 "direct request with --help"
req '/cgi/counter.sh?-V'
grep -q "^sessionwrap [0-9]" "$T/out.b" "$T/out.h" && fail "-V printed the version (argv was read)"
expect_status 200 "Action with -V"

step "?-c+FILE and ?--key%3Dvalue set nothing"
req '/cgi/counter.sh?-c+/dev/null'
expect_status 200 "Action with -c /dev/null (a file without secret_file)"
req '/cgi/counter.sh?--cookie_name%3Dpwned'
expect_status 200 "Action with --cookie_name"
[ -z "$(set_cookie_of pwned)" ] || fail "--cookie_name from the query string named the cookie"
[ -n "$(set_cookie_of sessionwrap)" ] || fail "no session cookie: $(cat "$T/out.h")"
no_mark "at the end"

step "no GATEWAY_INTERFACE, no listen, fd 0 no socket: refused, not run as CGI"
env -u GATEWAY_INTERFACE REQUEST_METHOD=GET SCRIPT_FILENAME="$DOCROOT/cgi/counter.sh" \
    "$SESSIONWRAP" -c "$T/sw-cgi.conf" </dev/null >"$T/nogw.out" 2>"$T/nogw.err" &&
    fail "sessionwrap ran without a socket and without GATEWAY_INTERFACE"
grep -q 'GATEWAY_INTERFACE' "$T/nogw.err" || fail "no clear error: $(cat "$T/nogw.err")"
[ ! -s "$T/nogw.out" ] || fail "printed a response: $(cat "$T/nogw.out")"

step "GATEWAY_INTERFACE set: the command line is ignored locally too"
GATEWAY_INTERFACE=CGI/1.1 SESSIONWRAP_CONF=$T/sw-cgi.conf REQUEST_METHOD=GET \
    SCRIPT_FILENAME="$DOCROOT/cgi/counter.sh" \
    "$SESSIONWRAP" --help --handler=/bin/sh </dev/null >"$T/gw.out" 2>"$T/gw.err"
grep -q 'usage' "$T/gw.out" && fail "--help printed usage under GATEWAY_INTERFACE"
grep -q '^n=1 ' "$T/gw.out" || fail "not run as CGI: $(cat "$T/gw.out" "$T/gw.err")"
pass
