#!/bin/sh
# Test handler: 1 MB of response headers.
PATH=/usr/bin:/bin
printf 'Content-Type: text/plain\r\nX-Session-Set: n=999\r\n'
head -c 1048576 /dev/zero | tr '\0' 'a' | fold -w 1000 | sed 's/^/X-Junk: /; s/$/\r/'
printf '\r\nbody\n'
