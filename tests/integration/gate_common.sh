# The gate's checks every web server front shares (gate_lighttpd.sh,
# gate_nginx.sh, gate_apache.sh). Source after lib.sh and docroot_setup.
# The configuration they expect: login_required = /cgi-bin/app/ /cgi-bin/Up/,
# login_url = /cgi-bin/login.sh, csrf_trusted_origins = https://trusted.example;
# $DOCROOT/private/ behind the web server's access check (authorizer_checks).

# gate_setup: the document root (docroot_setup), the protected scripts
# (app/mark.sh, up/mark.sh: they leave $MARK when they run), the private
# static file, and sessionwrap started with the configuration above.
gate_setup() {
	docroot_setup
	MARK=$T/state/ran
	for d in app up; do
		mkdir -p "$SCRIPT_ROOT/$d"
		chmod 755 "$SCRIPT_ROOT/$d"
		cat > "$SCRIPT_ROOT/$d/mark.sh" <<EOF
#!/bin/sh
/usr/bin/touch $MARK
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf 'ran user=%s remote_user=%s auth_type=%s http_remote_user=%s\\n' \\
    "\$SESSION_USER" "\$REMOTE_USER" "\$AUTH_TYPE" "\$HTTP_REMOTE_USER"
EOF
		chmod 755 "$SCRIPT_ROOT/$d/mark.sh"
	done
	mkdir -p "$DOCROOT/private"
	chmod 755 "$DOCROOT/private"
	echo "private file" > "$DOCROOT/private/secret.txt"
	chmod 644 "$DOCROOT/private/secret.txt"
	sw_secret
	[ "$(id -u)" = 0 ] && chown www-data:www-data "$T/secret"
	sw_config login_required="/cgi-bin/app/ /cgi-bin/Up/" \
	    login_url=/cgi-bin/login.sh csrf_trusted_origins=https://trusted.example
	sw_start --threads 4
}

# gate_everything: sessionwrap again with login_required = / (next_checks).
gate_everything() {
	gate_restart login_required=/ login_url=/cgi-bin/login.sh store=cookie \
	    idle_timeout=1800
}

# not_run WHAT: the protected script did not run (and forget any run).
not_run() {
	[ ! -e "$MARK" ] || fail "$1: the protected script ran"
}

# refused_anon PATH [curl args]: an anonymous GET of PATH is not served and
# runs nothing; its status goes to the log.
refused_anon() {
	_rp=$1
	shift
	rm -f "$MARK"
	req_nojar "$_rp" --path-as-is "$@"
	log "anonymous $_rp: $STATUS"
	[ "$STATUS" != 200 ] && [ "$STATUS" != 000 ] || fail "anonymous $_rp: status $STATUS"
	grep -q '^ran' "$T/out.b" && fail "anonymous $_rp: the script's output came back"
	not_run "anonymous $_rp"
}

# gate_login USER / gate_logout: through the unprotected login page.
gate_login() {
	req "/cgi-bin/login.sh?user=$1"
	expect_status 200 "login page, logging in $1"
}
gate_logout() {
	req "/cgi-bin/login.sh?logout=1"
	expect_status 200 "logout"
}

# gate_checks: login_required, REMOTE_USER and csrf on the jar $JAR.
gate_checks() {
	step "anonymous GET and HEAD: 302 to login_url?next=, the script never runs"
	rm -f "$MARK"
	req '/cgi-bin/app/mark.sh?a=1&b=x%20y'
	expect_status 302 "anonymous GET"
	_loc=$(header Location)
	case $_loc in
	*/cgi-bin/login.sh?next=%2Fcgi-bin%2Fapp%2Fmark.sh%3Fa%3D1%26b%3Dx%2520y) ;;
	*) fail "Location: $_loc" ;;
	esac
	not_run "anonymous GET"
	req /cgi-bin/app/mark.sh -I
	expect_status 302 "anonymous HEAD"
	not_run "anonymous HEAD"
	step "anonymous POST and PUT: 401, the script never runs (nor reads the body)"
	req /cgi-bin/app/mark.sh --data-binary 'x=1'
	expect_status 401 "anonymous POST"
	[ -z "$(header Location)" ] || fail "a 401 with Location"
	req /cgi-bin/app/mark.sh -X PUT --data-binary 'x=1'
	expect_status 401 "anonymous PUT"
	not_run "anonymous POST"

	step "path tricks do not pass the gate"
	for p in /cgi-bin//app/mark.sh /cgi-bin/./app/mark.sh \
	    /cgi-bin/x/../app/mark.sh /cgi-bin/%2e/app/mark.sh \
	    /cgi-bin/app%2fmark.sh /cgi-bin/%61pp/mark.sh /cgi-bin/%2E%2E/cgi-bin/app/mark.sh \
	    /cgi-bin/up/mark.sh /cgi-bin/UP/mark.sh /cgi-bin/login.sh/../app/mark.sh \
	    /cgi-bin/login.sh%2f..%2fapp/mark.sh '/cgi-bin/app/mark.sh?/cgi-bin/login.sh' \
	    '/cgi-bin/app/mark.sh#/cgi-bin/login.sh' /cgi-bin/app/./mark.sh \
	    /cgi-bin/app/mark.sh/ /cgi-bin/app/mark.sh/x /cgi-bin/app//mark.sh; do
		refused_anon "$p"
	done
	step "a client Remote-User header is no login"
	refused_anon /cgi-bin/app/mark.sh -H 'Remote-User: alice' -H 'X-Remote-User: alice' \
	    -H 'Authorization: Session alice'
	req_nojar /cgi-bin/do.py -H 'Remote-User: alice'
	expect_status 200 "unprotected script"
	expect_json 'j.get("REMOTE_USER", "") + "/" + j.get("AUTH_TYPE", "") + "/" + j.get("HTTP_REMOTE_USER", "")' '//' \
	    "REMOTE_USER, AUTH_TYPE, HTTP_REMOTE_USER of an anonymous request"

	step "a client cannot claim the Authorizer or auth_request role"
	refused_anon /cgi-bin/app/mark.sh -H 'Sessionwrap-Role: auth_request' \
	    -H 'Fcgi-Role: AUTHORIZER' -H 'Fcgi-Apache-Role: AUTHENTICATOR'
	grep -q '^Variable-' "$T/out.h" && fail "Variable-* header reached the client"

	step "login_url itself is never protected"
	req '/cgi-bin/login.sh?next=%2Fcgi-bin%2Fapp%2Fmark.sh'
	expect_status 200 "login page"
	grep -q '^login page query=next=%2Fcgi-bin%2Fapp%2Fmark.sh ' "$T/out.b" ||
	    fail "login page: $(cat "$T/out.b")"

	step "logged in: the script runs with REMOTE_USER and AUTH_TYPE=Session"
	gate_login alice
	req /cgi-bin/app/mark.sh -H 'Remote-User: mallory' -H 'X-Remote-User: mallory'
	expect_status 200 "logged-in GET"
	grep -q '^ran user=alice remote_user=alice auth_type=Session http_remote_user=$' "$T/out.b" ||
	    fail "logged-in GET: $(cat "$T/out.b")"
	req /cgi-bin/up/mark.sh
	expect_status 200 "logged-in GET up/"
	req /cgi-bin/do.py
	expect_json 'j.get("REMOTE_USER", "") + "/" + j.get("AUTH_TYPE", "")' 'alice/Session' \
	    "REMOTE_USER on an unprotected script"

	step "cross-origin unsafe requests: 403 before the script"
	for h in 'Origin: http://evil.example' 'Origin: null' \
	    'Sec-Fetch-Site: cross-site' 'Sec-Fetch-Site: same-site' \
	    "Origin: $BASE.evil.example" 'Origin: http://127.0.0.1:1'; do
		rm -f "$MARK"
		req /cgi-bin/app/mark.sh --data-binary 'x=1' -H "$h"
		expect_status 403 "POST with $h"
		not_run "POST with $h"
	done
	req /cgi-bin/do.py -X DELETE -H 'Origin: http://evil.example'
	expect_status 403 "DELETE of an unprotected script from another origin"
	req /cgi-bin/app/mark.sh -H 'Origin: http://evil.example' -H 'Sec-Fetch-Site: cross-site'
	expect_status 200 "cross-site GET (safe method)"
	for h in "Origin: $BASE" 'Sec-Fetch-Site: same-origin' 'Sec-Fetch-Site: none' \
	    'Origin: https://trusted.example' 'X-None: 1'; do
		req /cgi-bin/app/mark.sh --data-binary 'x=1' -H "$h"
		expect_status 200 "POST with $h"
	done
	req /cgi-bin/app/mark.sh --data-binary 'x=1' -H 'Sec-Fetch-Site: cross-site' \
	    -H 'Origin: https://trusted.example'
	expect_status 200 "cross-site POST from a trusted origin"

	step "logout protects everything again"
	gate_logout
	rm -f "$MARK"
	req /cgi-bin/app/mark.sh
	expect_status 302 "GET after logout"
	not_run "GET after logout"
}

# next_checks: with login_required = / (everything), next= is a local path
# whatever the client sent: never "//host" nor "/\host".
next_checks() {
	step "next= is always a local path"
	_n302=0
	for p in '//cgi-bin/do.py' '///cgi-bin/do.py' '/.//cgi-bin/do.py' \
	    '//evil.example/../cgi-bin/do.py' '/%2f/cgi-bin/do.py' \
	    '/%5C/../cgi-bin/do.py' '/cgi-bin/do.py?//evil.example' \
	    '/cgi-bin/do.py?%0d%0aSet-Cookie:%20a=b' '/cgi-bin/do.py?a=%5C%5Cevil'; do
		req_nojar "$p" --path-as-is
		log "anonymous $p: $STATUS $(header Location)"
		[ "$STATUS" = 302 ] || [ "$STATUS" = 400 ] || [ "$STATUS" = 404 ] ||
		    fail "anonymous $p: status $STATUS"
		header Set-Cookie | grep -q '^a=' && fail "$p: a header was injected"
		[ "$STATUS" = 302 ] || continue
		_n302=$((_n302 + 1))
		_n=$(header Location | sed -n 's/.*[?&]next=//p')
		_d=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote_plus(sys.argv[1]))' "$_n")
		case $_d in
		/[!/\\]*) ;;
		*) fail "$p: next=$_n decodes to '$_d', not a local path" ;;
		esac
	done
	[ "$_n302" -ge 6 ] || fail "only $_n302 of the tricks reached the gate"
}

# authorizer_checks ANON: the static $DOCROOT/private/ behind the web
# server's access check; ANON is the anonymous GET's status (302 or 401).
authorizer_checks() {
	step "static file behind the access check: refused anonymously ($1)"
	: > "$JAR"
	req /private/secret.txt
	expect_status "$1" "anonymous static file"
	grep -q 'private file' "$T/out.b" && fail "anonymous: the private file was served"
	if [ "$1" = 302 ]; then
		case $(header Location) in
		*/cgi-bin/login.sh?next=%2Fprivate%2Fsecret.txt) ;;
		*) fail "Location: $(header Location)" ;;
		esac
	fi
	for p in /private//secret.txt /./private/secret.txt /x/../private/secret.txt \
	    /%70rivate/secret.txt /private/%73ecret.txt /PRIVATE/secret.txt /private/; do
		req_nojar "$p" --path-as-is
		log "anonymous static $p: $STATUS"
		[ "$STATUS" != 200 ] || fail "anonymous static $p: 200"
		grep -q 'private file' "$T/out.b" && fail "anonymous static $p: served"
	done
	req_nojar /private/secret.txt -H 'Remote-User: alice' -H 'X-Remote-User: alice'
	[ "$STATUS" != 200 ] || fail "anonymous static file with Remote-User headers: 200"

	step "served after a login, with the user for the web server"
	gate_login bob
	req /private/secret.txt
	expect_status 200 "logged-in static file"
	grep -q '^private file$' "$T/out.b" || fail "static body: $(cat "$T/out.b")"
	req /private/secret.txt -X POST --data-binary 'x=1' -H 'Origin: http://evil.example'
	expect_status 403 "cross-origin POST through the access check"

	step "refused again after logout"
	gate_logout
	req /private/secret.txt
	expect_status "$1" "static file after logout"
	grep -q 'private file' "$T/out.b" && fail "after logout: the private file was served"
	return 0
}

# gate_restart KEY=VALUE...: sessionwrap again with these keys (and the
# test's gate_restarted, when it has one, for its other sessionwraps).
gate_restart() {
	sw_stop
	sw_config "$@"
	sw_start --threads 4
	if command -v gate_restarted >/dev/null 2>&1; then
		gate_restarted
	fi
}

# touch_checks [STORE]: with idle_timeout = 3 s, a session that only passes
# access checks stays logged in past it (each refreshes it: in a server
# STORE, or with the cookie store a new cookie the web server passes on),
# and ends 3 s after the last one.
touch_checks() {
	step "access checks refresh the session; idle_timeout still ends it (${1:-cookie})"
	gate_restart login_required=/cgi-bin/app/ login_url=/cgi-bin/login.sh \
	    idle_timeout=3 touch_interval=0 "store=${1:-cookie}"
	: > "$JAR"
	gate_login erin
	for _i in 1 2 3 4 5; do
		sleep 1
		req /private/secret.txt
		expect_status 200 "static file, ${_i} s after the login"
	done
	sleep 4
	req /private/secret.txt
	expect_status 302 "static file 4 s after the last request"
}

# gate_all [STORE]: on a fresh jar, gate_checks and authorizer_checks 302
# (every server passes a refusal of its access check on), touch_checks
# STORE, then next_checks with everything protected.
gate_all() {
	JAR=$T/jar
	: > "$JAR"
	gate_checks
	authorizer_checks 302
	touch_checks "$@"
	gate_everything
	next_checks
}
