#!/bin/sh
# Test handler: lists the descriptors it inherited. ls replaces the shell
# (whose own handles on this file are close-on-exec) and lists itself: every
# line but the one of its own directory handle came from sessionwrap.
PATH=/usr/bin:/bin
printf 'Content-Type: text/plain\r\n\r\n'
exec ls -l /proc/self/fd
