#!/bin/sh
# Side-by-side throughput: the same trivial shell CGI script behind lighttpd,
# once through Debian's fcgiwrap (no sessions) and once through sessionwrap
# (cookie store, every request reads and updates the session), with the same
# number of workers, driven by wrk over loopback.
#
#   sh bench/fcgiwrap.sh [--duration SECONDS] [--workers N] [--connections N]
#
# Needs a build in ./build (sh tests/check.sh or sh examples/demo.sh makes one;
# BUILD_DIR overrides), lighttpd, fcgiwrap, wrk, curl, python3.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
duration=10
workers=$(nproc 2>/dev/null || echo 2)
connections=16
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift ;;
	--duration=*) duration=${1#*=} ;;
	--workers) workers=$2; shift ;;
	--workers=*) workers=${1#*=} ;;
	--connections) connections=$2; shift ;;
	--connections=*) connections=${1#*=} ;;
	-h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "fcgiwrap.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
for v in "$duration" "$workers" "$connections"; do
	case $v in ''|*[!0-9]*|0) echo "fcgiwrap.sh: numbers must be positive integers" >&2; exit 2 ;; esac
done

top_srcdir=$top
top_builddir=$BUILD_DIR
SW_TEST_TIMEOUT=$((duration * 2 + 120))
. "$top/tests/lib.sh"
TEST_NAME=bench
[ -x "$SESSIONWRAP" ] || { echo "bench: $SESSIONWRAP not built; run: sh tests/check.sh" >&2; exit 1; }
need_cmd lighttpd fcgiwrap wrk curl python3
sw_setup

DOCROOT=$T/www
SCRIPT_ROOT=$DOCROOT/cgi-bin
mkdir -p "$SCRIPT_ROOT"
chmod 755 "$DOCROOT" "$SCRIPT_ROOT"
# The handler: read n from $SESSION without forking, store n + 1.
cat > "$SCRIPT_ROOT/bench.sh" <<'SCRIPT'
#!/bin/sh
case $SESSION in
*'"n":"'*) n=${SESSION#*\"n\":\"}; n=${n%%\"*} ;;
*) n=0 ;;
esac
case $n in ''|*[!0-9]*) n=0 ;; esac
n=$((n + 1))
printf 'Content-Type: text/plain\r\nX-Session-Set: n=%s\r\n\r\n%s\n' "$n" "$n"
SCRIPT
chmod 755 "$SCRIPT_ROOT/bench.sh"

# run_wrk LABEL [wrk args]: prints requests/s; the full report goes to $T/LABEL.wrk.
run_wrk() {
	_l=$1
	shift
	wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s "$@" "$BASE/cgi-bin/bench.sh" \
	    > "$T/$_l.wrk" 2>&1 || { cat "$T/$_l.wrk" >&2; fail "wrk failed ($_l)"; }
	_bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/$_l.wrk")
	[ -z "$_bad" ] || { cat "$T/$_l.wrk" >&2; fail "$_l: $_bad non-2xx responses"; }
	sed -n 's/^Requests\/sec: *//p' "$T/$_l.wrk"
}

stop_lighttpd() {
	kill -TERM "$LIGHTTPD_PID" 2>/dev/null
	wait "$LIGHTTPD_PID" 2>/dev/null
}

echo "bench: $workers workers, wrk -t2 -c$connections -d${duration}s, loopback" >&2

# 1. fcgiwrap.
SW_SOCK=$T/fcgiwrap.sock
setsid fcgiwrap -c "$workers" -s "unix:$SW_SOCK" >>"$T/fcgiwrap.log" 2>&1 </dev/null &
FCGIWRAP_PID=$!
sw_track "$FCGIWRAP_PID"
wait_for_socket "$SW_SOCK" 10 "$FCGIWRAP_PID"
lighttpd_start
req /cgi-bin/bench.sh
expect_status 200 "fcgiwrap warm-up"
rps_fcgiwrap=$(run_wrk fcgiwrap)
stop_lighttpd
# fcgiwrap -c forks workers that outlive their parent: end its process group.
kill -TERM "-$FCGIWRAP_PID" 2>/dev/null

# 2. sessionwrap, with a valid session cookie on every request.
SW_SOCK=$T/sw.sock
sw_secret
sw_config log_level=warning
sw_start --threads "$workers"
lighttpd_start
JAR=$T/jar
: > "$JAR"
req /cgi-bin/bench.sh
expect_status 200 "sessionwrap warm-up"
cookie=$(jar_cookie "$JAR" sessionwrap)
[ -n "$cookie" ] || fail "no session cookie from sessionwrap"
req /cgi-bin/bench.sh
grep -qx 2 "$T/out.b" || fail "session not carried between requests: $(cat "$T/out.b")"
rps_sessionwrap=$(run_wrk sessionwrap -H "Cookie: sessionwrap=$cookie")

printf '%-28s %12s req/s\n' "fcgiwrap ($workers workers):" "$rps_fcgiwrap"
printf '%-28s %12s req/s\n' "sessionwrap ($workers threads):" "$rps_sessionwrap"
python3 -c 'import sys; print("sessionwrap/fcgiwrap = %.2fx" % (float(sys.argv[2]) / float(sys.argv[1])))' \
    "$rps_fcgiwrap" "$rps_sessionwrap"
exit 0
