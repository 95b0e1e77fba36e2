# What the browser tests share (sourced after tests/lib.sh and sw_setup).
#
#   browser_npm               # playwright-core from tests/browser/package-lock.json
#   demo_start ARGS...        # examples/demo.sh ARGS on a free port: PORT, BASE
#
# playwright-core is installed with `npm ci` into
# $top_builddir/tests/browser/node_modules (once; again when the lock
# changes). It downloads no browser: CHROMIUM (default /usr/bin/chromium).

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NPM_DIR=$top_builddir/tests/browser

browser_npm() {
	step "playwright-core from tests/browser/package-lock.json"
	mkdir -p "$NPM_DIR"
	if ! cmp -s "$top_srcdir/tests/browser/package-lock.json" "$NPM_DIR/package-lock.json" ||
	    [ ! -f "$NPM_DIR/node_modules/playwright-core/package.json" ]; then
		cp "$top_srcdir/tests/browser/package.json" "$top_srcdir/tests/browser/package-lock.json" "$NPM_DIR/"
		_start=$(date +%s)
		(cd "$NPM_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
		    > "$T/npm.log" 2>&1 || skip "npm ci failed (no registry?): $(tail -n 5 "$T/npm.log")"
		log "npm ci took $(( $(date +%s) - _start )) s"
	fi
}

demo_start() {
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT"
	BUILD_DIR=$top_builddir setsid $SW_PDEATH sh "$top_srcdir/examples/demo.sh" --no-install \
	    --port "$PORT" "$@" > "$T/demo.log" 2>&1 </dev/null &
	DEMO_PID=$!
	sw_track "$DEMO_PID"
	_n=0
	until grep -q "open  $BASE/" "$T/demo.log"; do
		kill -0 "$DEMO_PID" 2>/dev/null || fail "demo stopped: $(tail -n 20 "$T/demo.log")"
		_n=$((_n + 1))
		[ $_n -lt 600 ] || fail "demo did not print its URL"
		sleep 0.1
	done
	wait_for_port "$PORT" 10 "$DEMO_PID"
}
