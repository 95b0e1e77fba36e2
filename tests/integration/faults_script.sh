#!/bin/sh
# Script and client faults through lighttpd + sessionwrap (cookie store),
# with lighttpd streaming request and response bodies so that sessionwrap
# sees the client go away:
#  - script killed by SIGKILL in the middle of its body: response cut short
#    at once (curl sees a partial transfer), logged, script reaped;
#  - script writing a line, then another one later: the first reaches the
#    client at once (sessionwrap holds output back only briefly);
#  - script closing stdout while it keeps running: the response completes
#    at once, the script is reaped when it ends, or killed after
#    handler_timeout;
#  - client aborting in the middle of an upload and of a 100 MB download,
#    one at a time and 16 at once;
#  - SIGTERM while a script that closed stdout runs on: sessionwrap exits
#    promptly and the script does not outlive it.
# After each: no child of sessionwrap left (running or zombie), its open fds
# back to the baseline, and it still serves the same session.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

THREADS=4

sw_setup
need_cmd lighttpd curl python3 ps
need_sessionwrap
docroot_setup
sw_secret
sw_config handler_timeout=5
sw_start --threads "$THREADS"
# (contrib/lighttpd.conf sets stream-response-body already: := overrides)
LIGHTTPD_EXTRA='server.stream-request-body = 2
server.stream-response-body := 2'
lighttpd_start
JAR=$T/jar
: > "$JAR"
# Visits of the counter so far (the session must keep counting).
VISITS=0


now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# children: "pid stat args" of sessionwrap's child processes (zombies too).
children() { ps --ppid "$SW_PID" -o pid=,stat=,args= 2>/dev/null; }

# nfds: sessionwrap's open file descriptors.
nfds() { ls "/proc/$SW_PID/fd" 2>/dev/null | wc -l; }

# counter: one more visit; fails unless the session counts on.
counter() {
	req /cgi-bin/counter.sh
	expect_status 200 "counter after $1"
	VISITS=$((VISITS + 1))
	grep -q "^n=$VISITS " "$T/out.b" || fail "counter after $1: expected n=$VISITS, got $(cat "$T/out.b")"
}

# settled WHAT [SECONDS]: within SECONDS (default 5) sessionwrap has no
# children and its baseline fds; it still serves the session.
settled() {
	_end=$(( $(date +%s) + ${2:-5} ))
	while [ -n "$(children)" ] || [ "$(nfds)" != "$FDS" ]; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			soft_fail "$1: after ${2:-5} s, $(nfds) fds (baseline $FDS), children: $(children | tr '\n' ';')"
			ls -l "/proc/$SW_PID/fd" >&2
			break
		fi
		sleep 0.1
	done
	sw_alive "$1"
	counter "$1"
}

# wait_pidfile MODE: wait until fault.sh MODE recorded its pid; prints it.
wait_pidfile() {
	_n=0
	while [ ! -s "$T/state/fault-$1.pid" ]; do
		_n=$((_n + 1))
		[ $_n -lt 150 ] || fail "fault.sh $1 did not start"
		sleep 0.1
	done
	cat "$T/state/fault-$1.pid"
}

# alive PID: true while PID runs (a zombie does not count).
alive() {
	_s=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]
}

step "baseline: every worker busy once, then fds and children"
counter baseline
: > "$T/urls"
for i in 1 2 3 4 5 6 7 8; do
	echo "url = \"$BASE/cgi-bin/fault.sh?slow&s=0.3&k=w&v=$i\"" >> "$T/urls"
	echo "output = /dev/null" >> "$T/urls"
done
curl -sS -Z --parallel-max 8 --max-time 30 -K "$T/urls" > /dev/null 2>&1
sleep 0.5
FDS=$(nfds)
log "sessionwrap pid $SW_PID: $FDS open fds"
[ -z "$(children)" ] || fail "children at baseline: $(children)"

step "script killed by SIGKILL in the middle of its body"
rm -f "$T/state/fault-partial.pid"
{ curl -sS -b "$JAR" -o "$T/partial.b" -w '%{http_code}' --max-time 30 \
    "$BASE/cgi-bin/fault.sh?partial" > "$T/partial.code" 2>"$T/partial.err"
  echo $? > "$T/partial.rc"; } &
cpid=$!
spid=$(wait_pidfile partial)
sleep 0.5
t0=$(now_ms)
kill -KILL "$spid"
wait "$cpid"
el=$(( $(now_ms) - t0 ))
size=$(wc -c < "$T/partial.b")
log "killed script: status $(cat "$T/partial.code"), $size bytes, ended $el ms after the kill; curl: $(cat "$T/partial.err")"
[ "$(cat "$T/partial.code")" = 200 ] || soft_fail "killed script: status $(cat "$T/partial.code") after its headers were sent"
[ "$size" = 65536 ] || soft_fail "killed script: $size bytes of body, not the 65536 written before the kill"
[ "$el" -lt 3000 ] || soft_fail "killed script: response ended $el ms after the kill"
# Cut, not ended: no END_REQUEST, so lighttpd does not end the chunked body.
[ "$(cat "$T/partial.rc")" = 18 ] || soft_fail "killed script: curl exit $(cat "$T/partial.rc"), not 18 (partial transfer)"
# Logged when the script is reaped, by the worker or a little later by the
# background reaper.
wait_until 2 grep -q 'fault.sh: killed by signal 9' "$T/sessionwrap.log" ||
    soft_fail "killed script: not logged within 2 s"
settled "killed script"

step "script writing a line, then another 3 s later: the first arrives at once"
: > "$T/trickle.b"
curl -sS -N -b "$JAR" -o "$T/trickle.b" --max-time 1.5 "$BASE/cgi-bin/fault.sh?trickle&s=3" 2>/dev/null
grep -qx first "$T/trickle.b" || soft_fail "trickle: 1.5 s into the response the client had '$(cat "$T/trickle.b")', not the first line"
settled "trickle" 8

step "script closing stdout and running on (3 s): response at once, script reaped"
rm -f "$T/state/fault-closeout.pid" "$T/state/fault-closeout.done"
t0=$(now_ms)
req "/cgi-bin/fault.sh?closeout&s=3"
el=$(( $(now_ms) - t0 ))
expect_status 200 "closeout"
grep -q '^complete$' "$T/out.b" || soft_fail "closeout: body '$(cat "$T/out.b")'"
[ "$el" -lt 1500 ] || soft_fail "closeout: the response took $el ms: held until the script exited, not until it closed stdout"
spid=$(wait_pidfile closeout)
n=0
while alive "$spid" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$T/state/fault-closeout.done" ] || soft_fail "closeout: the script did not run to its end"
settled "closeout (3 s)"
req /cgi-bin/do.py
expect_json 's.get("closeout")' 1 "closeout: session change of the script"

step "script closing stdout and running on (30 s): killed after handler_timeout (5 s)"
rm -f "$T/state/fault-closeout.pid" "$T/state/fault-closeout.done"
t0=$(now_ms)
REQ_TIMEOUT=40 req "/cgi-bin/fault.sh?closeout&s=30"
el=$(( $(now_ms) - t0 ))
expect_status 200 "closeout 30 s"
[ "$el" -lt 1500 ] || soft_fail "closeout 30 s: the response took $el ms"
spid=$(wait_pidfile closeout)
n=0
while alive "$spid" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
el=$(( $(now_ms) - t0 ))
alive "$spid" && soft_fail "closeout 30 s: script still running after $el ms (handler_timeout = 5)"
[ -s "$T/state/fault-closeout.done" ] && soft_fail "closeout 30 s: the script was not killed"
settled "closeout (30 s)"

step "client aborting in the middle of a 100 MB upload"
head -c 104857600 /dev/zero > "$T/upload"
curl -sS -o /dev/null --limit-rate 20M --max-time 60 --data-binary "@$T/upload" \
    -H 'Content-Type: application/octet-stream' "$BASE/cgi-bin/echo.sh" 2>/dev/null &
cpid=$!
n=0
while [ -z "$(children)" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
[ -n "$(children)" ] || soft_fail "upload: the script never started (lighttpd buffered the body?)"
sleep 1
kill "$cpid"
wait "$cpid"
settled "aborted upload"

step "client aborting in the middle of a 100 MB download"
rm -f "$T/state/fault-big.pid"
curl -sS -o /dev/null --limit-rate 5M --max-time 60 "$BASE/cgi-bin/fault.sh?big&mb=100" 2>/dev/null &
cpid=$!
spid=$(wait_pidfile big)
sleep 1
alive "$spid" || soft_fail "download: the script finished before the abort (lighttpd buffered the body?)"
kill "$cpid"
wait "$cpid"
settled "aborted download"

step "16 clients aborting at once, uploads and downloads"
rm -f "$T/state/fault-big.pid"
pids=
for i in 1 2 3 4 5 6 7 8; do
	curl -sS -o /dev/null --limit-rate 5M --max-time 60 "$BASE/cgi-bin/fault.sh?big&mb=100" 2>/dev/null &
	pids="$pids $!"
	curl -sS -o /dev/null --limit-rate 5M --max-time 60 --data-binary "@$T/upload" \
	    -H 'Content-Type: application/octet-stream' "$BASE/cgi-bin/echo.sh" 2>/dev/null &
	pids="$pids $!"
done
sleep 2
log "while 16 clients transfer: $(children | wc -l) children, $(nfds) fds"
for p in $pids; do kill "$p" 2>/dev/null; done
for p in $pids; do wait "$p"; done
settled "16 aborted transfers" 10
rm -f "$T/upload"

step "SIGTERM while a script that closed stdout runs on: it does not outlive sessionwrap"
rm -f "$T/state/fault-closeout.pid"
req "/cgi-bin/fault.sh?closeout&s=30"
expect_status 200 "closeout before SIGTERM"
spid=$(wait_pidfile closeout)
sw_alive "before SIGTERM"
t0=$(now_ms)
sw_stop
el=$(( $(now_ms) - t0 ))
[ "$el" -lt 8000 ] || soft_fail "SIGTERM with a lingering script: sessionwrap took $el ms to exit"
n=0
while alive "$spid" && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
if alive "$spid"; then
	soft_fail "SIGTERM with a lingering script: the script (pid $spid) outlived sessionwrap"
	kill -KILL "-$spid" "$spid" 2>/dev/null
fi

soft_done
pass
