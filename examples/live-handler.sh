#!/bin/sh
# sessionwrap-ws's ws_handler for the demo: one process per socket, like a
# websocketd program. Each line on stdout is a text message to the browser;
# the session is in the environment (SESSION_USER, SESSION_WS_ID...). When
# the socket closes, sessionwrap-ws ends this process group.
n=0
while :; do
	if [ $n = 1 ]; then unit=second; else unit=seconds; fi
	printf 'connected for %s %s\n' "$n" "$unit" || exit 0
	sleep 1
	n=$((n + 1))
done
