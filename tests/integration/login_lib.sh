# Helpers of the tests of sessionwrap-login (sourced after tests/lib.sh).
#
#   login_users                 # $T/htpasswd: bob (bcrypt), amy (apr1),
#                               # sam (SHA), cid (crypt), uli (UTF-8, bcrypt)
#   login_install DIR [NAME]    # copy sessionwrap-login there (NAME: login.cgi)
#   login_post PATH BODY [curl args...]   # a form POST through req

SESSIONWRAP_LOGIN="$top_builddir/src/sessionwrap-login"

login_users() {
	need_cmd htpasswd
	HTPASSWD=$T/htpasswd
	# bcrypt at cost 10: the hash dominates the time of a wrong password.
	htpasswd -c -b -B -C 10 "$HTPASSWD" bob 'bob pw' 2>/dev/null
	htpasswd -b -m "$HTPASSWD" amy 'amy-pw' 2>/dev/null
	htpasswd -b -s "$HTPASSWD" sam 'sam:pw' 2>/dev/null
	htpasswd -b -d "$HTPASSWD" cid 'cidpw' 2>/dev/null
	htpasswd -b -B -C 10 "$HTPASSWD" uli "$(printf 'p\303\244ss\342\202\254')" 2>/dev/null
	chmod 644 "$HTPASSWD"
	grep -q '^bob:\$2y\$10\$' "$HTPASSWD" && grep -q '^amy:\$apr1\$' "$HTPASSWD" &&
	    grep -q '^sam:{SHA}' "$HTPASSWD" && grep -q '^cid:[./0-9A-Za-z]\{13\}$' "$HTPASSWD" ||
	    fail "htpasswd did not write the expected formats: $(cat "$HTPASSWD")"
}

login_install() {
	[ -x "$SESSIONWRAP_LOGIN" ] || fail "$SESSIONWRAP_LOGIN not built"
	mkdir -p "$1"
	cp "$SESSIONWRAP_LOGIN" "$1/${2:-login.cgi}"
	chmod 755 "$1/${2:-login.cgi}"
}

login_post() {
	_lp=$1
	_lb=$2
	shift 2
	req "$_lp" -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data-binary "$_lb" "$@"
}
