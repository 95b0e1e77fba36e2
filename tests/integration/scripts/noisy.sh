#!/bin/sh
# Test handler: 1 MB on stderr before its headers, then 20 MB of body.
PATH=/usr/bin:/bin
head -c 1048576 /dev/zero | tr '\0' 'e' | fold -w 100 >&2
printf 'Content-Type: application/octet-stream\r\n\r\n'
head -c 20971520 /dev/zero
