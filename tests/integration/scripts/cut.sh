#!/bin/sh
# Test handler: its headers and 20000 bytes of body, then QUERY_STRING says
# how it ends:
#   kill   killed by SIGKILL       segv   dies of SIGSEGV
#   abort  dies of SIGABRT         stall  waits until the idle limit kills it
#   ok     20000 more bytes, then exits normally (40000 in all)
PATH=/usr/bin:/bin
printf 'Content-Type: application/octet-stream\r\n\r\n'
head -c 20000 /dev/zero | tr '\0' 'a'
case $QUERY_STRING in
kill)	kill -KILL $$ ;;
segv)	kill -SEGV $$ ;;
abort)	kill -ABRT $$ ;;
stall)	exec sleep 300 ;;
*)	head -c 20000 /dev/zero | tr '\0' 'b' ;;
esac
