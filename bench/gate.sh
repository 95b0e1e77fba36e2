#!/bin/sh
# What the login gate costs a request: the same trivial shell CGI script
# behind lighttpd, through two sessionwrap processes with the same
# configuration but for login_required, driven by wrk with one logged-in
# session's cookie. "plain" has no gate; "gate" protects the script's
# directory (csrf on in both), so each request also has its two paths
# normalised and matched, its session loaded before the script is found,
# and REMOTE_USER set. A third run, "refused", sends anonymous requests to
# the gate, which answers 302 without running the script. Rounds alternate
# the order; the figures are medians over the rounds.
#
#   sh bench/gate.sh [--duration SECONDS] [--workers N] [--connections N]
#                    [--rounds N]
#
# Needs a build in ./build (BUILD_DIR overrides), lighttpd, wrk, curl, python3.

cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
duration=3 connections=16 rounds=6 workers=$(nproc 2>/dev/null || echo 2)
# --name VALUE or --name=VALUE, each a positive integer.
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
	--*=*) opt=${1%%=*} val=${1#*=} ;;
	*) opt=$1 val=${2-}; [ $# -gt 1 ] && shift ;;
	esac
	shift
	case $opt in
	--duration|--workers|--connections|--rounds) ;;
	*) echo "gate.sh: unknown argument $opt" >&2; exit 2 ;;
	esac
	case $val in
	''|*[!0-9]*|0) echo "gate.sh: $opt must be a positive integer" >&2; exit 2 ;;
	esac
	eval "${opt#--}=\$val"
done

top_srcdir=$top
top_builddir=$BUILD_DIR
SW_TEST_TIMEOUT=$((rounds * 3 * (duration + 5) + 120))
. "$top/tests/lib.sh"
TEST_NAME=bench-gate
[ -x "$SESSIONWRAP" ] || { echo "bench: $SESSIONWRAP not built; run: sh tests/check.sh" >&2; exit 1; }
need_cmd lighttpd wrk curl python3
sw_setup

DOCROOT=$T/www
SCRIPT_ROOT=$DOCROOT/cgi-bin
mkdir -p "$SCRIPT_ROOT/app"
chmod 755 "$DOCROOT" "$SCRIPT_ROOT" "$SCRIPT_ROOT/app"
install_scripts "$SCRIPT_ROOT"
# The handler: no fork, no session change; says who it ran for.
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$REMOTE_USER"\n' \
    > "$SCRIPT_ROOT/app/bench.sh"
chmod 755 "$SCRIPT_ROOT/app/bench.sh"

BE_SOCK=$T/backend.sock

# run_wrk LABEL ROUND [curl args for the warm-up]: one timed run; appends
# "ROUND LABEL rps" to $T/results. The cookie is $COOKIE (none: anonymous).
run_wrk() {
	_l=$1
	_r=$2
	_sock=$_l
	[ "$_l" = refused ] && _sock=gate
	ln -sfn "$T/$_sock.sock" "$BE_SOCK"
	if [ "$_l" = refused ]; then
		set --
		_want=302
	else
		set -- -H "Cookie: sessionwrap=$COOKIE"
		_want=200
	fi
	req_nojar /cgi-bin/app/bench.sh "$@"
	expect_status "$_want" "$_l warm-up"
	wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s "$@" \
	    "$BASE/cgi-bin/app/bench.sh" > "$T/$_l.wrk" 2>&1 ||
	    { cat "$T/$_l.wrk" >&2; fail "wrk failed ($_l)"; }
	_bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/$_l.wrk")
	[ -z "$_bad" ] || { cat "$T/$_l.wrk" >&2; fail "$_l: $_bad non-2xx responses"; }
	_rps=$(sed -n 's/^Requests\/sec: *//p' "$T/$_l.wrk")
	[ -n "$_rps" ] || fail "$_l: no requests completed"
	echo "$_r $_l $_rps" >> "$T/results"
	echo "bench: round $_r $_l: $_rps req/s" >&2
}

echo "bench: $workers workers, wrk -t2 -c$connections -d${duration}s, loopback, $rounds rounds" >&2
sw_secret
: > "$T/results"
for c in plain gate; do
	SW_CONF=$T/$c.conf SW_SOCK=$T/$c.sock
	if [ $c = gate ]; then
		sw_config log_level=warning login_required=/cgi-bin/app/ \
		    login_url=/cgi-bin/login.sh
	else
		sw_config log_level=warning
	fi
	sw_start --threads "$workers"
	eval "PID_$c=\$SW_PID"
done
SW_SOCK=$BE_SOCK
ln -sfn "$T/gate.sock" "$BE_SOCK"
lighttpd_start

# One logged-in session (the cookie store: both processes read it).
JAR=$T/jar
: > "$JAR"
req /cgi-bin/login.sh?user=alice
expect_status 200 "login"
COOKIE=$(jar_cookie "$JAR" sessionwrap)
[ -n "$COOKIE" ] || fail "no cookie after the login"
req_nojar /cgi-bin/app/bench.sh -H "Cookie: sessionwrap=$COOKIE"
expect_status 200 "gated request"
grep -qx alice "$T/out.b" || fail "the gated script did not run for alice: $(cat "$T/out.b")"

r=1
while [ $r -le "$rounds" ]; do
	if [ $((r % 2)) = 1 ]; then
		order="plain gate refused"
	else
		order="refused gate plain"
	fi
	for c in $order; do
		run_wrk "$c" "$r"
	done
	r=$((r + 1))
done
kill -TERM "$LIGHTTPD_PID" 2>/dev/null
wait "$LIGHTTPD_PID" 2>/dev/null
for c in plain gate; do
	eval "SW_PID=\$PID_$c"
	sw_stop
done

python3 - "$T/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r, label, rps in rows:
    by.setdefault(label, {})[r] = float(rps)
for label in ("plain", "gate", "refused"):
    print("%-8s %8.0f req/s (median of %d rounds)" % (label,
        statistics.median(by[label].values()), len(by[label])))
ratios = [by["gate"][r] / by["plain"][r] for r in by["plain"]]
print("gate/plain = %.2fx (median of per-round ratios; min %.2f, max %.2f)"
      % (statistics.median(ratios), min(ratios), max(ratios)))
p, g = statistics.median(by["plain"].values()), statistics.median(by["gate"].values())
print("time the gate adds: %.1f us per request (1/gate - 1/plain)"
      % ((1 / g - 1 / p) * 1e6))
print("refused/plain = %.2fx (anonymous: 302 without the script)"
      % (statistics.median(by["refused"].values()) / p))
EOF
pass
