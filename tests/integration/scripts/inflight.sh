#!/bin/sh
# Test handler: a request kept in flight: reads its body, then waits
# ${QUERY_STRING:-2} seconds before it answers.
PATH=/usr/bin:/bin
cat > /dev/null
case $QUERY_STRING in ''|*[!0-9]*) s=2 ;; *) s=$QUERY_STRING ;; esac
sleep "$s"
printf 'Content-Type: text/plain\r\n\r\ndone\n'
