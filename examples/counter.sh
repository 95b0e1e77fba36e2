#!/bin/sh
# Visit counter: the session key "n" counts this browser's visits.
# sessionwrap hands the session over in $SESSION; `sessionwrap-ctl get`
# reads one key from it, and the X-Session-Set header stores the new value.
n=$(sessionwrap-ctl get n) || n=0
case $n in ''|*[!0-9]*) n=0 ;; esac

if [ "$QUERY_STRING" = reset ]; then
	printf 'Status: 303 See Other\r\n'
	printf 'Location: counter.sh\r\n'
	printf 'X-Session-Unset: n\r\n'
	printf '\r\n'
	exit 0
fi

n=$((n + 1))
printf 'Content-Type: text/html; charset=utf-8\r\n'
printf 'Cache-Control: no-store\r\n'
printf 'X-Session-Set: n=%s\r\n' "$n"
printf '\r\n'
cat <<HTML
<!DOCTYPE html>
<html><head><title>Visit counter</title></head>
<body>
<h1>Visit number $n</h1>
<p>Reload the page: the number lives in your session, sealed in an encrypted
cookie your script never sees (new session: $SESSION_NEW).</p>
<p><a href="counter.sh?reset">Reset</a> &middot; <a href="./">Back</a></p>
</body></html>
HTML
