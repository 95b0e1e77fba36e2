#!/bin/sh
# PHP with sessions, side by side on the same trivial script behind one
# lighttpd, driven by wrk over loopback (64 connections, 64 sessions):
#
#   A  sessionwrap (cookie store) + php-fpm (upstream): session read and written
#   B  php-fpm directly, no session
#   C  php-fpm directly with PHP's own session_start() (files)
#   D  sessionwrap's CGI path: the script run by php-cgi per request
#   E  16 concurrent requests of ONE session, the script sleeping 20 ms:
#      A's setup (merge, no lock) against C's (PHP's file lock)
#
# Every round runs each case once, in turn (alternating order), and the
# figures are medians over the rounds; the ratios are per round.
#
#   sh bench/php.sh [--duration SECONDS] [--rounds N] [--threads N]
#
# Needs a build in ./build (BUILD_DIR overrides), lighttpd, php-fpm,
# php-cgi, wrk, curl, python3. php-fpm runs one static pool of 16 workers
# (E needs 16 at once) on a private socket.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
duration=3
rounds=3
threads=16
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift ;;
	--duration=*) duration=${1#*=} ;;
	--rounds) rounds=$2; shift ;;
	--rounds=*) rounds=${1#*=} ;;
	--threads) threads=$2; shift ;;
	--threads=*) threads=${1#*=} ;;
	-h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "php.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
for v in "$duration" "$rounds" "$threads"; do
	case $v in ''|*[!0-9]*|0) echo "php.sh: numbers must be positive integers" >&2; exit 2 ;; esac
done

top_srcdir=$top
top_builddir=$BUILD_DIR
SW_TEST_TIMEOUT=$((rounds * 6 * (duration + 5) + 240))
. "$top/tests/lib.sh"
. "$top/tests/php.sh"
TEST_NAME=bench-php
[ -x "$SESSIONWRAP" ] || { echo "bench: $SESSIONWRAP not built; run: sh tests/check.sh" >&2; exit 1; }
need_cmd lighttpd wrk curl python3 php-cgi
sw_setup

DOCROOT=$T/www
mkdir -p "$DOCROOT/php"
chmod 755 "$DOCROOT" "$DOCROOT/php"
sed "1s|.*|#!$(command -v php-cgi)|" "$top/bench/php/bench.php" > "$DOCROOT/php/bench.php"
cp "$top/bench/php/files.php" "$top/examples/session.php" "$DOCROOT/php/"
chmod 755 "$DOCROOT/php/bench.php"
chmod 644 "$DOCROOT/php/files.php" "$DOCROOT/php/session.php"
echo "static" > "$DOCROOT/index.html"

fpm_start "pm = static" "pm.max_children = 16"
sw_secret
# A (and E's A): sessionwrap forwarding to php-fpm.
SW_CONF=$T/a.conf SW_SOCK=$T/a.sock SCRIPT_ROOT=$DOCROOT/php
sw_config log_level=warning store=cookie "upstream=unix:$FPM_SOCK"
sw_start --threads "$threads"
PID_A=$SW_PID
# D: sessionwrap running the script with php-cgi.
SW_CONF=$T/d.conf SW_SOCK=$T/d.sock
sw_config log_level=warning store=cookie
sw_start --threads "$threads"
PID_D=$SW_PID

# One lighttpd; its .php backend is a symlink switched between runs.
BE_SOCK=$T/backend.sock
sed -e "s|/run/sessionwrap/php.sock|$BE_SOCK|g" "$top/contrib/lighttpd-php.conf" > "$T/lighttpd-php.conf"
SW_SOCK=$BE_SOCK
ln -sfn "$T/a.sock" "$BE_SOCK"
LIGHTTPD_EXTRA="include \"$T/lighttpd-php.conf\"" lighttpd_start

# cookies NAME FILE URL: 64 sessions of cookie NAME made by URL, one a line.
cookies() {
	: > "$2"
	_i=0
	while [ $_i -lt 64 ]; do
		curl -sS -o /dev/null -c "$T/jar.tmp" "$BASE$3" || fail "session $_i ($3)"
		_c=$(jar_cookie "$T/jar.tmp" "$1")
		[ -n "$_c" ] || fail "no $1 cookie from $3"
		echo "$_c" >> "$2"
		rm -f "$T/jar.tmp"
		_i=$((_i + 1))
	done
	cat > "$2.lua" <<LUA
local cookies = {}
for line in io.lines("$2") do cookies[#cookies + 1] = line end
local i = math.random(#cookies)
request = function()
	i = i % #cookies + 1
	return wrk.format(nil, nil, { ["Cookie"] = "$1=" .. cookies[i] })
end
LUA
}
ln -sfn "$T/a.sock" "$BE_SOCK"
cookies sessionwrap "$T/a.cookies" /php/bench.php
ln -sfn "$FPM_SOCK" "$BE_SOCK"
cookies PHPSESSID "$T/c.cookies" /php/files.php
ln -sfn "$T/d.sock" "$BE_SOCK"
cookies sessionwrap "$T/d.cookies" /php/bench.php
# The session carries over: the second request of a session counts 2.
ln -sfn "$T/a.sock" "$BE_SOCK"
req /php/bench.php -H "Cookie: sessionwrap=$(head -n 1 "$T/a.cookies")"
grep -qx 2 "$T/out.b" || fail "A: session not carried between requests: $(cat "$T/out.b")"
# E: one session each, shared by every connection.
head -n 1 "$T/a.cookies" > "$T/ea.cookies"
head -n 1 "$T/c.cookies" > "$T/ec.cookies"
for e in ea ec; do
	sed -e "s|$T/[ac].cookies|$T/$e.cookies|" "$T/${e#e}.cookies.lua" > "$T/$e.cookies.lua"
done

# cpu_busy: jiffies the whole machine has spent busy so far.
cpu_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# run CASE ROUND SOCKET PATH CONNECTIONS [wrk args]: one timed run, checked
# for errors; appends "ROUND CASE rps cpu-us-per-request" to $T/results
# (the whole machine's busy time: web server, sessionwrap, PHP and wrk).
run() {
	_l=$1 _r=$2 _s=$3 _p=$4 _c=$5
	shift 5
	ln -sfn "$_s" "$BE_SOCK"
	curl -sS -o /dev/null "$BASE$_p" || fail "$_l warm-up"
	_c0=$(cpu_busy)
	wrk -t2 -c"$_c" -d"${duration}s" --timeout 10s "$@" "$BASE$_p" > "$T/$_l.wrk" 2>&1 ||
	    { cat "$T/$_l.wrk" >&2; fail "wrk failed ($_l)"; }
	_bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/$_l.wrk")
	[ -z "$_bad" ] || { cat "$T/$_l.wrk" >&2; fail "$_l: $_bad non-2xx responses"; }
	_rps=$(sed -n 's/^Requests\/sec: *//p' "$T/$_l.wrk")
	_n=$(awk '/requests in/ { print $1; exit }' "$T/$_l.wrk")
	[ -n "$_n" ] && [ "$_n" -gt 0 ] || fail "$_l: no requests completed"
	echo "$_r $_l $_rps $(( ($(cpu_busy) - _c0) * 10000 / _n ))" >> "$T/results"
	echo "bench: round $_r $_l: $_rps req/s" >&2
}

: > "$T/results"
echo "bench: php-fpm static 16, sessionwrap --threads $threads, wrk -t2 -d${duration}s, $rounds rounds" >&2
r=1
while [ $r -le "$rounds" ]; do
	set -- A B C D EA EC
	[ $((r % 2)) = 0 ] && set -- EC EA D C B A
	for c in "$@"; do
		case $c in
		A) run A $r "$T/a.sock" /php/bench.php 64 -s "$T/a.cookies.lua" ;;
		B) run B $r "$FPM_SOCK" /php/bench.php 64 ;;
		C) run C $r "$FPM_SOCK" /php/files.php 64 -s "$T/c.cookies.lua" ;;
		D) run D $r "$T/d.sock" /php/bench.php 64 -s "$T/d.cookies.lua" ;;
		EA) run EA $r "$T/a.sock" "/php/bench.php?sleep" 16 -s "$T/ea.cookies.lua" ;;
		EC) run EC $r "$FPM_SOCK" "/php/files.php?sleep" 16 -s "$T/ec.cookies.lua" ;;
		esac
	done
	r=$((r + 1))
done
kill -TERM "$LIGHTTPD_PID" 2>/dev/null
wait "$LIGHTTPD_PID" 2>/dev/null
SW_PID=$PID_A sw_stop
SW_PID=$PID_D sw_stop
fpm_stop

python3 - "$T/results" <<'PY'
import statistics, sys
res = {}
cpu = {}
for rnd, who, rps, us in (l.split() for l in open(sys.argv[1])):
    res.setdefault(who, {})[rnd] = float(rps)
    cpu.setdefault(who, []).append(int(us) / 1000.0)
med = statistics.median
names = {"A": "A sessionwrap (cookie) + php-fpm", "B": "B php-fpm, no session",
         "C": "C php-fpm + PHP file sessions", "D": "D sessionwrap CGI, php-cgi",
         "EA": "E sessionwrap + php-fpm, 1 session x16, 20 ms",
         "EC": "E PHP file sessions, 1 session x16, 20 ms"}
for k in ("A", "B", "C", "D", "EA", "EC"):
    print("%-48s %8.0f req/s  %6.2f ms CPU/request" % (names[k] + ":",
          med(res[k].values()), med(cpu[k])))
def ratio(a, b, label, target=None):
    rs = sorted(res[a][r] / res[b][r] for r in res[a] if r in res[b] and res[b][r] > 0)
    t = "" if target is None else "  (target >= %g: %s)" % (target, "met" if med(rs) >= target else "MISSED")
    print("%-8s = %6.2f (median of %d rounds, range %.2f-%.2f)%s" % (label, med(rs), len(rs), rs[0], rs[-1], t))
ratio("A", "C", "A/C", 1.0)
ratio("A", "D", "A/D", 20)
ratio("EA", "EC", "E", 8)
ratio("A", "B", "A/B")
PY
exit 0
