# session.sh: tiny helper for shell CGI scripts run by sessionwrap.
# Source it, call the setters while printing headers, before the blank line
# that ends them:
#
#   #!/bin/sh
#   . "${0%/*}/session.sh"
#   name=$(session_get name) || name=stranger
#   printf 'Content-Type: text/plain\r\n'
#   session_set seen yes
#   printf '\r\n'
#   echo "hello $name"
#
# Reading uses $SESSION (JSON) through `sessionwrap-ctl get`; writing prints
# the X-Session-* response headers that sessionwrap consumes and strips.

# session_get KEY: print the top-level value KEY (strings raw, others as
# JSON); exit status 1 when absent.
session_get() {
	sessionwrap-ctl get "$1" 2>/dev/null
}

# _session_ok TEXT: refuse CR and LF, which would end the header early
# (sessionwrap would answer 502 anyway).
_session_ok() {
	case $1 in
	*"$(printf '\r')"*|*"
"*)
		echo "session.sh: CR or LF in session value refused" >&2
		return 1 ;;
	esac
	return 0
}

# session_set KEY VALUE: set a top-level string.
session_set() {
	case $1 in ''|*=*) echo "session.sh: bad key '$1'" >&2; return 1 ;; esac
	_session_ok "$1$2" || return 1
	printf 'X-Session-Set: %s=%s\r\n' "$1" "$2"
}

# session_unset KEY: delete a top-level key.
session_unset() {
	_session_ok "$1" || return 1
	printf 'X-Session-Unset: %s\r\n' "$1"
}

# session_login USER: log USER in (new session id, SESSION_USER set).
session_login() {
	[ -n "$1" ] && _session_ok "$1" || return 1
	printf 'X-Session-Login: %s\r\n' "$1"
}

# session_logout: end the session and expire the cookie.
session_logout() {
	printf 'X-Session-Logout: 1\r\n'
}

# session_regenerate: new session id, same data.
session_regenerate() {
	printf 'X-Session-Regenerate: 1\r\n'
}
