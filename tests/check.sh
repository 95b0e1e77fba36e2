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
#
# Then two more runs whose results count in that last line: `make check`
# again (but ASAN_SKIP_TESTS) in a second build with --enable-asan (ASan + UBSan,
# LeakSanitizer on; results listed as asan:...), and the integration tests
# in VALGRIND_TESTS with sessionwrap and sessionwrap-ws under valgrind
# (SW_VALGRIND=1; listed as valgrind:...), and every libFuzzer target for
# FUZZ_SECONDS (default 20) in a clang build (make fuzz-smoke; listed as
# fuzz:...; JOBS targets at a time). Last, a process of the run still running is a failure
# (listed as leftovers). ASAN_BUILD_DIR (default BUILD_DIR-asan), FUZZ_BUILD_DIR
# (BUILD_DIR-fuzz); SANITIZE=0, VALGRIND=0 or FUZZ=0 leave a run out.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$BUILD_DIR-asan}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$BUILD_DIR-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# Under valgrind: the tests that cover the most of sessionwrap and
# sessionwrap-ws without timing limits tighter than valgrind allows.
VALGRIND_TESTS=${VALGRIND_TESTS:-lighttpd_session bad_input stores_web redis_store faults_script faults_ws ws_bus}
# Left out of the ASan run: they run none of our code in that build.
ASAN_SKIP_TESTS=${ASAN_SKIP_TESTS:-distcheck|bench_smoke|manpages|install}
# Build directories whose .trs files the summary counts.
RESULT_DIRS=$BUILD_DIR
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

PACKAGES="build-essential autoconf automake libtool pkg-config
libaprutil1-dev apache2-utils gitweb cgit git
libfcgi-dev libjansson-dev libssl-dev libpq-dev libmemcached-dev libevent-dev libwslay-dev
lighttpd apache2 libapache2-mod-fcgid fcgiwrap spawn-fcgi nginx
curl openssl wrk procps python3 perl memcached postgresql python3-websockets websocketd valgrind
systemd groff-base man-db chromium clang libclang-rt-14-dev
libhiredis-dev redis-server redis-tools
php-fpm php-cgi"
# Sharing sessions with Python apps (tests/integration/aiohttp_share.sh).
PACKAGES="$PACKAGES python3-aiohttp python3-aiohttp-session python3-cryptography"
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

# summary: count results from the automake .trs files (and those the asan
# and valgrind runs write); prints the last line.
summary() {
	# shellcheck disable=SC2086
	find $RESULT_DIRS -name '*.trs' -exec cat {} + 2>/dev/null |
	    awk '/^:test-result:/ { r[$2]++ }
	    END {
		p = r["PASS"] + r["XFAIL"]; f = r["FAIL"] + r["ERROR"] + r["XPASS"]; s = r["SKIP"]
		line = (p + 0) " passed, " (f + 0) " failed"
		if (s > 0)
			line = line ", " s " skipped"
		print line
	    }'
}

# list_results DIR PREFIX: one line per test of a build: result and name
# (valgrind runs as valgrind:tests/integration/NAME).
list_results() {
	for f in "$1"/tests/*.log "$1"/tests/integration/*.log "$1"/valgrind/*.log; do
		[ -f "$f" ] || continue
		t=${f%.log}
		[ -f "$t.trs" ] || continue
		n=${t#"$1"/}
		case $n in valgrind/*) n=valgrind:tests/integration/${n#valgrind/} ;; esac
		printf '%-6s %s%s\n' "$(sed -n 's/^:test-result: //p' "$t.trs" | head -n 1)" "$2" "$n"
	done
}

# record DIR NAME RESULT: a result for the summary outside automake's harness.
record() {
	mkdir -p "$1"
	printf ':test-result: %s\n' "$3" > "$1/$2.trs"
}

# run_asan: configure and build in $ASAN_BUILD_DIR with ASan + UBSan, then
# the whole make check there. tests/lib.sh collects the report of every
# program of ours a test starts; a report fails the test.
run_asan() {
	say "configure --enable-asan in $ASAN_BUILD_DIR"
	RESULT_DIRS="$RESULT_DIRS $ASAN_BUILD_DIR"
	mkdir -p "$ASAN_BUILD_DIR" && cd "$ASAN_BUILD_DIR" || return 1
	find "$ASAN_BUILD_DIR" -name '*.trs' -exec rm -f {} + 2>/dev/null
	# shellcheck disable=SC2086
	if ! "$top/configure" -q --enable-asan --enable-werror ${CONFIGURE_FLAGS:-}; then
		say "FAILED: configure --enable-asan (see $ASAN_BUILD_DIR/config.log)"
		record "$ASAN_BUILD_DIR" asan-build FAIL
		return 1
	fi
	say "make -j$JOBS (ASan + UBSan)"
	if ! make -j"$JOBS"; then
		say "FAILED: make (ASan + UBSan)"
		record "$ASAN_BUILD_DIR" asan-build FAIL
		return 1
	fi
	say "make -j$JOBS check (ASan + UBSan, LeakSanitizer on)"
	# All but the tests that run none of our code under ASan's build
	# (ASAN_SKIP_TESTS): distcheck builds its own tree, the bench smoke
	# measures speed, the man page and install checks read files.
	_at=$(make -s print-tests | grep -vE "/($ASAN_SKIP_TESTS)\.sh\$" | tr '\n' ' ')
	ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
	    make -j"$JOBS" check TESTS="$_at" </dev/null
}

# run_valgrind: the integration tests in VALGRIND_TESTS against the normal
# build, sessionwrap and sessionwrap-ws under valgrind (tests/lib.sh).
run_valgrind() {
	_vd=$BUILD_DIR/valgrind
	mkdir -p "$_vd"
	_vr=0
	for t in $VALGRIND_TESTS; do
		say "valgrind: $t"
		# stores_web: 20 concurrent writers, not 200: under valgrind a
		# request is so slow that 50 or more can exhaust the merge retries.
		SW_VALGRIND=1 SW_CONCURRENT=20 top_srcdir=$top top_builddir=$BUILD_DIR \
		    sh "$top/tests/integration/$t.sh" >"$_vd/$t.log" 2>&1 </dev/null
		case $? in
		0) record "$_vd" "$t" PASS ;;
		77) record "$_vd" "$t" SKIP ;;
		*) record "$_vd" "$t" FAIL; _vr=1; cat "$_vd/$t.log" ;;
		esac
	done
	return $_vr
}

# run_fuzz: a clang build with libFuzzer, ASan and UBSan in $FUZZ_BUILD_DIR,
# then every fuzz target for FUZZ_SECONDS over its seed corpus (make
# fuzz-smoke); one result per target, listed as fuzz:NAME.
run_fuzz() {
	say "configure CC=clang --enable-fuzzing in $FUZZ_BUILD_DIR"
	RESULT_DIRS="$RESULT_DIRS $FUZZ_BUILD_DIR/results"
	rm -rf "$FUZZ_BUILD_DIR/results"
	mkdir -p "$FUZZ_BUILD_DIR" && cd "$FUZZ_BUILD_DIR" || return 1
	# shellcheck disable=SC2086
	if ! CC=clang "$top/configure" -q --enable-fuzzing --enable-asan \
	    ${CONFIGURE_FLAGS:-} || ! make -j"$JOBS" >/dev/null; then
		say "FAILED: fuzzing build (see $FUZZ_BUILD_DIR/config.log)"
		record "$FUZZ_BUILD_DIR/results" fuzz-build FAIL
		return 1
	fi
	# JOBS targets at a time: each is one CPU-bound process.
	_fr=0
	_fl=
	_fn=0
	for bin in tests/fuzz/fuzz_*; do
		[ -x "$bin" ] && [ -f "$bin" ] || continue
		t=${bin##*/}
		_fl="$_fl $t"
		( make fuzz-smoke FUZZ_SECONDS="$FUZZ_SECONDS" \
		    FUZZ_TARGETS="$t" >"$FUZZ_BUILD_DIR/$t.smoke" 2>&1
		  echo $? >"$FUZZ_BUILD_DIR/$t.rc" ) &
		_fn=$((_fn + 1))
		[ "$_fn" -lt "$JOBS" ] || { wait; _fn=0; }
	done
	wait
	for t in $_fl; do
		if [ "$(cat "$FUZZ_BUILD_DIR/$t.rc" 2>/dev/null)" = 0 ]; then
			record "$FUZZ_BUILD_DIR/results" "$t" PASS
		else
			record "$FUZZ_BUILD_DIR/results" "$t" FAIL
			cat "$FUZZ_BUILD_DIR/$t.smoke"
			_fr=1
		fi
		printf '%-6s fuzz:%s\n' "$(sed -n 's/^:test-result: //p' \
		    "$FUZZ_BUILD_DIR/results/$t.trs")" "$t" >> "$FUZZ_BUILD_DIR/results/list"
	done
	return $_fr
}

# leftovers: fail (return 1) when a process started by this run still runs:
# every test and bench must end all it started. Each carries SW_CHECK_RUN
# in its environment; what is found is listed, then ended.
leftovers() {
	python3 "$top/tests/leftovers.py" check.sh --mark "SW_CHECK_RUN=$SW_CHECK_RUN"
}

# fail_build WHAT: a step before the tests failed.
fail_build() {
	say "FAILED: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ "${SKIP_DEPS:-0}" = 1 ] || install_deps
t_start=$(date +%s)
# Marks every process of this run, for leftovers.
SW_CHECK_RUN=$$.$t_start
export SW_CHECK_RUN

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
times="build and check $(( $(date +%s) - t_start )) s"
if [ "$rc" != 0 ]; then
	for f in "$BUILD_DIR/test-suite.log" "$BUILD_DIR/tests/test-suite.log"; do
		[ -f "$f" ] || continue
		say "$f"
		cat "$f"
	done
fi

if [ "${SANITIZE:-1}" = 1 ]; then
	t_phase=$(date +%s)
	if ! run_asan; then
		rc=1
		for f in "$ASAN_BUILD_DIR/test-suite.log"; do
			[ -f "$f" ] || continue
			say "$f"
			cat "$f"
		done
	fi
	cd "$BUILD_DIR" || exit 1
	times="$times, asan $(( $(date +%s) - t_phase )) s"
fi
if [ "${VALGRIND:-1}" = 1 ]; then
	t_phase=$(date +%s)
	run_valgrind || rc=1
	times="$times, valgrind $(( $(date +%s) - t_phase )) s"
fi
if [ "${FUZZ:-1}" = 1 ]; then
	t_phase=$(date +%s)
	run_fuzz || rc=1
	cd "$BUILD_DIR" || exit 1
	times="$times, fuzz smoke $(( $(date +%s) - t_phase )) s"
fi
say "times: $times"

if leftovers; then
	record "$BUILD_DIR" leftovers PASS
else
	say "FAILED: processes left running by the tests (ended now)"
	record "$BUILD_DIR" leftovers FAIL
	rc=1
fi

say "test-suite summary"
list_results "$BUILD_DIR" ""
[ "${SANITIZE:-1}" = 1 ] && list_results "$ASAN_BUILD_DIR" "asan:"
[ "${FUZZ:-1}" = 1 ] && cat "$FUZZ_BUILD_DIR/results/list" 2>/dev/null
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
