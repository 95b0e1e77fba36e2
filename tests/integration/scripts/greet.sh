#!/bin/sh
# Test handler: echoes the session key "greet" into a response header, read
# with sessionwrap-ctl get as the README shows: absent is the default, any
# other failure is an error, never a silent reset. The site configuration
# is out of its reach (get must not need it).
PATH=/usr/bin:/bin
SESSIONWRAP_CONF=/nonexistent/sessionwrap.conf
export SESSIONWRAP_CONF
if g=$(@SESSIONWRAP_CTL@ get greet); then
	:
elif [ $? -eq 1 ]; then
	g=hello
else
	printf 'Status: 500\r\nContent-Type: text/plain\r\n\r\nget failed\n'
	exit 0
fi
printf 'Content-Type: text/plain\r\n'
printf 'X-Greet: %s\r\n' "$g"
printf '\r\n'
printf 'greet=%s user=%s\n' "$g" "$SESSION_USER"
