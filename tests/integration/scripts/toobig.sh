#!/bin/sh
# Test handler: session data too large for a 4 KB cookie.
PATH=/usr/bin:/bin
big=$(head -c 6000 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 6000)
printf 'Content-Type: text/plain\r\n'
printf 'X-Session-Set: big=%s\r\n' "$big"
printf '\r\ndelivered\n'
