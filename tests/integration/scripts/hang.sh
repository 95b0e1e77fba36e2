#!/bin/sh
# Test handler: never answers. Records its pid and a grandchild's pid so the
# test can check the whole process group was killed on timeout.
PATH=/usr/bin:/bin
state=${DOCUMENT_ROOT:-${0%/*}/..}/../state
sleep 300 &
echo "$$ $!" > "$state/hang.pids"
printf 'X-Session-Set: n=999\r\n'
wait
