#!/bin/sh
# The live page: a WebSocket to sessionwrap-ws (through the web server's /ws)
# that says how long it has been connected. Logging out, here or in any other
# tab, closes it at once (code 4001). Anonymous visitors are sent to log in.

# html TEXT: escape for HTML.
html() {
	printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}

if [ -z "$SESSION_USER" ]; then
	printf 'Status: 303 See Other\r\n'
	printf 'Location: login.py?next=live.sh\r\n'
	printf 'Cache-Control: no-store\r\n'
	printf '\r\n'
	exit 0
fi

printf 'Content-Type: text/html; charset=utf-8\r\n'
printf 'Cache-Control: no-store\r\n'
printf '\r\n'
cat <<HTML
<!DOCTYPE html>
<html><head><title>Live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="demo.css">
<link rel="icon" href="data:,">
</head>
<body>
<nav><a href="./">Home</a> <a href="counter.sh">Counter</a> <a href="live.sh">Live</a> <a href="login.py">Log in / out</a></nav>
<h1>Live socket</h1>
<p>Logged in as <b id="user">$(html "$SESSION_USER")</b>. This page holds a
WebSocket to <code>sessionwrap-ws</code>, which knows it by your session.
Log out in another tab and watch it close.</p>
<p id="state" class="connecting">connecting&hellip;</p>
<p id="since"></p>
<p id="hint"></p>
<script src="live.js"></script>
</body></html>
HTML
