#!/bin/sh
# THE test command, for a newcomer on a fresh Debian and for CI:
#
#   sh tests/check.sh
#
# Installs the build and test dependencies (apt-get as root, else through
# sudo), runs autoreconf, configures in ./build with --enable-werror, builds,
# runs `make check` (unit tests, then integration tests against real lighttpd
# and Apache), and ends with one line: "N passed, N failed[, N skipped]".
# Environment: BUILD_DIR (default ./build), CONFIGURE_FLAGS (extra flags),
# SKIP_DEPS=1 (do not touch packages), JOBS (default: nproc).

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

PACKAGES="build-essential autoconf automake libtool pkg-config
libfcgi-dev libjansson-dev libssl-dev libpq-dev libmemcached-dev libevent-dev libwslay-dev
lighttpd apache2 libapache2-mod-fcgid fcgiwrap spawn-fcgi nginx
curl wrk python3 perl memcached postgresql python3-websockets websocketd valgrind
systemd groff-base man-db chromium"
# The browser test's playwright-core (from npm) needs node >= 20 and npm:
# Debian's only when the machine has none (a newer node may be installed).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    PACKAGES="$PACKAGES nodejs npm"

say() { printf '== %s\n' "$*"; }

# as_root CMD...: run as root, through sudo when we are not.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "check.sh: need root or sudo to run: $*" >&2
		return 1
	fi
}

install_deps() {
	if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
		say "not Debian-like (no dpkg/apt-get): install by hand: $(echo $PACKAGES)"
		return 0
	fi
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		    missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		say "all packages installed"
		return 0
	fi
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -q </dev/null || say "apt-get update failed; trying anyway"
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $missing </dev/null; then
		# One unknown package must not stop the others.
		say "bulk install failed; installing one by one"
		for p in $missing; do
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			    --no-install-recommends "$p" </dev/null ||
			    say "WARNING: could not install $p"
		done
	fi
}

# summary: count results from the automake .trs files; prints the last line.
summary() {
	find "$BUILD_DIR" -name '*.trs' -exec cat {} + 2>/dev/null |
	    awk '/^:test-result:/ { r[$2]++ }
	    END {
		p = r["PASS"] + r["XFAIL"]; f = r["FAIL"] + r["ERROR"] + r["XPASS"]; s = r["SKIP"]
		line = (p + 0) " passed, " (f + 0) " failed"
		if (s > 0)
			line = line ", " s " skipped"
		print line
	    }'
}

# fail_build WHAT: a step before the tests failed.
fail_build() {
	say "FAILED: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ "${SKIP_DEPS:-0}" = 1 ] || install_deps

say "autoreconf"
autoreconf -fi || fail_build "autoreconf -fi"

say "configure in $BUILD_DIR"
mkdir -p "$BUILD_DIR" || fail_build "mkdir $BUILD_DIR"
cd "$BUILD_DIR" || exit 1
# shellcheck disable=SC2086
"$top/configure" -q --enable-werror ${CONFIGURE_FLAGS:-} || fail_build "configure (see $BUILD_DIR/config.log)"

say "make -j$JOBS"
make -j"$JOBS" || fail_build "make"

say "make -j$JOBS check"
find "$BUILD_DIR" -name '*.trs' -exec rm -f {} + 2>/dev/null
make -j"$JOBS" check </dev/null
rc=$?

say "test-suite summary"
for f in "$BUILD_DIR"/tests/*.log "$BUILD_DIR"/tests/integration/*.log; do
	[ -f "$f" ] || continue
	t=${f%.log}
	[ -f "$t.trs" ] || continue
	printf '%-6s %s\n' "$(sed -n 's/^:test-result: //p' "$t.trs" | head -n 1)" "${t#"$BUILD_DIR"/}"
done
if [ "$rc" != 0 ]; then
	for f in "$BUILD_DIR/test-suite.log" "$BUILD_DIR/tests/test-suite.log"; do
		[ -f "$f" ] || continue
		say "$f"
		cat "$f"
	done
fi
line=$(summary)
[ -n "$line" ] || line="0 passed, 1 failed"
case $line in
	*" 0 failed"*) ;;
	*) rc=1 ;;
esac
case $line in
	"0 passed, 0 failed"*) say "no test ran"; rc=1 ;;
esac
echo "$line"
exit "$rc"
