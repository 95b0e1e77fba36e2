#!/bin/sh
# Visit counter: the session key "n" counts this browser's visits.
# sessionwrap hands the session over in $SESSION; `sessionwrap-ctl get`
# reads one key from it, and the X-Session-Set header stores the new value.
# Exit 1 means "not set yet"; any other failure is an error, never a reset.
if n=$(sessionwrap-ctl get n); then
	:
elif [ $? -eq 1 ]; then
	n=0
else
	exit 1
fi
case $n in ''|*[!0-9]*) n=0 ;; esac

if [ "$QUERY_STRING" = reset ]; then
	printf 'Status: 303 See Other\r\n'
	printf 'Location: counter.sh\r\n'
	printf 'X-Session-Unset: n\r\n'
	printf '\r\n'
	exit 0
fi

# html TEXT: escape for HTML.
html() {
	printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}
if [ -n "$SESSION_USER" ]; then
	who="Logged in as <b id=\"user\">$(html "$SESSION_USER")</b>."
else
	who="Not logged in (<a href=\"login.py\">log in</a>)."
fi

n=$((n + 1))
printf 'Content-Type: text/html; charset=utf-8\r\n'
printf 'Cache-Control: no-store\r\n'
printf 'X-Session-Set: n=%s\r\n' "$n"
printf '\r\n'
cat <<HTML
<!DOCTYPE html>
<html><head><title>Visit counter</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="demo.css">
<link rel="icon" href="data:,">
</head>
<body>
<nav><a href="./">Home</a> <a href="counter.sh">Counter</a> <a href="live.sh">Live</a> <a href="login.py">Log in / out</a></nav>
<h1>Visit number $n</h1>
<p>$who</p>
<p>Reload the page: the number lives in your session, which this script
reads from <code>\$SESSION</code> without ever seeing the session cookie
(new session: $SESSION_NEW).</p>
<p><a href="counter.sh?reset">Reset</a></p>
</body></html>
HTML
