#!/bin/sh
# examples/demo.sh --protect in Debian's chromium, headless, driven by
# playwright-core (tests/browser/protect.js): anonymous gitweb goes to the
# login form, a login through it, gitweb and cgit showing the user, form
# POSTs from another local origin refused, logout. Screenshots in
# $top_builddir/tests/artifacts/browser_protect/. playwright-core comes from
# tests/browser/package-lock.json as for browser_demo.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
need_cmd lighttpd curl python3 node npm git htpasswd
[ -x "$CHROMIUM" ] || skip "chromium not installed ($CHROMIUM)"
need_sessionwrap

step "playwright-core from tests/browser/package-lock.json"
NPM_DIR=$top_builddir/tests/browser
mkdir -p "$NPM_DIR"
if ! cmp -s "$top_srcdir/tests/browser/package-lock.json" "$NPM_DIR/package-lock.json" ||
    [ ! -f "$NPM_DIR/node_modules/playwright-core/package.json" ]; then
	cp "$top_srcdir/tests/browser/package.json" "$top_srcdir/tests/browser/package-lock.json" "$NPM_DIR/"
	(cd "$NPM_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
	    > "$T/npm.log" 2>&1 || skip "npm ci failed (no registry?): $(tail -n 5 "$T/npm.log")"
fi

step "demo --protect on a free port, another origin beside it"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
BUILD_DIR=$top_builddir setsid $SW_PDEATH sh "$top_srcdir/examples/demo.sh" --protect --no-install \
    --port "$PORT" > "$T/demo.log" 2>&1 </dev/null &
DEMO_PID=$!
sw_track "$DEMO_PID"
n=0
until grep -q "open  $BASE/" "$T/demo.log"; do
	kill -0 "$DEMO_PID" 2>/dev/null || fail "demo stopped: $(tail -n 20 "$T/demo.log")"
	n=$((n + 1))
	[ $n -lt 600 ] || fail "demo did not print its URL"
	sleep 0.1
done
wait_for_port "$PORT" 10 "$DEMO_PID"
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
