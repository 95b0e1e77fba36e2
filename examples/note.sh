#!/bin/sh
# A note kept in the session, using the session.sh helper.
. "${0%/*}/session.sh"

# html TEXT: escape for HTML.
html() {
	printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}

if [ "$REQUEST_METHOD" = POST ]; then
	# Body: note=... (url-encoded form); decode + and %XX.
	body=$(head -c "${CONTENT_LENGTH:-0}")
	note=$(printf '%s' "${body#note=}" | sed 's/+/ /g; s/%\([0-9A-Fa-f][0-9A-Fa-f]\)/\\x\1/g' |
	    xargs -0 printf '%b' 2>/dev/null | tr -d '\r\n' | cut -c1-200)
	printf 'Status: 303 See Other\r\n'
	printf 'Location: note.sh\r\n'
	if [ -n "$note" ]; then
		session_set note "$note"
	else
		session_unset note
	fi
	printf '\r\n'
	exit 0
fi

note=$(session_get note) || note=""
printf 'Content-Type: text/html; charset=utf-8\r\n'
printf 'Cache-Control: no-store\r\n'
printf '\r\n'
cat <<HTML
<!DOCTYPE html>
<html><head><title>Note</title></head>
<body>
<h1>Your note</h1>
<p>$( [ -n "$note" ] && html "$note" || echo '<em>(empty)</em>' )</p>
<form method="post" action="note.sh">
<input name="note" size="40" value="$(html "$note")">
<button>Save</button>
</form>
<p><a href="./">Back</a></p>
</body></html>
HTML
