#!/bin/sh
# The demo (examples/demo.sh) in Debian's chromium, headless, driven by
# playwright-core from npm (tests/browser/demo.js): log in, the counter
# increases, the live page in two tabs, logout in a third closes both
# sockets (4001), the next load asks for login. Screenshots in
# $top_builddir/tests/artifacts/browser_demo/.
# playwright-core and chromium: see tests/integration/browser_lib.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
. "$top_srcdir/tests/integration/browser_lib.sh"
need_cmd lighttpd curl python3 node npm
[ -x "$CHROMIUM" ] || skip "chromium not installed ($CHROMIUM)"
need_sessionwrap
[ -x "$top_builddir/src/sessionwrap-ws" ] || skip "sessionwrap-ws not built"
browser_npm
step "demo on a free port"
demo_start

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
