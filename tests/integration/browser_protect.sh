#!/bin/sh
# examples/demo.sh --protect in Debian's chromium, headless, driven by
# playwright-core (tests/browser/protect.js): anonymous gitweb goes to the
# login form, a login through it, gitweb and cgit showing the user, form
# POSTs from another local origin refused, logout. Screenshots in
# $top_builddir/tests/artifacts/browser_protect/. playwright-core and
# chromium: see tests/integration/browser_lib.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
. "$top_srcdir/tests/integration/browser_lib.sh"
need_cmd lighttpd curl python3 node npm git htpasswd
[ -x "$CHROMIUM" ] || skip "chromium not installed ($CHROMIUM)"
need_sessionwrap
browser_npm
step "demo --protect on a free port, another origin beside it"
demo_start --protect
# The other origin: a page whose forms POST to the protected site.
EVIL_PORT=$(free_port)
EVIL="http://127.0.0.1:$EVIL_PORT"
mkdir -p "$T/evil"
cat > "$T/evil/evil.html" <<HTML
<!DOCTYPE html>
<title>another origin</title>
<form id="logout" method="post" action="$BASE/cgi-bin/login.cgi">
<input type="hidden" name="logout" value="1"><button>log out</button></form>
<form id="app" method="post" action="$BASE/cgi-bin/gitweb.cgi?p=sessionwrap.git;a=summary">
<input type="hidden" name="x" value="1"><button>post to gitweb</button></form>
HTML
setsid $SW_PDEATH python3 -m http.server "$EVIL_PORT" --bind 127.0.0.1 --directory "$T/evil" \
    > "$T/evil.log" 2>&1 </dev/null &
sw_track $!
wait_for_port "$EVIL_PORT" 10

step "chromium: login form, gitweb and cgit as alice, cross-origin POSTs refused, logout"
ARTIFACTS=$top_builddir/tests/artifacts/browser_protect
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
BASE=$BASE EVIL=$EVIL ARTIFACTS=$ARTIFACTS CHROMIUM=$CHROMIUM NODE_PATH=$NPM_DIR/node_modules \
    node "$top_srcdir/tests/browser/protect.js" || {
	tail -n 30 "$T/demo.log" >&2
	fail "tests/browser/protect.js failed (screenshots in $ARTIFACTS)"
}
grep -q 'cross-origin POST refused' "$T/demo.log" || fail "sessionwrap logged no cross-origin refusal"
pass
