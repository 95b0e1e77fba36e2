#!/bin/sh
# Test handler: a visit counter kept in the session key "n", read with
# sessionwrap-ctl get (the harness fills in its path).
PATH=/usr/bin:/bin
n=$(@SESSIONWRAP_CTL@ get n 2>/dev/null) || n=0
case $n in ''|*[!0-9]*) n=0 ;; esac
n=$((n + 1))
printf 'Content-Type: text/plain\r\n'
printf 'X-Session-Set: n=%s\r\n' "$n"
printf '\r\n'
printf 'n=%s user=%s new=%s\n' "$n" "$SESSION_USER" "$SESSION_NEW"
