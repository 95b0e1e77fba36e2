# Shared harness for sessionwrap's integration tests, the demo and the bench.
# POSIX sh (dash and bash); source it, do not run it.
#
#   . "$top_srcdir/tests/lib.sh"
#   sw_setup                  # temp dir $T, cleanup trap, watchdog, programs
#   need_cmd lighttpd         # skip (77), or fail under CI=true
#   sw_secret; sw_config script_root="$T/www/cgi-bin"; sw_start
#   lighttpd_start            # $PORT, $BASE
#   req /cgi-bin/do.py        # $STATUS, $T/out.h, $T/out.b
#   pass
#
# Automake's TESTS_ENVIRONMENT exports top_srcdir and top_builddir. Run by hand
# (sh tests/integration/NAME.sh), they default to this tree and to the build
# in $SW_BUILDDIR, else ./build (made by tests/check.sh). SW_KEEP_TMP=1 keeps
# the temp dir; SW_TEST_TIMEOUT sets the time limit.
#
# Checkers: in a build configured with --enable-asan, every program of ours a
# test starts (directly or through a web server) writes its ASan, LSan or
# UBSan report under $T/san/, and a report anywhere fails the test at
# cleanup. SW_VALGRIND=1 starts sessionwrap and sessionwrap-ws (sw_start,
# ws_start) under valgrind memcheck with a log per process in $T/vg/; after
# sw_stop and at cleanup a log with an error or a definite leak fails the test.

: "${top_srcdir:=$(cd "$(dirname "$0")" && while [ ! -f tests/lib.sh ] && [ "$(pwd)" != / ]; do cd ..; done; pwd)}"
if [ -z "$top_builddir" ]; then
	if [ -n "$SW_BUILDDIR" ]; then
		top_builddir=$SW_BUILDDIR
	elif [ -x "$top_srcdir/build/src/sessionwrap" ]; then
		top_builddir=$top_srcdir/build	# where tests/check.sh builds
	else
		top_builddir=$top_srcdir
	fi
fi
export top_srcdir top_builddir

SESSIONWRAP="$top_builddir/src/sessionwrap"
SESSIONWRAP_CTL="$top_builddir/src/sessionwrap-ctl"
SCRIPTS_SRC="$top_srcdir/tests/integration/scripts"
TEST_NAME=$(basename "$0" .sh)
PATH="$PATH:/usr/sbin:/sbin"
export PATH

# Overall time limit of one test, in seconds (SW_TEST_TIMEOUT overrides).
: "${SW_TEST_TIMEOUT:=300}"

_sw_done=0

log() { printf '%s: %s\n' "$TEST_NAME" "$*" >&2; }

# Print what the servers said, for test-suite.log.
sw_dump_logs() {
	[ -n "$T" ] && [ -d "$T" ] || return 0
	for f in "$T"/*.log; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") (last 40 lines) -----" >&2
		tail -n 40 "$f" >&2
	done
}

# Stop every process this test started, then remove the temp dir.
sw_cleanup() {
	rc=$?
	[ "$_sw_done" = 1 ] && return
	_sw_done=1
	# Ignore (not default) signals from here: an enclosing run signals a
	# nested one (the demo under a test) by group and by pid, and the
	# second TERM must not cut this cleanup short.
	trap - EXIT
	trap '' INT TERM HUP
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		sw_dump_logs
	fi
	# Servers run in their own process group (setsid): end the whole group,
	# so forked workers (fcgiwrap -c, bin-path children) go too. A pid now
	# held by a process started after ours is another test's: pids wrap
	# within seconds under load (see sw_track). $T/pids also holds what
	# nested runs tracked; the last started is waited for first.
	_live=
	for e in $(sed '1!G;h;$!d' "$T/pids" 2>/dev/null); do
		p=${e%%:*}
		_st=$(sw_start_time "$p")
		if [ -z "$_st" ] || [ "$_st" != "${e#*:}" ]; then
			continue
		fi
		_live="$_live $p"
	done
	for p in $_live; do
		kill -TERM "-$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in $_live; do
		i=0
		# Under valgrind the leak check at exit takes seconds.
		while kill -0 "$p" 2>/dev/null && [ $i -lt "$_sw_grace" ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "-$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$_sw_watchdog" ]; then
		kill -TERM "$_sw_watchdog" 2>/dev/null
		wait "$_sw_watchdog" 2>/dev/null
	fi
	sw_check_reports || rc=1
	sw_sweep || rc=1
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "$SW_KEEP_TMP" ]; then
			echo "$TEST_NAME: kept $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

# sw_sweep: after cleanup, any process still of this test (SW_TREE in its
# environment names $T, or its command line or working directory does)
# escaped sw_track: give it 3 s to go, then end it and fail (return 1).
sw_sweep() {
	[ -n "$T" ] && [ -d "$T" ] || return 0
	command -v python3 >/dev/null 2>&1 || return 0
	python3 "$top_srcdir/tests/leftovers.py" "$TEST_NAME" --mark "SW_TREE=$T" \
	    --dir "$T" --grace 3
}

# Remember a pid to stop at exit: in $T/pids, and in the pid file of each
# enclosing run (SW_PID_FILES), which so stops it too if we cannot.
sw_track() {
	_e="$1:$(sw_start_time "$1")"
	for _f in $SW_PID_FILES; do
		echo "$_e" >> "$_f" 2>/dev/null
	done
}

# sw_start_time PID: when the process started (clock ticks after boot), or
# nothing when there is none. With its pid it names one process: cleanup
# must not signal a pid reused since.
sw_start_time() {
	sed -n 's/.*) //p' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# Tenths of a second a stopped server gets before SIGKILL.
_sw_grace=30
# Prefix for sw_start/ws_start (valgrind, or nothing).
SW_WRAP=
# Prefix for every server a run starts: it gets SIGTERM when the shell that
# started it dies, however that dies (SIGKILL too, where no trap runs).
SW_PDEATH=
if command -v setpriv >/dev/null 2>&1 && setpriv --pdeathsig TERM true 2>/dev/null; then
	SW_PDEATH="setpriv --pdeathsig TERM"
fi

# Sanitizer and valgrind checkers: sw_checkers_setup, sw_vg_check,
# sw_check_reports.
. "$top_srcdir/tests/checkers.sh"

# Temp dir, trap, watchdog. Call first.
sw_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/sw-$TEST_NAME.XXXXXX") || exit 99
	chmod 755 "$T"
	export T
	: > "$T/pids"
	# What this run starts carries its temp dir (after those of enclosing
	# runs) in SW_TREE, for sw_sweep; a nested run (the demo under a test)
	# tracks its pids into our pid file too.
	SW_TREE="${SW_TREE:+$SW_TREE }$T"
	SW_PID_FILES="$T/pids${SW_PID_FILES:+ $SW_PID_FILES}"
	export SW_TREE SW_PID_FILES
	trap sw_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	sw_checkers_setup
	if [ "${SW_TEST_TIMEOUT:-0}" -gt 0 ]; then
		# The watchdog ends the whole test: TERM runs the trap, which kills servers.
		# One process, so cleanup can stop it with a single kill; it
		# goes by itself when the test died without cleanup.
		python3 -c 'import os, signal, sys, time
end = time.monotonic() + int(sys.argv[1])
while time.monotonic() < end:
    if os.getppid() != int(sys.argv[2]):
        sys.exit(0)
    time.sleep(0.5)
sys.stderr.write("%s: TIMEOUT after %ss\n" % (sys.argv[3], sys.argv[1]))
os.kill(int(sys.argv[2]), signal.SIGTERM)' "$SW_TEST_TIMEOUT" "$$" "$TEST_NAME" </dev/null >/dev/null &
		_sw_watchdog=$!
	fi
}

# Skip (77). Under CI=true a missing prerequisite is a failure instead.
skip() {
	if [ "${CI:-}" = true ]; then
		echo "$TEST_NAME: ERROR: prerequisite missing under CI: $*" >&2
		echo "$TEST_NAME: ERROR: tests/check.sh installs it on Debian; this is a broken CI setup" >&2
		exit 1
	fi
	echo "$TEST_NAME: SKIP: $*" >&2
	exit 77
}

# Fail the test now.
fail() {
	echo "$TEST_NAME: FAIL: $*" >&2
	exit 1
}

pass() {
	echo "$TEST_NAME: PASS${*:+: $*}" >&2
	exit 0
}

# soft_fail WHAT: record a failed check and go on with the next one;
# soft_done then fails the test with every check that failed.
FAILED=
soft_fail() {
	echo "$TEST_NAME: FAIL: $*" >&2
	FAILED="$FAILED
  $*"
}
soft_done() {
	[ -z "$FAILED" ] || fail "failed checks:$FAILED"
}

# Test step: prints what is being checked.
step() { echo "$TEST_NAME: -- $*" >&2; }

# need_cmd NAME...: skip unless every command exists.
need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

# The programs under test must have been built.
need_sessionwrap() {
	[ -x "$SESSIONWRAP" ] || fail "$SESSIONWRAP not built"
	[ -x "$SESSIONWRAP_CTL" ] || fail "$SESSIONWRAP_CTL not built"
}

# Print a free TCP port on 127.0.0.1.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
		return
	fi
	# Fallback: a random port that nothing listens on.
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 ))
		if ! (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()' "$1" 2>/dev/null
}

# True when a Unix socket at PATH accepts connections.
socket_open() {
	[ -S "$1" ] || return 1
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(0.5)
s.connect(sys.argv[1])
s.close()' "$1" 2>/dev/null
}

# wait_until SECONDS CMD [ARGS]: run CMD (a command or a shell function)
# every 0.1 s until it succeeds; false when SECONDS pass first.
wait_until() {
	_wn=$(( $1 * 10 ))
	shift
	until "$@"; do
		_wn=$((_wn - 1))
		[ $_wn -gt 0 ] || return 1
		sleep 0.1
	done
}

# wait_for_port PORT [SECONDS [PID]]: fail if it does not open in time or PID dies.
wait_for_port() {
	_n=$(( ${2:-10} * 10 ))
	while ! port_open "$1"; do
		if [ -n "$3" ] && ! kill -0 "$3" 2>/dev/null; then
			fail "process $3 died before port $1 opened"
		fi
		_n=$((_n - 1))
		[ $_n -gt 0 ] || fail "port $1 did not open"
		sleep 0.1
	done
}

# wait_for_socket PATH [SECONDS [PID]]
wait_for_socket() {
	_n=$(( ${2:-10} * 10 ))
	while ! socket_open "$1"; do
		if [ -n "$3" ] && ! kill -0 "$3" 2>/dev/null; then
			fail "process $3 died before socket $1 opened"
		fi
		_n=$((_n - 1))
		[ $_n -gt 0 ] || fail "socket $1 did not open"
		sleep 0.1
	done
}

# sw_secret [FILE]: a new secret file (default $T/secret), readable by the
# web server's user when it is not us.
sw_secret() {
	_f=${1:-$T/secret}
	"$SESSIONWRAP_CTL" keygen > "$_f" || fail "sessionwrap-ctl keygen failed"
	[ -s "$_f" ] || fail "sessionwrap-ctl keygen printed nothing"
	chmod 600 "$_f"
}

# sw_config [key=value]...: write $T/sw.conf (or $SW_CONF) from the shipped
# contrib/sessionwrap.conf.example, with secret_file = $T/secret and
# script_root = $SCRIPT_ROOT, plus the given keys (each replacing the example's).
sw_config() {
	_c=${SW_CONF:-$T/sw.conf}
	sed -e "s|^secret_file = .*|secret_file = $T/secret|" \
	    -e "s|^script_root = .*|script_root = ${SCRIPT_ROOT:-$T/www/cgi-bin}|" \
	    "$top_srcdir/contrib/sessionwrap.conf.example" > "$_c.tmp"
	# Scripts run as our user; CI runs as root.
	[ "$(id -u)" = 0 ] && set -- allow_root=on "$@"
	for kv in "$@"; do
		_k=${kv%%=*}
		grep -v "^$_k *=" "$_c.tmp" > "$_c.tmp2"
		mv "$_c.tmp2" "$_c.tmp"
		echo "$_k = ${kv#*=}" >> "$_c.tmp"
	done
	mv "$_c.tmp" "$_c"
	chmod 644 "$_c"
}

# sw_start [extra args]: start sessionwrap on unix:$T/sw.sock with $T/sw.conf.
# Sets SW_PID and SW_SOCK; stderr goes to $T/sessionwrap.log.
sw_start() {
	SW_SOCK=${SW_SOCK:-$T/sw.sock}
	rm -f "$SW_SOCK"
	# Scripts inherit sessionwrap's PATH: let them find sessionwrap-ctl.
	# shellcheck disable=SC2086
	PATH="$top_builddir/src:$PATH" setsid $SW_PDEATH $SW_WRAP "$SESSIONWRAP" -c "${SW_CONF:-$T/sw.conf}" --listen "unix:$SW_SOCK" "$@" \
	    >>"$T/sessionwrap.log" 2>&1 </dev/null &
	SW_PID=$!
	sw_track "$SW_PID"
	wait_for_socket "$SW_SOCK" "$([ -n "$SW_WRAP" ] && echo 60 || echo 10)" "$SW_PID"
	# A web server that dropped root must still connect.
	chmod 666 "$SW_SOCK" 2>/dev/null
}

# sw_stop: stop the sessionwrap started by sw_start.
sw_stop() {
	[ -n "$SW_PID" ] || return 0
	kill -TERM "$SW_PID" 2>/dev/null
	_n=0
	while kill -0 "$SW_PID" 2>/dev/null && [ $_n -lt $((_sw_grace + 20)) ]; do sleep 0.1; _n=$((_n + 1)); done
	kill -KILL "$SW_PID" 2>/dev/null
	wait "$SW_PID" 2>/dev/null
	if [ -n "$SW_WRAP" ]; then
		sw_vg_check "$T/vg/$SW_PID.vg" || fail "valgrind found errors in sessionwrap"
	fi
	SW_PID=
}

# sw_alive: fail unless sessionwrap is still running.
sw_alive() {
	kill -0 "$SW_PID" 2>/dev/null || fail "sessionwrap died ($*)"
}

# install_scripts DIR: copy the test CGI scripts to DIR with their modes,
# with @SESSIONWRAP_CTL@ pointing at the built tool.
install_scripts() {
	mkdir -p "$1"
	chmod 755 "$1"
	for s in "$SCRIPTS_SRC"/*; do
		_d="$1/$(basename "$s")"
		sed "s|@SESSIONWRAP_CTL@|$SESSIONWRAP_CTL|g" "$s" > "$_d"
		if [ -x "$s" ]; then chmod 755 "$_d"; else chmod 644 "$_d"; fi
	done
}

# docroot_setup: $T/www as document root, $T/www/cgi-bin as script_root
# holding the test scripts, $T/state for scripts to write to.
docroot_setup() {
	DOCROOT=$T/www
	SCRIPT_ROOT=$DOCROOT/cgi-bin
	mkdir -p "$DOCROOT" "$T/state"
	chmod 755 "$DOCROOT"
	chmod 777 "$T/state"
	install_scripts "$SCRIPT_ROOT"
	echo "static file" > "$DOCROOT/index.html"
	chmod 644 "$DOCROOT/index.html"
}

# lighttpd_start [PORT]: lighttpd from contrib/lighttpd.conf with our paths,
# FastCGI to $SW_SOCK. Sets PORT, BASE, LIGHTTPD_PID.
lighttpd_start() {
	need_cmd lighttpd
	PORT=${1:-$(free_port)}
	BASE="http://127.0.0.1:$PORT"
	# LIGHTTPD_FORM=binpath: swap the shipped file's two fastcgi.server forms,
	# so lighttpd spawns $SESSIONWRAP itself with $SW_CONF (socket on fd 0).
	if [ "$LIGHTTPD_FORM" = binpath ]; then
		awk '$0 == "fastcgi.server = (" { c = 1 } $0 == "#fastcgi.server = (" { u = 1 }
		    c { print "#" $0; if ($0 == ")") c = 0; next }
		    u { sub(/^#/, ""); print; if ($0 == ")") u = 0; next }
		    { print }' "$top_srcdir/contrib/lighttpd.conf"
	else
		cat "$top_srcdir/contrib/lighttpd.conf"
	fi | sed -e "s|/var/www/sessionwrap|$DOCROOT|g" \
	    -e "s|/run/sessionwrap/sessionwrap.sock|$SW_SOCK|g" \
	    -e "s|/run/lighttpd/sessionwrap.sock|$T/lighttpd-sw.sock|g" \
	    -e "s|/usr/local/bin/sessionwrap -c /etc/sessionwrap.conf|$SESSIONWRAP -c ${SW_CONF:-$T/sw.conf}|g" \
	    -e "s|^server.port *=.*|server.port = $PORT|" \
	    -e "s|^server.bind *=.*|server.bind = \"127.0.0.1\"|" \
	    -e "s|^server.errorlog *=.*|server.errorlog = \"$T/lighttpd.log\"|" \
	    -e "s|^server.pid-file *=.*|server.pid-file = \"$T/lighttpd.pid\"|" \
	    > "$T/lighttpd.conf"
	# Settings a test needs beyond the shipped file (LIGHTTPD_EXTRA, one per line).
	[ -z "$LIGHTTPD_EXTRA" ] || printf '%s\n' "$LIGHTTPD_EXTRA" >> "$T/lighttpd.conf"
	lighttpd -tt -f "$T/lighttpd.conf" >>"$T/lighttpd.log" 2>&1 ||
	    fail "lighttpd rejects $T/lighttpd.conf: $(tail -n 3 "$T/lighttpd.log")"
	setsid $SW_PDEATH lighttpd -D -f "$T/lighttpd.conf" >>"$T/lighttpd.log" 2>&1 </dev/null &
	LIGHTTPD_PID=$!
	sw_track "$LIGHTTPD_PID"
	wait_for_port "$PORT" 10 "$LIGHTTPD_PID"
}

# req PATH [curl args]: request $BASE$PATH with the cookie jar $JAR (if set).
# Sets STATUS; headers in $T/out.h, body in $T/out.b.
req() {
	_p=$1
	shift
	if [ -n "$JAR" ]; then
		set -- -b "$JAR" -c "$JAR" "$@"
	fi
	STATUS=$(curl -sS --max-time "${REQ_TIMEOUT:-30}" -o "$T/out.b" -D "$T/out.h" \
	    -w '%{http_code}' "$@" "$BASE$_p") || STATUS=000
	tr -d '\r' < "$T/out.h" > "$T/out.h.tmp" && mv "$T/out.h.tmp" "$T/out.h"
}

# expect_status CODE [what]
expect_status() {
	[ "$STATUS" = "$1" ] || {
		echo "--- response headers:" >&2; cat "$T/out.h" >&2
		echo "--- body (first 20 lines):" >&2; head -n 20 "$T/out.b" >&2
		fail "${2:-request}: expected status $1, got $STATUS"
	}
}

# header NAME: print the values of response header NAME (case-insensitive).
header() {
	awk -v n="$1" 'BEGIN { n = tolower(n) }
	    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v } }' "$T/out.h"
}

# set_cookie_of NAME: the Set-Cookie header line for cookie NAME, if any.
set_cookie_of() {
	header Set-Cookie | grep "^$1=" | tail -n 1
}

# until_200 SECONDS CMD [ARGS]: repeat CMD (a request that sets STATUS) until
# it answers 200; 1 when it still does not after SECONDS.
until_200() {
	_u_end=$(( $(date +%s) + $1 ))
	shift
	while :; do
		"$@"
		[ "$STATUS" = 200 ] && return 0
		[ "$(date +%s)" -lt "$_u_end" ] || return 1
		sleep 0.2
	done
}

# burst_get N URL [curl args]: N concurrent GETs of URL, where NUM becomes
# 0 to N-1. The status codes go to $T/codes one per line, a summary to
# CODES ("16 x 200 ..."); true when every one was 200.
burst_get() {
	_bn=$1
	_bu=$2
	shift 2
	: > "$T/urls"
	_bi=0
	while [ $_bi -lt "$_bn" ]; do
		echo "url = \"$(echo "$_bu" | sed "s/NUM/$_bi/g")\"" >> "$T/urls"
		echo "output = /dev/null" >> "$T/urls"
		_bi=$((_bi + 1))
	done
	curl -sS -Z --parallel-max 64 --max-time 60 -K "$T/urls" \
	    -w '%{http_code}\n' "$@" > "$T/codes" 2>"$T/curl.err"
	CODES=$(sort "$T/codes" | uniq -c | awk '{ printf " %s x %s", $1, $2 }')
	[ "$(grep -c '^200$' "$T/codes")" = "$_bn" ]
}

# The session checks every web server front shares, on the jar $JAR with
# counter.sh and do.py under DIR (default /cgi-bin):
# web_counter [DIR]: three visits count 1, 2, 3; no X-Session-* header
# reaches the client.
web_counter() {
	for _wi in 1 2 3; do
		req "${1:-/cgi-bin}/counter.sh"
		expect_status 200 "counter $_wi"
		grep -q "^n=$_wi " "$T/out.b" || fail "counter request $_wi: expected n=$_wi, got: $(cat "$T/out.b")"
		grep -qi '^x-session-' "$T/out.h" && fail "X-Session-* header reached the client"
	done
}

# web_login USER [DIR]: after web_counter, logging in changes the cookie and
# keeps the data (n=4); the pre-login cookie replayed is not logged in.
web_login() {
	_wpre=$(jar_cookie "$JAR" sessionwrap)
	req "${2:-/cgi-bin}/do.py?$(do_query "X-Session-Login: $1")"
	expect_status 200 "login"
	_wpost=$(jar_cookie "$JAR" sessionwrap)
	[ -n "$_wpost" ] && [ "$_wpost" != "$_wpre" ] || fail "login did not change the cookie value"
	req "${2:-/cgi-bin}/counter.sh"
	grep -q "^n=4 user=$1 " "$T/out.b" || fail "after login: $(cat "$T/out.b")"
	req_nojar "${2:-/cgi-bin}/do.py" -H "Cookie: sessionwrap=$_wpre"
	expect_status 200 "replay"
	expect_json 'j.get("SESSION_USER", "")' '' "SESSION_USER with the pre-login cookie"
}

# web_logout [DIR]: logout expires the cookie; the next visit starts over.
web_logout() {
	req "${1:-/cgi-bin}/do.py?$(do_query 'X-Session-Logout: 1')"
	expect_status 200 "logout"
	set_cookie_of sessionwrap | grep -qi 'Max-Age=0' || fail "logout did not expire the cookie: $(set_cookie_of sessionwrap)"
	req "${1:-/cgi-bin}/counter.sh"
	grep -q '^n=1 user= new=1' "$T/out.b" || fail "after logout: $(cat "$T/out.b")"
}

# new_sessions N FILE PATH: N fresh sessions, each made by one request of
# PATH with an empty cookie jar; their cookie values go to FILE, one a line.
new_sessions() {
	_sj=$JAR
	JAR=$T/jar.new
	: > "$2"
	_si=0
	while [ $_si -lt "$1" ]; do
		: > "$JAR"
		req "$3"
		expect_status 200 "new session $_si ($3)"
		_sc=$(jar_cookie "$JAR" sessionwrap)
		[ -n "$_sc" ] || fail "new session $_si ($3): no cookie"
		echo "$_sc" >> "$2"
		_si=$((_si + 1))
	done
	JAR=$_sj
}

# jar_cookie JAR NAME: the value of cookie NAME in a curl cookie jar.
jar_cookie() {
	awk -v n="$2" '/^#HttpOnly_/ { sub(/^#HttpOnly_/, "") } /^#/ { next } NF >= 7 && $6 == n { v = $7 } END { if (v != "") print v }' "$1"
}

# body_json EXPR: evaluate a Python expression over the JSON body as `j`
# (env dumps from do.py: j["SESSION_USER"], s = parsed $SESSION).
body_json() {
	python3 - "$T/out.b" "$1" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("<body is not JSON: %s>" % e)
    sys.exit(0)
try:
    s = json.loads(j.get("SESSION") or "null")
except Exception:
    s = "<SESSION is not JSON: %r>" % j.get("SESSION")
r = eval(sys.argv[2])
if isinstance(r, str):
    print(r)
else:
    print(json.dumps(r, sort_keys=True, separators=(",", ":")))
EOF
}

# expect_json EXPR VALUE [what]
expect_json() {
	_got=$(body_json "$1")
	[ "$_got" = "$2" ] || fail "${3:-$1}: expected '$2', got '$_got'"
}

# urlencode STRING
urlencode() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# do_query HEADER...: query string making do.py emit these response headers.
do_query() {
	_q=""
	for h in "$@"; do
		_q="$_q${_q:+&}h=$(urlencode "$h")"
	done
	echo "$_q"
}

# apache_start [PORT]: Apache 2.4 (prefork) with a generated minimal
# httpd.conf that includes contrib/apache.conf (mod_proxy_fcgi to $SW_SOCK for
# $DOCROOT/cgi-bin) and contrib/apache-cgi.conf (mod_cgi + Action running
# $T/swcgi/sessionwrap as CGI with $T/sw-cgi.conf for $DOCROOT/cgi).
# APACHE_MODULES: more modules to load (names as in mod_NAME.so);
# APACHE_EXTRA: more lines for httpd.conf; APACHE_SITES=none leaves out the
# two contrib files. As root, Apache's children run as
# www-data. Sets PORT, BASE, APACHE_PID.
apache_start() {
	need_cmd apache2
	_mods=/usr/lib/apache2/modules
	[ -f "$_mods/mod_proxy_fcgi.so" ] || skip "Apache mod_proxy_fcgi not installed"
	PORT=${1:-$(free_port)}
	BASE="http://127.0.0.1:$PORT"
	mkdir -p "$T/apache-run" "$T/swcgi"
	sed -e "s|/var/www/sessionwrap|$DOCROOT|g" \
	    -e "s|/run/sessionwrap/sessionwrap.sock|$SW_SOCK|g" \
	    "$top_srcdir/contrib/apache.conf" > "$T/apache-site.conf"
	sed -e "s|/var/www/sessionwrap/cgi-bin|$DOCROOT/cgi|g" \
	    -e "s|/var/www/sessionwrap|$DOCROOT|g" \
	    -e "s|/usr/local/lib/sessionwrap/cgi|$T/swcgi|g" \
	    -e "s|/etc/sessionwrap.conf|$T/sw-cgi.conf|g" \
	    "$top_srcdir/contrib/apache-cgi.conf" > "$T/apache-cgi-site.conf"
	{
		echo "ServerName 127.0.0.1"
		echo "Listen 127.0.0.1:$PORT"
		echo "PidFile $T/apache.pid"
		echo "ErrorLog $T/apache.log"
		echo "LogLevel ${APACHE_LOGLEVEL:-warn}"
		echo "DefaultRuntimeDir $T/apache-run"
		echo "Mutex file:$T/apache-run default"
		for m in mpm_prefork authz_core mime dir alias actions cgi env proxy proxy_fcgi $APACHE_MODULES; do
			echo "LoadModule ${m}_module $_mods/mod_$m.so"
		done
		if [ "$(id -u)" = 0 ]; then
			echo "User www-data"
			echo "Group www-data"
		fi
		echo "StartServers 2"
		echo "MaxRequestWorkers 16"
		echo "TypesConfig /etc/mime.types"
		echo "DocumentRoot $DOCROOT"
		echo "<Directory />"
		echo "	AllowOverride None"
		echo "	Require all denied"
		echo "</Directory>"
		echo "<Directory $DOCROOT>"
		echo "	Require all granted"
		echo "</Directory>"
		# APACHE_SITES=none: only what APACHE_EXTRA brings.
		if [ "${APACHE_SITES:-default}" = default ]; then
			echo "Include $T/apache-site.conf"
			echo "Include $T/apache-cgi-site.conf"
		fi
		# More lines from the test (APACHE_EXTRA, one per line).
		[ -z "$APACHE_EXTRA" ] || printf '%s\n' "$APACHE_EXTRA"
	} > "$T/httpd.conf"
	apache2 -t -f "$T/httpd.conf" >>"$T/apache.log" 2>&1 ||
	    fail "apache2 rejects $T/httpd.conf: $(tail -n 3 "$T/apache.log")"
	# Own session: on shutdown Apache signals its whole process group.
	setsid $SW_PDEATH apache2 -f "$T/httpd.conf" -DFOREGROUND >>"$T/apache.log" 2>&1 </dev/null &
	APACHE_PID=$!
	sw_track "$APACHE_PID"
	wait_for_port "$PORT" 10 "$APACHE_PID"
}

# req_nojar PATH [curl args]: req without the cookie jar.
req_nojar() {
	_jar=$JAR
	JAR=
	req "$@"
	JAR=$_jar
}

# nginx_start [PORT]: Debian's nginx with a generated nginx.conf (pid, logs and
# temp paths in $T) whose http block includes contrib/nginx.conf with our
# paths, FastCGI to $SW_SOCK. NGINX_HTTP_EXTRA and NGINX_SERVER_EXTRA: more
# lines for the http block and for the server block (at the snippet's
# "add the location from contrib/nginx-ws.conf here" line). As root, the
# workers run as www-data. Sets PORT, BASE, NGINX_PID.
nginx_start() {
	need_cmd nginx
	PORT=${1:-$(free_port)}
	BASE="http://127.0.0.1:$PORT"
	mkdir -p "$T/nginx-tmp"
	# Relative includes (fastcgi_params, mime.types) resolve next to the
	# main file, as under /etc/nginx.
	for f in fastcgi_params mime.types; do
		ln -sf "/etc/nginx/$f" "$T/$f"
	done
	printf '%s\n' "$NGINX_SERVER_EXTRA" > "$T/nginx-server-extra.conf"
	sed -e "s|/var/www/sessionwrap|$DOCROOT|g" \
	    -e "s|/run/sessionwrap/sessionwrap.sock|$SW_SOCK|g" \
	    -e "s|^\([ 	]*\)listen 80;|\1listen 127.0.0.1:$PORT;|" \
	    -e "s|^\([ 	]*\)# WebSocket: add the location from contrib/nginx-ws.conf here.|&\n\1include $T/nginx-server-extra.conf;|" \
	    "$top_srcdir/contrib/nginx.conf" > "$T/nginx-site.conf"
	grep -q "listen 127.0.0.1:$PORT;" "$T/nginx-site.conf" ||
	    fail "contrib/nginx.conf has no 'listen 80;' line to replace"
	{
		[ "$(id -u)" = 0 ] && echo "user www-data;"
		echo "worker_processes 1;"
		echo "pid $T/nginx.pid;"
		echo "error_log $T/nginx.log ${NGINX_LOGLEVEL:-warn};"
		echo "events { worker_connections 256; }"
		echo "http {"
		echo "	include mime.types;"
		echo "	default_type application/octet-stream;"
		echo "	access_log $T/nginx-access.log;"
		for t in client_body proxy fastcgi uwsgi scgi; do
			echo "	${t}_temp_path $T/nginx-tmp/$t;"
		done
		printf '%s\n' "$NGINX_HTTP_EXTRA"
		echo "	include $T/nginx-site.conf;"
		echo "}"
	} > "$T/nginx.conf"
	nginx -t -q -e "$T/nginx.log" -c "$T/nginx.conf" -p "$T" >>"$T/nginx.log" 2>&1 ||
	    fail "nginx rejects $T/nginx.conf: $(tail -n 3 "$T/nginx.log")"
	setsid $SW_PDEATH nginx -e "$T/nginx.log" -c "$T/nginx.conf" -p "$T" -g 'daemon off;' \
	    >>"$T/nginx.log" 2>&1 </dev/null &
	NGINX_PID=$!
	sw_track "$NGINX_PID"
	wait_for_port "$PORT" 10 "$NGINX_PID"
}

# ws_start [extra args]: sessionwrap-ws on unix:$WS_SOCK (default $T/ws.sock)
# with ${SW_CONF:-$T/sw.conf}, whose ws_control (give it to sw_config) is
# waited for too. Skips (fails under CI) when it was not built. Sets
# SESSIONWRAP_WS, WS_SOCK, WS_PID; log in $T/sessionwrap-ws.log.
ws_start() {
	SESSIONWRAP_WS="$top_builddir/src/sessionwrap-ws"
	[ -x "$SESSIONWRAP_WS" ] || skip "sessionwrap-ws not built (configure found no libevent/wslay)"
	WS_SOCK=${WS_SOCK:-$T/ws.sock}
	rm -f "$WS_SOCK"
	# shellcheck disable=SC2086
	setsid $SW_PDEATH $SW_WRAP "$SESSIONWRAP_WS" -c "${SW_CONF:-$T/sw.conf}" --listen "unix:$WS_SOCK" "$@" \
	    >>"$T/sessionwrap-ws.log" 2>&1 </dev/null &
	WS_PID=$!
	sw_track "$WS_PID"
	_w=$([ -n "$SW_WRAP" ] && echo 60 || echo 10)
	wait_for_socket "$WS_SOCK" "$_w" "$WS_PID"
	_ctl=$(sed -n 's/^ws_control *= *//p' "${SW_CONF:-$T/sw.conf}" | tail -n 1)
	[ -z "$_ctl" ] || wait_for_socket "$_ctl" "$_w" "$WS_PID"
	# A web server that dropped root must still connect.
	chmod 666 "$WS_SOCK"
}

# lighttpd_ws_proxy: LIGHTTPD_EXTRA includes contrib/lighttpd-ws.conf, its
# proxy pointed at $WS_SOCK (call before lighttpd_start).
lighttpd_ws_proxy() {
	sed -e "s|/run/sessionwrap/ws.sock|$WS_SOCK|g" \
	    "$top_srcdir/contrib/lighttpd-ws.conf" > "$T/lighttpd-ws.conf"
	LIGHTTPD_EXTRA="include \"$T/lighttpd-ws.conf\""
}

# ws_python: print a python3 that has the websockets module, or skip.
ws_python() {
	for _p in python3 /usr/bin/python3; do
		if "$_p" -c 'import websockets' 2>/dev/null; then
			echo "$_p"
			return 0
		fi
	done
	skip "python3-websockets not installed"
}
