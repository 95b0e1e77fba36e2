#!/bin/sh
# Side-by-side throughput: the same trivial shell CGI script behind lighttpd,
# once through Debian's fcgiwrap (no sessions) and through sessionwrap with
# each store (every request reads and updates the session), with the same
# number of workers, driven by wrk over loopback. Rounds alternate between
# the contenders so a busy machine hurts them alike; the best round counts.
#
#   sh bench/fcgiwrap.sh [--duration SECONDS] [--workers N] [--connections N]
#                        [--store cookie|memcached|postgresql|all] [--rounds N]
#                        [--sessions N]
#
# Needs a build in ./build (sh tests/check.sh or sh examples/demo.sh makes one;
# BUILD_DIR overrides), lighttpd, fcgiwrap, wrk, curl, python3, and memcached
# or PostgreSQL for those stores.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
duration=10
workers=$(nproc 2>/dev/null || echo 2)
connections=16
stores=cookie
rounds=1
sessions=64
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift ;;
	--duration=*) duration=${1#*=} ;;
	--workers) workers=$2; shift ;;
	--workers=*) workers=${1#*=} ;;
	--connections) connections=$2; shift ;;
	--connections=*) connections=${1#*=} ;;
	--store) stores=$2; shift ;;
	--store=*) stores=${1#*=} ;;
	--sessions) sessions=$2; shift ;;
	--sessions=*) sessions=${1#*=} ;;
	--rounds) rounds=$2; shift ;;
	--rounds=*) rounds=${1#*=} ;;
	-h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "fcgiwrap.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$stores" = all ] && stores="cookie memcached postgresql"
stores=$(echo "$stores" | tr ',' ' ')
for st in $stores; do
	case $st in cookie|memcached|postgresql) ;;
	*) echo "fcgiwrap.sh: unknown store $st" >&2; exit 2 ;;
	esac
done
for v in "$duration" "$workers" "$connections" "$rounds" "$sessions"; do
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

# Servers for the server-side stores.
case " $stores " in
*" memcached "*|*" postgresql "*)
	. "$top/tests/integration/store_servers.sh"
	stores_init ;;
esac
case " $stores " in
*" memcached "*)
	MC_PORT=$(free_port)
	mc_start 1 "$MC_PORT" ;;
esac
case " $stores " in
*" postgresql "*) pg_setup ;;
esac

# best LABEL RPS: keep the best round of each contender.
best() {
	_f=$T/best.$1
	if [ ! -f "$_f" ] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$2" "$(cat "$_f")"; then
		echo "$2" > "$_f"
	fi
}

# bench_fcgiwrap: one round through fcgiwrap.
bench_fcgiwrap() {
	SW_SOCK=$T/fcgiwrap.sock
	rm -f "$SW_SOCK"
	setsid fcgiwrap -c "$workers" -s "unix:$SW_SOCK" >>"$T/fcgiwrap.log" 2>&1 </dev/null &
	FCGIWRAP_PID=$!
	sw_track "$FCGIWRAP_PID"
	wait_for_socket "$SW_SOCK" 10 "$FCGIWRAP_PID"
	lighttpd_start
	req /cgi-bin/bench.sh
	expect_status 200 "fcgiwrap warm-up"
	best fcgiwrap "$(run_wrk fcgiwrap)"
	stop_lighttpd
	# fcgiwrap -c forks workers that outlive their parent: end its group.
	kill -TERM "-$FCGIWRAP_PID" 2>/dev/null
	wait "$FCGIWRAP_PID" 2>/dev/null
}

# bench_sessionwrap STORE: one round through sessionwrap with that store.
bench_sessionwrap() {
	case $1 in
	cookie) _uri=cookie ;;
	memcached) _uri=memcached://127.0.0.1:$MC_PORT ;;
	postgresql) _uri=$PG_URI ;;
	esac
	SW_SOCK=$T/sw.sock
	sw_config log_level=warning "store=$_uri"
	sw_start --threads "$workers"
	lighttpd_start
	# Many sessions, as on a real site: wrk cycles through their cookies.
	: > "$T/cookies"
	_i=0
	while [ $_i -lt "$sessions" ]; do
		JAR=$T/jar
		: > "$JAR"
		req /cgi-bin/bench.sh
		expect_status 200 "sessionwrap ($1) warm-up"
		cookie=$(jar_cookie "$JAR" sessionwrap)
		[ -n "$cookie" ] || fail "no session cookie from sessionwrap ($1)"
		echo "$cookie" >> "$T/cookies"
		_i=$((_i + 1))
	done
	req /cgi-bin/bench.sh
	grep -qx 2 "$T/out.b" || fail "session not carried between requests ($1): $(cat "$T/out.b")"
	best "$1" "$(run_wrk "sessionwrap-$1" -s "$T/cookies.lua")"
	stop_lighttpd
	sw_stop
}

# wrk script: each request carries the next session's cookie.
cat > "$T/cookies.lua" <<LUA
local cookies = {}
for line in io.lines("$T/cookies") do cookies[#cookies + 1] = line end
local i = math.random(#cookies)
request = function()
	i = i % #cookies + 1
	return wrk.format(nil, nil, { ["Cookie"] = "sessionwrap=" .. cookies[i] })
end
LUA

sw_secret
r=1
while [ $r -le "$rounds" ]; do
	echo "bench: round $r of $rounds" >&2
	bench_fcgiwrap
	for st in $stores; do
		bench_sessionwrap "$st"
	done
	r=$((r + 1))
done

rps_fcgiwrap=$(cat "$T/best.fcgiwrap")
printf '%-34s %10s req/s\n' "fcgiwrap ($workers workers):" "$rps_fcgiwrap"
for st in $stores; do
	printf '%-34s %10s req/s\n' "sessionwrap $st ($workers threads):" "$(cat "$T/best.$st")"
done
for st in $stores; do
	python3 -c 'import sys; print("sessionwrap %s/fcgiwrap = %.2fx" % (sys.argv[3], float(sys.argv[2]) / float(sys.argv[1])))' \
	    "$rps_fcgiwrap" "$(cat "$T/best.$st")" "$st"
done
exit 0
