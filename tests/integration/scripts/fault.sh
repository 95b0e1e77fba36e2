#!/bin/sh
# Test handler for the fault-injection tests. QUERY_STRING picks the mode;
# the script records its pid in $state/fault-MODE.pid before it misbehaves.
#   partial      headers and 64 KiB of body, then waits to be killed
#   closeout     a complete response, then closes stdout and keeps running
#   big&mb=N     N MiB of body, as fast as the reader takes it
#   slow&s=N&k=KEY&v=VAL   waits N s, then sets KEY=VAL in the session
#   trickle&s=N  headers and a line, another line N s later
PATH=/usr/bin:/bin
state=${DOCUMENT_ROOT:-${0%/*}/..}/../state
arg() { printf '%s\n' "$QUERY_STRING" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1; }
mode=${QUERY_STRING%%&*}
echo $$ > "$state/fault-$mode.pid.$$" && mv "$state/fault-$mode.pid.$$" "$state/fault-$mode.pid"
case $mode in
partial)
	printf 'Content-Type: application/octet-stream\r\n\r\n'
	head -c 65536 /dev/zero | tr '\0' 'a'
	exec sleep 60
	;;
closeout)
	printf 'Content-Type: text/plain\r\nX-Session-Set: closeout=1\r\n\r\ncomplete\n'
	exec >&-
	sleep "$(arg s)"
	echo done > "$state/fault-closeout.done"
	;;
big)
	printf 'Content-Type: application/octet-stream\r\n\r\n'
	exec head -c "$(($(arg mb) * 1048576))" /dev/zero
	;;
slow)
	sleep "$(arg s)"
	printf 'Content-Type: text/plain\r\nX-Session-Set: %s=%s\r\n\r\n%s=%s\n' \
	    "$(arg k)" "$(arg v)" "$(arg k)" "$(arg v)"
	;;
trickle)
	printf 'Content-Type: text/plain\r\n\r\nfirst\n'
	sleep "$(arg s)"
	echo second
	;;
*)
	printf 'Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nunknown mode\n'
	;;
esac
