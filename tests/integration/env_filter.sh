#!/bin/sh
# FastCGI params reach scripts through one allow-list: CGI/1.1 variables,
# HTTP_* except HTTP_PROXY (httpoxy), and what pass_env names; never a loader
# or interpreter hook (LD_*, BASH_ENV, PERL5OPT...), even named in pass_env.
# Through real nginx (every client header becomes a param; fastcgi_param)
# and lighttpd (setenv.add-environment), and sessionwrap-ws's ws_handler.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd nginx lighttpd curl python3 bash
need_sessionwrap
docroot_setup
sw_secret
[ "$(id -u)" = 0 ] && chown www-data:www-data "$T/secret"

# A bash script dumping its environment; BASH_ENV, if it got through, would
# run the marker script first.
MARK=$T/state/bash_env_ran
printf '#!/bin/sh\n/usr/bin/touch %s\n' "$MARK" > "$T/state/hook.sh"
chmod 755 "$T/state/hook.sh"
# Absolute paths: PATH from the web server must not break the dump either.
printf '#!/bin/bash\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nexec /usr/bin/env\n' \
    > "$SCRIPT_ROOT/env.sh"
chmod 755 "$SCRIPT_ROOT/env.sh"

# has VAR: true when the last dumped environment sets VAR.
has() { grep -q "^$1=" "$T/out.b"; }
# value VAR: its value there.
value() { sed -n "s/^$1=//p" "$T/out.b"; }

# check_hooks WHAT: the planted hooks did not reach the script.
check_hooks() {
	expect_status 200 "$1: env.sh"
	has QUERY_STRING || fail "$1: no CGI environment: $(head -c 500 "$T/out.b")"
	for v in LD_PRELOAD LD_LIBRARY_PATH BASH_ENV ENV PERL5OPT PYTHONPATH \
	    NODE_OPTIONS GLIBC_TUNABLES SESSION_USER_FAKE UNNAMED_VAR \
	    GIT_HTTP_EXPORT_ALL; do
		has "$v" && fail "$1: $v reached the script ($(value "$v"))"
	done
	[ ! -e "$MARK" ] || fail "$1: BASH_ENV ran in the script"
	[ "$(value SESSION_USER)" = "" ] || fail "$1: SESSION_USER planted: $(value SESSION_USER)"
	[ "$(value PATH)" != /evil/bin ] || fail "$1: PATH taken from the web server"
	[ "$(value GIT_PROJECT_ROOT)" = /srv/git ] ||
	    fail "$1: GIT_PROJECT_ROOT, named in pass_env, did not pass: '$(value GIT_PROJECT_ROOT)'"
	[ "$(value MY_APP_MODE)" = demo ] ||
	    fail "$1: MY_APP_MODE (pass_env MY_APP_*) did not pass: '$(value MY_APP_MODE)'"
}

step "pass_env naming a hook is refused at start-up, with the reason"
sw_config pass_env="GIT_PROJECT_ROOT LD_PRELOAD"
"$SESSIONWRAP" -c "$T/sw.conf" --listen "unix:$T/bad.sock" </dev/null >/dev/null 2>"$T/bad.err" &&
    fail "sessionwrap started with pass_env = ... LD_PRELOAD"
grep -q 'pass_env: LD_PRELOAD is never passed' "$T/bad.err" ||
    fail "no clear error: $(cat "$T/bad.err")"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" check-config >/dev/null 2>"$T/bad.err" &&
    fail "check-config accepted pass_env = ... LD_PRELOAD"
sw_config pass_env="MY_*"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" check-config >/dev/null 2>"$T/bad.err" ||
    fail "check-config refused pass_env = MY_*: $(cat "$T/bad.err")"

sw_config pass_env="GIT_PROJECT_ROOT MY_APP_*"
sw_start
JAR=

step "nginx: client Proxy: header (httpoxy) and fastcgi_param hooks"
PARAMS="fastcgi_param LD_PRELOAD /nonexistent/x.so;
		fastcgi_param LD_LIBRARY_PATH /tmp;
		fastcgi_param BASH_ENV $T/state/hook.sh;
		fastcgi_param ENV $T/state/hook.sh;
		fastcgi_param PERL5OPT -Mwarnings;
		fastcgi_param PYTHONPATH /tmp;
		fastcgi_param NODE_OPTIONS --require=/tmp/x.js;
		fastcgi_param GLIBC_TUNABLES glibc.malloc.check=3;
		fastcgi_param SESSION_USER admin;
		fastcgi_param SESSION_USER_FAKE admin;
		fastcgi_param PATH /evil/bin;
		fastcgi_param GIT_PROJECT_ROOT /srv/git;
		fastcgi_param GIT_HTTP_EXPORT_ALL 1;
		fastcgi_param MY_APP_MODE demo;
		fastcgi_param UNNAMED_VAR x;"
NGINX_SERVER_EXTRA="	location ^~ /e/ {
		fastcgi_split_path_info ^/e(/.+?\\.sh)(.*)\$;
		include fastcgi_params;
		fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		$PARAMS
		fastcgi_pass unix:$SW_SOCK;
	}"
nginx_start
req /cgi-bin/env.sh -H 'Proxy: http://evil.example:8080' -H 'X-Custom: yes'
expect_status 200 "nginx: env.sh"
has HTTP_PROXY && fail "nginx: HTTP_PROXY (httpoxy) reached the script: $(value HTTP_PROXY)"
[ "$(value HTTP_X_CUSTOM)" = yes ] || fail "nginx: HTTP_X_CUSTOM did not pass"
[ "$(value SCRIPT_FILENAME)" = "$SCRIPT_ROOT/env.sh" ] || fail "nginx: SCRIPT_FILENAME: $(value SCRIPT_FILENAME)"
has REQUEST_URI && has DOCUMENT_ROOT && has REMOTE_PORT && has SERVER_ADDR ||
    fail "nginx: a server variable is missing: $(cat "$T/out.b")"
req /e/cgi-bin/env.sh -H 'Proxy: http://evil.example:8080'
has HTTP_PROXY && fail "nginx /e/: HTTP_PROXY reached the script"
check_hooks "nginx fastcgi_param"

step "lighttpd: setenv.add-environment hooks"
LIGHTTPD_EXTRA="server.modules += ( \"mod_setenv\" )
setenv.add-environment = (
	\"LD_PRELOAD\" => \"/nonexistent/x.so\",
	\"LD_LIBRARY_PATH\" => \"/tmp\",
	\"BASH_ENV\" => \"$T/state/hook.sh\",
	\"ENV\" => \"$T/state/hook.sh\",
	\"PERL5OPT\" => \"-Mwarnings\",
	\"PYTHONPATH\" => \"/tmp\",
	\"NODE_OPTIONS\" => \"--require=/tmp/x.js\",
	\"GLIBC_TUNABLES\" => \"glibc.malloc.check=3\",
	\"SESSION_USER\" => \"admin\",
	\"SESSION_USER_FAKE\" => \"admin\",
	\"PATH\" => \"/evil/bin\",
	\"GIT_PROJECT_ROOT\" => \"/srv/git\",
	\"GIT_HTTP_EXPORT_ALL\" => \"1\",
	\"MY_APP_MODE\" => \"demo\",
	\"UNNAMED_VAR\" => \"x\",
)"
lighttpd_start
req /cgi-bin/env.sh -H 'Proxy: http://evil.example:8080'
has HTTP_PROXY && fail "lighttpd: HTTP_PROXY reached the script"
check_hooks "lighttpd setenv"
sw_alive "after the web servers"

step "sessionwrap-ws: ws_handler gets no HTTP_PROXY; pass_env names its own variables"
PY=$(ws_python) || exit $?
printf '#!/bin/bash\nexec /usr/bin/env\n' > "$T/wsenv.sh"
chmod 755 "$T/wsenv.sh"
sw_config pass_env="GIT_PROJECT_ROOT MY_APP_*" ws_handler="$T/wsenv.sh"
# Variables of its own environment, named in pass_env or not.
export MY_APP_MODE=demo UNNAMED_VAR=x
ws_start
unset MY_APP_MODE UNNAMED_VAR
req /cgi-bin/counter.sh -c "$T/jar"
COOKIE=$(jar_cookie "$T/jar" sessionwrap)
[ -n "$COOKIE" ] || fail "no session cookie for the WebSocket"
"$PY" - "$top_srcdir/tests/integration" "unix:$WS_SOCK" "sessionwrap=$COOKIE" \
    > "$T/out.b" 2>"$T/ws.err" <<'EOF' || fail "WebSocket client: $(cat "$T/ws.err")"
import sys
sys.path.insert(0, sys.argv[1])
from ws_client import CLOSE, Raw

r = Raw(sys.argv[2], cookie=sys.argv[3],
        extra=["Proxy: http://evil.example:8080", "X-Custom: yes"])
assert r.status == 101, "handshake: %d" % r.status
while True:
    fin, op, payload = r.recv_frame()
    if op == CLOSE:
        break
    print(payload.decode())
EOF
has SESSION_WS_ID || fail "ws_handler: no session environment: $(cat "$T/out.b")"
has HTTP_PROXY && fail "ws_handler: HTTP_PROXY reached the handler"
[ "$(value HTTP_X_CUSTOM)" = yes ] || fail "ws_handler: HTTP_X_CUSTOM did not pass"
[ "$(value MY_APP_MODE)" = demo ] || fail "ws_handler: MY_APP_MODE (pass_env) did not pass"
has UNNAMED_VAR && fail "ws_handler: UNNAMED_VAR passed"
pass
