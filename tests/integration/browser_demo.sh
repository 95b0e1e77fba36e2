#!/bin/sh
# The demo (examples/demo.sh) in Debian's chromium, headless, driven by
# playwright-core from npm (tests/browser/demo.js): log in, the counter
# increases, the live page in two tabs, logout in a third closes both
# sockets (4001), the next load asks for login. Screenshots in
# $top_builddir/tests/artifacts/browser_demo/.
#
# playwright-core is installed with `npm ci` from tests/browser/package-lock.json
# into $top_builddir/tests/browser/node_modules (once; again when the lock
# changes). It downloads no browser: CHROMIUM (default /usr/bin/chromium) is used.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
need_cmd lighttpd curl python3 node npm
[ -x "$CHROMIUM" ] || skip "chromium not installed ($CHROMIUM)"
need_sessionwrap
[ -x "$top_builddir/src/sessionwrap-ws" ] || skip "sessionwrap-ws not built"

step "playwright-core from tests/browser/package-lock.json"
NPM_DIR=$top_builddir/tests/browser
mkdir -p "$NPM_DIR"
if ! cmp -s "$top_srcdir/tests/browser/package-lock.json" "$NPM_DIR/package-lock.json" ||
    [ ! -f "$NPM_DIR/node_modules/playwright-core/package.json" ]; then
	cp "$top_srcdir/tests/browser/package.json" "$top_srcdir/tests/browser/package-lock.json" "$NPM_DIR/"
	start=$(date +%s)
	(cd "$NPM_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
	    > "$T/npm.log" 2>&1 || skip "npm ci failed (no registry?): $(tail -n 5 "$T/npm.log")"
	log "npm ci took $(( $(date +%s) - start )) s"
fi

step "demo on a free port"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
BUILD_DIR=$top_builddir setsid $SW_PDEATH sh "$top_srcdir/examples/demo.sh" --no-install --port "$PORT" \
    > "$T/demo.log" 2>&1 </dev/null &
DEMO_PID=$!
sw_track "$DEMO_PID"
n=0
until grep -q "open  $BASE/" "$T/demo.log"; do
	kill -0 "$DEMO_PID" 2>/dev/null || fail "demo stopped: $(tail -n 20 "$T/demo.log")"
	n=$((n + 1))
	[ $n -lt 300 ] || fail "demo did not print its URL"
	sleep 0.1
done
wait_for_port "$PORT" 10 "$DEMO_PID"

step "chromium: login, counter, two live tabs, logout in a third"
ARTIFACTS=$top_builddir/tests/artifacts/browser_demo
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
BASE=$BASE ARTIFACTS=$ARTIFACTS CHROMIUM=$CHROMIUM NODE_PATH=$NPM_DIR/node_modules \
    node "$top_srcdir/tests/browser/demo.js" || {
	tail -n 30 "$T/demo.log" >&2
	fail "tests/browser/demo.js failed (screenshots in $ARTIFACTS)"
}
pass
