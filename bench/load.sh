#!/bin/sh
# Load test: wrk with many connections over many sessions through lighttpd +
# sessionwrap, against each store, with concurrent writers per session; then
# proof that nothing acknowledged was lost and that sessionwrap did not grow.
#
#   sh bench/load.sh [--duration SECONDS] [--connections N] [--sessions N]
#                    [--runs "cookie memcached:merge ..."] [--threads N]
#                    [--binpath]
#
# Runs (default: all five), each on a fresh sessionwrap:
#   cookie               cookie store; every answer must build on the cookie sent
#   memcached:merge      lock = merge; every request increments a counter key
#   postgresql:merge     of its own (one request in flight per key, several
#                        keys per session written at once)
#   memcached:exclusive  lock = exclusive; every request increments the
#   postgresql:exclusive session's one counter
# Each run: a warm-up of 3 s, then --duration seconds (default 60) of wrk with
# --connections (default 200) over --sessions (default 50) pre-made sessions
# (bench/load.lua). Checks: zero 5xx and zero other failures; every write
# wrk saw acknowledged (200) is in the store (zero lost updates) and each
# merge write saw the previous one; sessionwrap's open fds back to where they
# were after the warm-up and its RSS within 10% + 4 MB of it. Prints a table
# of the figures; exits 1 when a check failed. --binpath: lighttpd spawns
# sessionwrap itself (bin-path, its listening socket on fd 0) instead of
# sessionwrap --listen.
#
# Loopback only, bounded in time. Needs a build in ./build (BUILD_DIR
# overrides), lighttpd, wrk, curl, python3, and memcached and PostgreSQL for
# their runs.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
duration=60
connections=200
sessions=50
threads=
binpath=
runs="cookie memcached:merge memcached:exclusive postgresql:merge postgresql:exclusive"
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift ;;
	--duration=*) duration=${1#*=} ;;
	--connections) connections=$2; shift ;;
	--connections=*) connections=${1#*=} ;;
	--sessions) sessions=$2; shift ;;
	--sessions=*) sessions=${1#*=} ;;
	--threads) threads=$2; shift ;;
	--threads=*) threads=${1#*=} ;;
	--runs) runs=$2; shift ;;
	--runs=*) runs=${1#*=} ;;
	--binpath) binpath=1 ;;
	-h|--help) sed -n '2,30s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "load.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
for v in "$duration" "$connections" "$sessions" ${threads:+"$threads"}; do
	case $v in ''|*[!0-9]*|0) echo "load.sh: numbers must be positive integers" >&2; exit 2 ;; esac
done
nruns=0
for r in $runs; do
	case $r in
	cookie|memcached:merge|memcached:exclusive|postgresql:merge|postgresql:exclusive) ;;
	memcached:none|postgresql:none) ;;	# controls: must show lost updates
	*) echo "load.sh: unknown run $r" >&2; exit 2 ;;
	esac
	nruns=$((nruns + 1))
done

top_srcdir=$top
if [ -z "$top_builddir" ]; then
	top_builddir=$BUILD_DIR
fi
SW_TEST_TIMEOUT=$((nruns * (duration + 90) + 120))
. "$top/tests/lib.sh"
. "$top/tests/integration/store_servers.sh"
TEST_NAME=load
[ -x "$SESSIONWRAP" ] || { echo "load: $SESSIONWRAP not built; run: sh tests/check.sh" >&2; exit 1; }
need_cmd lighttpd wrk curl python3
sw_setup
stores_init

DOCROOT=$T/www
SCRIPT_ROOT=$DOCROOT/cgi-bin
mkdir -p "$SCRIPT_ROOT"
chmod 755 "$DOCROOT" "$SCRIPT_ROOT"
# The handler: increment key k of the session, without forking. k=dump
# prints the session, k=noop does nothing.
cat > "$SCRIPT_ROOT/load.sh" <<'SCRIPT'
#!/bin/sh
q=$QUERY_STRING
tok=${q#tok=}; tok=${tok%%&*}
s=${q#*&s=}; s=${s%%&*}
k=${q#*&k=}; k=${k%%&*}
case $k in
dump) printf 'Content-Type: application/json\r\n\r\n%s\n' "$SESSION"; exit 0 ;;
noop) printf 'Content-Type: text/plain\r\n\r\ntok=0 s=0 k=noop v=0\n'; exit 0 ;;
''|*[!A-Za-z0-9]*) printf 'Status: 400 Bad Request\r\n\r\nbad key\n'; exit 0 ;;
esac
case $SESSION in
*"\"$k\":\""*) v=${SESSION#*\"$k\":\"}; v=${v%%\"*} ;;
*) v=0 ;;
esac
case $v in ''|*[!0-9]*) v=0 ;; esac
v=$((v + 1))
printf 'Content-Type: text/plain\r\nX-Session-Set: %s=%s\r\n\r\ntok=%s s=%s k=%s v=%s\n' \
    "$k" "$v" "$tok" "$s" "$k" "$v"
SCRIPT
chmod 755 "$SCRIPT_ROOT/load.sh"
sw_secret

wrk_threads=2
tokens=$(( (connections + wrk_threads - 1) / wrk_threads * 2 ))
FAILED=
RESULTS=$T/results
: > "$RESULTS"

# rss_kb, nfds: of the running sessionwrap.
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$SW_PID/status"; }
nfds() { ls "/proc/$SW_PID/fd" | wc -l; }

# quiet: wait (at most 15 s) until sessionwrap has no child left.
quiet() {
	_n=0
	while [ -n "$(ps --ppid "$SW_PID" -o pid= 2>/dev/null)" ] && [ $_n -lt 150 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

# binpath_child: true once lighttpd has spawned sessionwrap; sets SW_PID.
binpath_child() {
	SW_PID=$(ps --ppid "$LIGHTTPD_PID" -o pid=,comm= | awk '$2 == "sessionwrap" { print $1 }')
	[ -n "$SW_PID" ]
}

# stop_lighttpd: stop lighttpd (and what it spawned), if running.
stop_lighttpd() {
	[ -n "$LIGHTTPD_PID" ] || return 0
	kill -TERM "$LIGHTTPD_PID" 2>/dev/null
	wait "$LIGHTTPD_PID" 2>/dev/null
	LIGHTTPD_PID=
}

# make_sessions: $sessions sessions holding init=1; cookies in $T/cookies.
make_sessions() {
	: > "$T/cookies"
	_i=0
	while [ $_i -lt "$sessions" ]; do
		_i=$((_i + 1))
		curl -sS -o /dev/null -D "$T/mk.h" --max-time 30 \
		    "$BASE/cgi-bin/load.sh?tok=0&s=0&k=init" || fail "making session $_i"
		_c=$(tr -d '\r' < "$T/mk.h" | sed -n 's/^[Ss]et-[Cc]ookie: sessionwrap=\([^;]*\).*/\1/p' | head -n 1)
		[ -n "$_c" ] || fail "no cookie for session $_i: $(head -n 1 "$T/mk.h")"
		echo "$_c" >> "$T/cookies"
	done
}

# dump_sessions FILE: every session's data, one JSON object a line.
dump_sessions() {
	: > "$1"
	while read -r _c; do
		curl -sS --max-time 30 -b "sessionwrap=$_c" "$BASE/cgi-bin/load.sh?tok=0&s=0&k=dump" >> "$1" ||
		    echo '{"<dump failed>":"1"}' >> "$1"
	done < "$T/cookies"
}

# wrk_run SECONDS MODE OUT
wrk_run() {
	LOAD_OUT=$3 wrk -t"$wrk_threads" -c"$connections" -d"${1}s" --timeout 10s \
	    -s "$top/bench/load.lua" "$BASE/cgi-bin/load.sh" -- "$T/cookies" "$2" "$tokens" \
	    > "$3.wrk" 2>&1 || { cat "$3.wrk" >&2; fail "wrk failed"; }
}

# one_run STORE LOCK: a fresh sessionwrap, the sessions, warm-up, load, checks.
one_run() {
	_store=$1
	_lock=$2
	case $_store in
	cookie) _uri=cookie; _mode=cookie ;;
	memcached) _uri="memcached://127.0.0.1:$MC_PORT"; _mode=$_lock ;;
	postgresql) _uri=$PG_URI; _mode=$_lock ;;
	esac
	sw_config store="$_uri" lock="$_lock" log_level=warning ${threads:+threads="$threads"}
	if [ -n "$binpath" ]; then
		# lighttpd starts sessionwrap with this run's configuration.
		stop_lighttpd
		LIGHTTPD_FORM=binpath lighttpd_start
		wait_until 10 binpath_child || fail "lighttpd started no sessionwrap"
	else
		sw_stop
		sw_start
		[ -n "$LIGHTTPD_PID" ] || lighttpd_start
	fi
	# lighttpd may hold the backend as down for a moment after a restart.
	_n=0
	until [ "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/cgi-bin/load.sh?tok=0&s=0&k=noop")" = 200 ]; do
		_n=$((_n + 1))
		[ $_n -lt 100 ] || fail "sessionwrap does not answer through lighttpd"
		sleep 0.1
	done
	make_sessions
	log "$_store, lock = $_lock: warm-up 3 s"
	wrk_run 3 "$_mode" "$T/warm.out"
	quiet
	sleep 1
	_rss0=$(rss_kb)
	_fd0=$(nfds)
	log "$_store, lock = $_lock: $duration s, $connections connections, $sessions sessions"
	wrk_run "$duration" "$_mode" "$T/load.out"
	quiet
	sleep 1
	_rss1=$(rss_kb)
	_fd1=$(nfds)
	dump_sessions "$T/dump.json"
	python3 - "$_store" "$_lock" "$_mode" "$T/warm.out" "$T/load.out" "$T/dump.json" \
	    "$_rss0" "$_rss1" "$_fd0" "$_fd1" "${_sw_san:+asan}" >> "$RESULTS" <<'EOF' ||
import json, sys
store, lock, mode, warm, load, dump = sys.argv[1:7]
rss0, rss1, fd0, fd1 = (int(x) for x in sys.argv[7:11])
san = sys.argv[11] == "asan"

def read(path):
    acks, st, v = {}, {}, {}
    for line in open(path):
        f = line.split()
        if f[0] == "ack":
            key = (int(f[1]), f[2])
            acks[key] = acks.get(key, 0) + int(f[3])
        elif f[0] == "status":
            st[f[1]] = st.get(f[1], 0) + int(f[2])
        else:
            v[f[0]] = int(f[1])
    return acks, st, v

wa, ws, wv = read(warm)
la, ls, lv = read(load)
acks = dict(wa)
for k, n in la.items():
    acks[k] = acks.get(k, 0) + n
sess = [json.loads(l) for l in open(dump)]
lost = 0
if mode != "cookie":
    want = {}
    for (s, k), n in acks.items():
        if k == "noop":
            continue
        want[(s, k)] = want.get((s, k), 0) + n
    for (s, k), n in want.items():
        got = int(sess[s - 1].get(k, "0"))
        if got < n:
            lost += n - got
st = dict(ws)
for k, n in ls.items():
    st[k] = st.get(k, 0) + n
fivexx = sum(n for k, n in st.items() if k.startswith("5"))
other = sum(n for k, n in st.items() if k != "200" and not k.startswith("5"))
errs = sum(lv.get(k, 0) + wv.get(k, 0) for k in
           ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
stale = lv.get("stale", 0) + wv.get("stale", 0)
rps = lv.get("requests", 0) / (lv.get("duration_us", 1) / 1e6)
reqs = lv.get("requests", 0) + wv.get("requests", 0)
problems = []
if fivexx:
    problems.append("%d 5xx (%s)" % (fivexx, ", ".join("%s x %d" % (k, n) for k, n in sorted(st.items()) if k != "200")))
if other:
    problems.append("%d other non-200" % other)
if errs:
    problems.append("%d socket errors or timeouts" % errs)
if lost:
    problems.append("%d lost updates" % lost)
if stale:
    problems.append("%d answers that missed an earlier write" % stale)
if fd1 > fd0:
    problems.append("fds grew %d -> %d" % (fd0, fd1))
if rss1 > rss0 * 1.10 + 4096:
    if san:
        print("# RSS growth %d -> %d kB not judged under ASan (quarantine)" % (rss0, rss1))
    else:
        problems.append("RSS grew %d -> %d kB" % (rss0, rss1))
print("%-10s %-9s %9d %8.0f %6d %6s %6d %8d %8d %5d %5d  p99 %.0f ms  %s" % (
    store, lock if store != "cookie" else "-", reqs, rps, fivexx,
    "n/a" if mode == "cookie" else str(lost), stale, rss0, rss1, fd0, fd1,
    lv.get("latency_p99_us", 0) / 1000.0, "ok" if not problems else "FAIL: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
EOF
	FAILED="$FAILED $_store:$_lock"
	tail -n 1 "$RESULTS" >&2
}

SW_SOCK=$T/sw.sock
for r in $runs; do
	case $r in
	memcached:*)
		if [ -z "$MC_PORT" ]; then
			need_cmd memcached
			MC_PORT=$(free_port)
			# Room for the sessions whatever the duration.
			mc_start 1 "$MC_PORT"
		fi ;;
	postgresql:*)
		[ -n "$PG_URI" ] || pg_setup ;;
	esac
	case $r in
	cookie) one_run cookie none ;;
	*) one_run "${r%%:*}" "${r#*:}" ;;
	esac
done
[ -n "$binpath" ] && stop_lighttpd && SW_PID=
sw_stop

echo "load: wrk -t$wrk_threads -c$connections -d${duration}s, $sessions sessions, sessionwrap threads ${threads:-default}${binpath:+, bin-path}, loopback"
printf '%-10s %-9s %9s %8s %6s %6s %6s %8s %8s %5s %5s\n' store lock requests 'req/s' 5xx lost stale \
    'rss0 kB' 'rss1 kB' fds0 fds1
cat "$RESULTS"
if [ -n "$FAILED" ]; then
	echo "load: FAILED:$FAILED"
	exit 1
fi
echo "load: all runs passed"
exit 0
