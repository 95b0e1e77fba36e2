#!/bin/sh
# Test login page for the gate: ?user=NAME logs in as NAME (letters only),
# ?logout=1 logs out; the page shows the query it was given (next=).
PATH=/usr/bin:/bin
case $QUERY_STRING in
user=*)
	u=${QUERY_STRING#user=}
	u=${u%%&*}
	case $u in ''|*[!A-Za-z]*) u=invalid ;; esac
	printf 'X-Session-Login: %s\r\n' "$u" ;;
logout=1*)
	printf 'X-Session-Logout: 1\r\n' ;;
esac
printf 'Content-Type: text/plain\r\n\r\n'
printf 'login page query=%s user=%s remote_user=%s\n' "$QUERY_STRING" \
    "$SESSION_USER" "$REMOTE_USER"
