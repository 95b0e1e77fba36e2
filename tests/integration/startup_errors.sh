#!/bin/sh
# Start-up errors of the three programs: bad keys and values on the command
# line and in the file, unknown ctl commands, no script_root, an unknown
# store (refused before any socket exists), an unusable --listen path. Each must exit non-zero with a line through the log API
# naming the file, line or path, and (in an --enable-asan build, where the
# harness collects the reports) leak nothing on the way out.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_sessionwrap
SESSIONWRAP_WS="$top_builddir/src/sessionwrap-ws"
sw_secret


# expect_error WANT_RC PATTERN CMD...: CMD exits WANT_RC ("nonzero": any
# but 0) and its stderr matches the extended regex PATTERN.
expect_error() {
	_want=$1
	_pat=$2
	shift 2
	"$@" </dev/null >"$T/out" 2>"$T/err"
	_rc=$?
	if [ "$_want" = nonzero ] && [ "$_rc" = 0 ] || { [ "$_want" != nonzero ] && [ "$_rc" != "$_want" ]; }; then
		soft_fail "$(basename "$1") ${2:-}: exit $_rc, expected $_want ($(head -n 1 "$T/err"))"
	elif ! grep -Eq "$_pat" "$T/err"; then
		soft_fail "$(basename "$1") ${2:-}: stderr does not match '$_pat': $(head -n 3 "$T/err")"
	fi
}

printf 'store = cookie\n\nfoo = bar\n' > "$T/badkey.conf"
printf 'idle_timeout = abc\n' > "$T/badvalue.conf"

step "unknown key and bad value: exit 2, file and line, logged as an error"
for p in "$SESSIONWRAP" "$SESSIONWRAP_CTL" "$SESSIONWRAP_WS"; do
	[ -x "$p" ] || continue
	n=$(basename "$p")
	extra=
	[ "$n" = sessionwrap-ctl ] && extra=check-config
	expect_error 2 "$n\[[0-9]+\]: error: command line: unknown key \"foo\"" "$p" --foo=bar $extra
	expect_error 2 "$n\[[0-9]+\]: error: .*badkey.conf:3: unknown key \"foo\"" "$p" -c "$T/badkey.conf" $extra
	grep -q "warning" "$T/err" && soft_fail "$n: an unknown key is logged as a warning"
	expect_error 2 "badvalue.conf:1: idle_timeout" "$p" -c "$T/badvalue.conf" $extra
	expect_error 2 "No such file" "$p" -c "$T/missing.conf" $extra
done

step "unknown store: refused before any socket is made"
rm -f "$T/store.sock" "$T/store-ws.sock" "$T/store-ctl.sock"
expect_error 1 "sessionwrap\[[0-9]+\]: error: store: store = bogus:.*not a known" \
    "$SESSIONWRAP" --secret_file="$T/secret" --script_root="$T" --store=bogus://x --listen "unix:$T/store.sock"
[ -e "$T/store.sock" ] && soft_fail "sessionwrap made its socket before refusing the store"
if [ -x "$SESSIONWRAP_WS" ]; then
	expect_error 1 "sessionwrap-ws\[[0-9]+\]: error: store: store = bogus:.*not a known" \
	    "$SESSIONWRAP_WS" --secret_file="$T/secret" --store=bogus://x --listen "unix:$T/store-ws.sock" --ws_control "$T/store-ctl.sock"
	[ -e "$T/store-ws.sock" ] && soft_fail "sessionwrap-ws made its socket before refusing the store"
	[ -e "$T/store-ctl.sock" ] && soft_fail "sessionwrap-ws made its control socket before refusing the store"
fi
expect_error 1 "sessionwrap-ctl: store: store = bogus:.*not a known" \
    "$SESSIONWRAP_CTL" --secret_file="$T/secret" --store=bogus://x check-config

step "sessionwrap --listen on a file that is not a socket: refused, file kept"
printf 'keep\n' > "$T/plain"
expect_error 1 "sessionwrap\[[0-9]+\]: error: listen unix:$T/plain: exists and is not a socket" \
    "$SESSIONWRAP" --secret_file="$T/secret" --script_root="$T" --listen "unix:$T/plain"
[ "$(cat "$T/plain")" = keep ] || soft_fail "sessionwrap removed or changed a file at its --listen path"

step "sessionwrap-ctl without a command, with an unknown one: exit 2, usage"
expect_error 2 "usage:" "$SESSIONWRAP_CTL"
expect_error 2 "unknown command bogus" "$SESSIONWRAP_CTL" bogus

step "sessionwrap without script_root or handler, without secret_file"
expect_error 1 "sessionwrap\[[0-9]+\]: error: neither script_root nor handler" \
    "$SESSIONWRAP" --secret_file="$T/secret" --listen "unix:$T/a.sock"
expect_error 1 "sessionwrap\[[0-9]+\]: error: secret_file" \
    "$SESSIONWRAP" --script_root="$T" --listen "unix:$T/a.sock"

step "sessionwrap --listen where no socket can be made: exit 1, logged"
expect_error 1 "sessionwrap\[[0-9]+\]: error: .*$T/nodir/sw.sock" \
    "$SESSIONWRAP" --secret_file="$T/secret" --script_root="$T" --listen "unix:$T/nodir/sw.sock"

soft_done
pass
