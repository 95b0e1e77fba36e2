#!/bin/sh
# sessionwrap-ctl get: reads no configuration (a script cannot read the
# site's file, and get must not fail for it), never prints a control
# character (a value echoed into a header must not add headers), and its
# exit statuses tell an absent key from an error; then the same through
# lighttpd with a script following the README's pattern.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
docroot_setup
sw_secret
JAR=$T/jar

step "get: exit statuses and output, without a readable configuration"
# The site's file unreadable (here: absent); get must not look at it.
export SESSIONWRAP_CONF="$T/no-such.conf"
SESSION='{"n":5,"s":"plain text","crlf":"a\r\nX-Session-Login: admin","lf":"a\nb","tab":"a\tb","esc":"\u001b[2J","del":"a\u007f","o":{"k":"a\nb"}}'
export SESSION
# key  exit  stdout
while read -r key want out; do
	[ "$out" = - ] && out=
	got=$("$SESSIONWRAP_CTL" get "$key" 2>"$T/err"); rc=$?
	[ "$rc" = "$want" ] || fail "get $key: exit $rc, expected $want: $(cat "$T/err")"
	[ "$got" = "$out" ] || fail "get $key: printed '$got', expected '$out'"
done <<'CASES'
n 0 5
s 0 plain text
crlf 3 -
lf 3 -
tab 3 -
esc 3 -
del 3 -
o 0 {"k":"a\nb"}
absent 1 -
CASES
"$SESSIONWRAP_CTL" get >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "get without a key: exit $rc, expected 2"
"$SESSIONWRAP_CTL" -c "$T/no-such.conf" get n > "$T/out" 2>"$T/err" ||
    fail "get with -c of a missing file: $(cat "$T/err")"
[ "$(cat "$T/out")" = 5 ] || fail "get with -c: printed $(cat "$T/out")"
SESSION='[1]' "$SESSIONWRAP_CTL" get n >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "get with a non-object \$SESSION: exit $rc, expected 2"
unset SESSION
"$SESSIONWRAP_CTL" get n >/dev/null 2>"$T/err"; rc=$?
[ "$rc" = 2 ] || fail "get without \$SESSION: exit $rc, expected 2 (not 'absent')"
unset SESSIONWRAP_CONF

step "through lighttpd: a value with CR LF is not echoed into the headers"
sw_config
sw_start
lighttpd_start
: > "$JAR"
req /cgi-bin/greet.sh
expect_status 200 "greet without a value"
[ "$(header X-Greet)" = hello ] || fail "default greeting: '$(header X-Greet)'"
req "/cgi-bin/do.py?$(do_query 'X-Session-Patch: {"greet":"hi"}')"
expect_status 200 "set greet"
req /cgi-bin/greet.sh
expect_status 200 "greet with a value (the site configuration unreadable)"
[ "$(header X-Greet)" = hi ] || fail "greeting: '$(header X-Greet)'"
req "/cgi-bin/do.py?$(do_query 'X-Session-Patch: {"greet":"hi\r\nX-Session-Login: admin"}')"
expect_status 200 "set a greeting with CR LF"
req /cgi-bin/greet.sh
expect_status 500 "greet refuses the value (an error, not a default)"
req /cgi-bin/do.py
expect_json 'j.get("SESSION_USER", "")' '' "a value echoed into a header logged the session in"
expect_json 's["greet"] == "hi\r\nX-Session-Login: admin"' true "the value itself is kept"
sw_alive "after the get requests"
pass
