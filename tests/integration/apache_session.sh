#!/bin/sh
# Sessions through Apache 2.4: mod_proxy_fcgi to a running sessionwrap
# (contrib/apache.conf), and mod_cgi + Action running sessionwrap as a plain
# CGI program (contrib/apache-cgi.conf).
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
sw_config
SW_CONF=$T/sw-cgi.conf SCRIPT_ROOT=$DOCROOT/cgi sw_config
cp "$SESSIONWRAP" "$T/swcgi-bin"
mkdir -p "$T/swcgi"
mv "$T/swcgi-bin" "$T/swcgi/sessionwrap"
chmod 755 "$T/swcgi/sessionwrap"
sw_start --threads 4
apache_start
JAR=$T/jar
: > "$JAR"

step "mod_proxy_fcgi: lazy cookie, counter"
req /cgi-bin/do.py
expect_status 200 "first request"
expect_json 'j["SESSION_NEW"]' 1 SESSION_NEW
[ -z "$(set_cookie_of sessionwrap)" ] || fail "Set-Cookie before the session has data"
web_counter

step "mod_proxy_fcgi: login changes the cookie, user visible; the pre-login cookie is not logged in"
web_login carol

step "mod_proxy_fcgi: client Session: header not turned into HTTP_SESSION"
req /cgi-bin/do.py -H 'Session: user=admin'
expect_json '"HTTP_SESSION" in j' false "HTTP_SESSION from a request header"

step "mod_proxy_fcgi: logout"
web_logout

sw_alive "after the mod_proxy_fcgi checks"

step "mod_cgi + Action: sessionwrap as a plain CGI program, counter increments"
: > "$JAR"
for i in 1 2 3; do
	req /cgi/counter.sh
	expect_status 200 "CGI-mode counter $i"
	grep -q "^n=$i " "$T/out.b" || fail "CGI-mode counter request $i: expected n=$i, got: $(cat "$T/out.b")"
	grep -qi '^x-session-' "$T/out.h" && fail "X-Session-* header reached the client (CGI mode)"
done
req /cgi/do.py
expect_json 's.get("n")' 3 "CGI-mode session"

step "mod_cgi + Action: the cookie works in both modes (same secret)"
req /cgi-bin/do.py
expect_json 's.get("n")' 3 "CGI-mode cookie read through FastCGI"

step "mod_cgi + Action: login and logout"
req "/cgi/do.py?$(do_query 'X-Session-Login: dave')"
expect_status 200 "CGI-mode login"
req /cgi/do.py
expect_json 'j["SESSION_USER"]' dave "CGI-mode SESSION_USER"
req "/cgi/do.py?$(do_query 'X-Session-Logout: 1')"
set_cookie_of sessionwrap | grep -qi 'Max-Age=0' || fail "CGI-mode logout did not expire the cookie"
req /cgi/do.py
expect_json 'j["SESSION_NEW"]' 1 "CGI-mode SESSION_NEW after logout"

sw_alive "at the end"
pass
