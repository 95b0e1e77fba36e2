#!/bin/sh
# Test handler: waits QUERY_STRING seconds (default 2), then sets the
# session key "late": a request that loaded its session long before it saves.
PATH=/usr/bin:/bin
case $QUERY_STRING in ''|*[!0-9]*) t=2 ;; *) t=$QUERY_STRING ;; esac
sleep "$t"
printf 'Content-Type: text/plain\r\nX-Session-Set: late=1\r\n\r\nlate\n'
