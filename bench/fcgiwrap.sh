#!/bin/sh
# Side-by-side throughput: the same trivial shell CGI script behind lighttpd,
# once through Debian's fcgiwrap (no sessions) and through sessionwrap with
# each store (every request reads and updates the session), with the same
# number of workers, driven by wrk over loopback. Every round runs each
# contender once, in turn, so a busy machine hurts them alike; the figures are
# medians over the rounds.
#
#   sh bench/fcgiwrap.sh [--duration SECONDS] [--workers N] [--connections N]
#                        [--store cookie|memcached|redis|postgresql|all] [--rounds N]
#                        [--sessions N]
#
# Needs a build in ./build (sh tests/check.sh or sh examples/demo.sh makes one;
# BUILD_DIR overrides), lighttpd, fcgiwrap, wrk, curl, python3, pgrep, and memcached,
# redis-server or PostgreSQL for those stores.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
duration=3
workers=$(nproc 2>/dev/null || echo 2)
connections=16
stores=cookie
rounds=8
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
[ "$stores" = all ] && stores="cookie memcached redis postgresql"
stores=$(echo "$stores" | tr ',' ' ')
for st in $stores; do
	case $st in cookie|memcached|redis|postgresql) ;;
	*) echo "fcgiwrap.sh: unknown store $st" >&2; exit 2 ;;
	esac
done
for v in "$duration" "$workers" "$connections" "$rounds" "$sessions"; do
	case $v in ''|*[!0-9]*|0) echo "fcgiwrap.sh: numbers must be positive integers" >&2; exit 2 ;; esac
done

top_srcdir=$top
top_builddir=$BUILD_DIR
nstores=$(echo $stores | wc -w)
SW_TEST_TIMEOUT=$((rounds * (nstores + 1) * (duration + 5) + 180))
. "$top/tests/lib.sh"
TEST_NAME=bench
[ -x "$SESSIONWRAP" ] || { echo "bench: $SESSIONWRAP not built; run: sh tests/check.sh" >&2; exit 1; }
need_cmd lighttpd fcgiwrap wrk curl python3 pgrep getconf
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

# The contenders stay up side by side behind one lighttpd, whose FastCGI
# socket is a symlink switched from one to the next between runs. Each round
# drives every contender once, in turn, so a change in the machine's speed
# hits them alike; each sessionwrap round is compared with the fcgiwrap run
# of the same round, and the medians are reported.
BE_SOCK=$T/backend.sock

# cpu_busy: jiffies the whole machine has spent busy so far.
cpu_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# proc_ticks PID...: CPU time (user + system, in clock ticks) the processes
# have spent so far, all their threads, none of their children.
proc_ticks() {
	for _p in "$@"; do
		cat "/proc/$_p/stat" 2>/dev/null
	done | sed 's/.*) //' | awk '{ t += $12 + $13 } END { print t + 0 }'
}

# responder_pids LABEL: the processes that answer for LABEL (fcgiwrap's
# whole process group: the parent and the workers it forked; but the
# scripts, whose time is not theirs).
responder_pids() {
	case $1 in
	fcgiwrap) pgrep -g "$FCGIWRAP_PID" -x fcgiwrap ;;
	*) eval "echo \$PID_$1" ;;
	esac
}

# server_pids LABEL: the store's server processes (none for the cookie and
# for fcgiwrap): memcached, redis-server, or the postmaster and its children.
server_pids() {
	case $1 in
	memcached) cat "$T/run/mc1.pid" ;;
	redis) cat "$T/run/rd1.pid" ;;
	postgresql)
		_pm=$(head -n 1 "$PG_DATA/postmaster.pid")
		echo "$_pm"
		pgrep -P "$_pm" ;;
	esac
}

# run_wrk LABEL ROUND [wrk args]: one timed run; appends "ROUND LABEL rps
# cpu-ms-per-request responder-ms store-server-ms" (CPU per request, times
# 1000) to $T/results. The full report goes to $T/LABEL.wrk.
run_wrk() {
	_l=$1
	_r=$2
	shift 2
	ln -sfn "$T/$_l.sock" "$BE_SOCK"
	req /cgi-bin/bench.sh -H "Cookie: sessionwrap=$(head -n 1 "$T/cookies")"
	expect_status 200 "$_l warm-up"
	_rp=$(responder_pids "$_l")
	_sp=$(server_pids "$_l")
	_r0=$(proc_ticks $_rp)
	_s0=$(proc_ticks $_sp)
	_c0=$(cpu_busy)
	wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s "$@" "$BASE/cgi-bin/bench.sh" \
	    > "$T/$_l.wrk" 2>&1 || { cat "$T/$_l.wrk" >&2; fail "wrk failed ($_l)"; }
	_c1=$(cpu_busy)
	_r1=$(proc_ticks $_rp)
	_s1=$(proc_ticks $_sp)
	_bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/$_l.wrk")
	[ -z "$_bad" ] || { cat "$T/$_l.wrk" >&2; fail "$_l: $_bad non-2xx responses"; }
	_n=$(awk '/requests in/ { print $1; exit }' "$T/$_l.wrk")
	_rps=$(sed -n 's/^Requests\/sec: *//p' "$T/$_l.wrk")
	[ -n "$_n" ] && [ "$_n" -gt 0 ] || fail "$_l: no requests completed"
	echo "$_r $_l $_rps $(( (_c1 - _c0) * _ms * 1000 / _n ))" \
	    "$(( (_r1 - _r0) * _ms * 1000 / _n )) $(( (_s1 - _s0) * _ms * 1000 / _n ))" >> "$T/results"
	echo "bench: round $_r $_l: $_rps req/s" >&2
}

# Milliseconds per clock tick of /proc/stat and /proc/PID/stat.
_ms=$((1000 / $(getconf CLK_TCK)))

echo "bench: $workers workers, wrk -t2 -c$connections -d${duration}s, loopback, $rounds rounds" >&2

# Servers for the server-side stores.
case " $stores " in
*" memcached "*|*" redis "*|*" postgresql "*)
	. "$top/tests/integration/store_servers.sh"
	stores_init ;;
esac
case " $stores " in
*" memcached "*)
	MC_PORT=$(free_port)
	mc_start 1 "$MC_PORT" ;;
esac
# Redis in memory only, like memcached (no append-only file to fsync).
case " $stores " in
*" redis "*)
	RD_PORT=$(free_port)
	rd_start 1 "$RD_PORT" --appendonly no ;;
esac
case " $stores " in
*" postgresql "*) pg_setup ;;
esac

sw_secret
: > "$T/cookies"
: > "$T/results"

# fcgiwrap, forking its workers.
setsid $SW_PDEATH fcgiwrap -c "$workers" -s "unix:$T/fcgiwrap.sock" >>"$T/fcgiwrap.log" 2>&1 </dev/null &
FCGIWRAP_PID=$!
sw_track "$FCGIWRAP_PID"
wait_for_socket "$T/fcgiwrap.sock" 10 "$FCGIWRAP_PID"

# One sessionwrap per store.
for st in $stores; do
	case $st in
	cookie) _uri=cookie ;;
	memcached) _uri=memcached://127.0.0.1:$MC_PORT ;;
	redis) _uri=redis://127.0.0.1:$RD_PORT ;;
	postgresql) _uri=$PG_URI ;;
	esac
	SW_CONF=$T/$st.conf SW_SOCK=$T/$st.sock
	sw_config log_level=warning "store=$_uri"
	sw_start --threads "$workers"
	eval "PID_$st=\$SW_PID"
done
SW_SOCK=$BE_SOCK
ln -sfn "$T/fcgiwrap.sock" "$BE_SOCK"
lighttpd_start

# Many sessions, as on a real site: wrk cycles through their cookies.
for st in $stores; do
	ln -sfn "$T/$st.sock" "$BE_SOCK"
	new_sessions "$sessions" "$T/cookies.$st" /cgi-bin/bench.sh
	req /cgi-bin/bench.sh -H "Cookie: sessionwrap=$(tail -n 1 "$T/cookies.$st")"
	grep -qx 2 "$T/out.b" || fail "session not carried between requests ($st): $(cat "$T/out.b")"
	# wrk script: each request carries the next session's cookie.
	cat > "$T/cookies.$st.lua" <<LUA
local cookies = {}
for line in io.lines("$T/cookies.$st") do cookies[#cookies + 1] = line end
local i = math.random(#cookies)
request = function()
	i = i % #cookies + 1
	return wrk.format(nil, nil, { ["Cookie"] = "sessionwrap=" .. cookies[i] })
end
LUA
	cp "$T/cookies.$st" "$T/cookies"
done

# Odd rounds run fcgiwrap first, even rounds last, so a drift of the
# machine's speed within a round does not favour either side.
r=1
while [ $r -le "$rounds" ]; do
	[ $((r % 2)) = 1 ] && run_wrk fcgiwrap "$r"
	for st in $stores; do
		cp "$T/cookies.$st" "$T/cookies"
		run_wrk "$st" "$r" -s "$T/cookies.$st.lua"
	done
	[ $((r % 2)) = 0 ] && run_wrk fcgiwrap "$r"
	r=$((r + 1))
done
kill -TERM "$LIGHTTPD_PID" 2>/dev/null
wait "$LIGHTTPD_PID" 2>/dev/null
for st in $stores; do
	eval "SW_PID=\$PID_$st"
	sw_stop
done
# fcgiwrap -c forks workers that outlive their parent: end its group.
kill -TERM "-$FCGIWRAP_PID" 2>/dev/null
wait "$FCGIWRAP_PID" 2>/dev/null
# How many of the PostgreSQL store's updates were HOT (in place, no new
# index entries): read once its connections are closed and counted.
case " $stores " in
*" postgresql "*)
	$PSQL -At -c "SELECT 'bench: postgresql: ' || n_tup_upd || ' updates, ' ||
	    n_tup_hot_upd || ' HOT, ' || n_tup_ins || ' inserts' FROM
	    pg_stat_user_tables WHERE relname = 'sessionwrap_sessions'" >&2 ;;
esac

# Medians over the rounds. "CPU" is the whole machine's busy time per request
# (web server, responder, script and wrk alike), so its ratio shows the cost
# of each contender apart from how fast the machine ran at the time. Of it,
# "responder" is fcgiwrap's or sessionwrap's own processes (without the
# scripts they spawn) and "store" the store server's. Throughput here is
# bound by CPU, so "a free responder" is the ratio sessionwrap would reach
# if its own processes cost nothing: what no change to sessionwrap can pass.
python3 - "$T/results" "$workers" $stores <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
workers, stores = sys.argv[2], sys.argv[3:]
res = {}
for rnd, who, rps, cpu, resp, srv in rows:
    res.setdefault(who, {})[rnd] = (float(rps), int(cpu) / 1000.0,
                                    int(resp) / 1000.0, int(srv) / 1000.0)
fw = res["fcgiwrap"]
def med(xs): return statistics.median(xs)
def line(label, v):
    print("%-34s %6.0f req/s  %5.2f ms CPU/request (responder %4.2f, store %4.2f)" % (
        label, med([x[0] for x in v.values()]), med([x[1] for x in v.values()]),
        med([x[2] for x in v.values()]), med([x[3] for x in v.values()])))
line("fcgiwrap (%s workers):" % workers, fw)
for st in stores:
    line("sessionwrap %s (%s threads):" % (st, workers), res[st])
for st in stores:
    v = res[st]
    ratios = sorted(v[r][0] / fw[r][0] for r in v)
    cpu = med([fw[r][1] / v[r][1] for r in v if v[r][1] > 0])
    free = med([fw[r][1] / (v[r][1] - v[r][2]) for r in v if v[r][1] > v[r][2]])
    print("sessionwrap %s/fcgiwrap = %.2fx (median of %d rounds, range %.2f-%.2f; "
          "CPU per request %.2fx less; with a free responder %.2fx)" %
          (st, med(ratios), len(ratios), ratios[0], ratios[-1], cpu, free))
# The targets of the many-hosts work, and what sessionwrap and its store
# server may cost per request to reach each here: fcgiwrap's CPU per request
# over the target, less what the others (web server, scripts, wrk) cost.
targets = {"cookie": 1.35, "memcached": 1.25, "redis": 1.25, "postgresql": 1.15}
for st in stores:
    v = res[st]
    r = med([v[x][0] / fw[x][0] for x in v])
    own = med([v[x][2] + v[x][3] for x in v])
    budget = med([fw[x][1] / targets[st] - (v[x][1] - v[x][2] - v[x][3])
                  for x in v])
    print("target %s >= %.2fx: %s; sessionwrap + store server %.2f ms CPU/request, "
          "%.2f ms would reach it" % (st, targets[st],
          "met" if r >= targets[st] else "MISSED", own, budget))
PY
exit 0
