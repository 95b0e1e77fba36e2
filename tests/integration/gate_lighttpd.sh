#!/bin/sh
# The gate through lighttpd: login_required sends anonymous visitors to
# login_url (302, next=) or refuses them (401) without running the script,
# whatever path tricks they try; a logged-in request gets REMOTE_USER and
# AUTH_TYPE=Session, never a client's Remote-User header; cross-origin
# unsafe requests get 403; and a static folder sits behind the same login
# through the FastCGI Authorizer role (contrib/lighttpd-authorizer.conf).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3 memcached
need_sessionwrap
. "$top_srcdir/tests/integration/gate_common.sh"

gate_setup

step "bad gate keys stop start-up and check-config, with the reason"
SW_CONF=$T/bad.conf
export SW_CONF
for kv in login_required=cgi-bin/ login_url=login csrf_trusted_origins=https://a/b \
    csrf_trusted_origins=null; do
	sw_config "$kv"
	"$SESSIONWRAP" -c "$T/bad.conf" --listen "unix:$T/bad.sock" </dev/null >/dev/null 2>"$T/bad.err" &&
	    fail "sessionwrap started with $kv"
	grep -q "${kv%%=*}" "$T/bad.err" || fail "$kv: no clear error: $(cat "$T/bad.err")"
	"$SESSIONWRAP_CTL" -c "$T/bad.conf" check-config >/dev/null 2>"$T/bad.err" &&
	    fail "check-config accepted $kv"
	grep -q "${kv%%=*}" "$T/bad.err" || fail "check-config, $kv: no clear error: $(cat "$T/bad.err")"
done
unset SW_CONF
LIGHTTPD_EXTRA=$(sed -e "s|/run/sessionwrap/sessionwrap.sock|$SW_SOCK|g" \
    -e "s|/var/www/sessionwrap|$DOCROOT|g" "$top_srcdir/contrib/lighttpd-authorizer.conf")
lighttpd_start
# lighttpd passes no header of an Authorizer's 200 on, so no new cookie:
# the refresh needs a server store.
. "$top_srcdir/tests/integration/store_servers.sh"
stores_init
MC_PORT=$(free_port)
mc_start 1 "$MC_PORT"
gate_all "memcached://127.0.0.1:$MC_PORT"
sw_alive "at the end"
kill -0 "$LIGHTTPD_PID" 2>/dev/null || fail "lighttpd died"
pass
