# Unmodified gitweb, cgit and git-http-backend behind the gate and
# sessionwrap-login, for every web server front (protect_lighttpd.sh,
# protect_apache.sh, protect_nginx.sh). Source after lib.sh and
# login_lib.sh. The store is memcached, so that a logout ends the session
# for every copy of its cookie.
#
#   protect_apps      # the apps and their configuration (also for the demo)
#   protect_setup     # repository, apps in the script root, users, sessionwrap
#   (start the web server with $PROTECT_ENV passed to scripts)
#   protect_checks    # anonymous refused, logins, pages, push, logout

. "$top_srcdir/tests/integration/store_servers.sh"

# The variables the apps need, which the web server passes and pass_env names.
PROTECT_VARS="SW_LOGIN_CONF GITWEB_CONFIG CGIT_CONFIG GIT_PROJECT_ROOT GIT_HTTP_EXPORT_ALL"

# protect_apps: gitweb, cgit and git-http-backend copied unmodified into
# $SCRIPT_ROOT (gitweb.cgi, cgit.cgi, git.cgi) with sessionwrap-login
# (login.cgi), for the repositories in $T/git; their configuration shows
# the logged-in user on every page.
protect_apps() {
	for f in /usr/share/gitweb/gitweb.cgi /usr/lib/cgit/cgit.cgi \
	    /usr/lib/git-core/git-http-backend; do
		[ -x "$f" ] || skip "$f not installed (Debian: gitweb, cgit, git)"
	done
	cp /usr/share/gitweb/gitweb.cgi "$SCRIPT_ROOT/gitweb.cgi"
	cp /usr/lib/cgit/cgit.cgi "$SCRIPT_ROOT/cgit.cgi"
	cp /usr/lib/git-core/git-http-backend "$SCRIPT_ROOT/git.cgi"
	chmod 755 "$SCRIPT_ROOT"/*.cgi
	login_install "$SCRIPT_ROOT"
	# Their stylesheets and pictures, where their pages look for them.
	cp -R /usr/share/gitweb/static "$SCRIPT_ROOT/static" 2>/dev/null
	for f in cgit.css cgit.png favicon.ico; do
		[ ! -f "/usr/share/cgit/$f" ] || cp "/usr/share/cgit/$f" "$DOCROOT/$f"
	done
	cat > "$T/gitweb.conf" <<GW
our \$projectroot = "$T/git";
our \$site_name = "gitweb for " . (\$ENV{REMOTE_USER} || "nobody");
our \$home_link_str = "projects of " . (\$ENV{REMOTE_USER} || "nobody");
GW
	cat > "$T/cgit-user.sh" <<'CU'
#!/bin/sh
cat > /dev/null
printf '<p id="cgit-user">cgit for %s</p>\n' "${REMOTE_USER:-nobody}"
CU
	chmod 755 "$T/cgit-user.sh"
	echo "about" > "$T/cgit-about.html"
	{
		echo "virtual-root=/cgi-bin/cgit.cgi/"
		echo "cache-size=0"
		echo "about-filter=$T/cgit-user.sh"
		echo "root-readme=$T/cgit-about.html"
		for r in "$T"/git/*.git; do
			echo "repo.url=$(basename "$r" .git)"
			echo "repo.path=$r"
		done
	} > "$T/cgitrc"
	chmod -R a+rX "$T/git" "$DOCROOT" "$T/gitweb.conf" "$T/cgitrc" "$T/cgit-about.html"
}

# protect_lighttpd_extra: the LIGHTTPD_EXTRA that passes $PROTECT_VARS.
protect_lighttpd_extra() {
	_env=
	for _v in $PROTECT_VARS; do
		_env="$_env${_env:+, }\"$_v\" => \"$(protect_env_value "$_v")\""
	done
	printf 'server.modules += ( "mod_setenv" )\nsetenv.add-environment = ( %s )\n' "$_env"
}

protect_setup() {
	need_cmd git memcached
	stores_init
	MC_PORT=$(free_port)
	mc_start 1 "$MC_PORT"
	# A bare repository with one commit, and a clone to push from.
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example GIT_COMMITTER_NAME=t \
	    GIT_COMMITTER_EMAIL=t@example HOME=$T
	git config --global init.defaultBranch main
	git config --global safe.directory '*'
	git init -q --bare "$T/git/repo.git"
	git init -q "$T/work"
	echo one > "$T/work/file"
	git -C "$T/work" add file
	git -C "$T/work" commit -q -m "first commit"
	git -C "$T/work" push -q "$T/git/repo.git" main
	protect_apps
	login_users
	sw_secret
	sw_config "store=memcached://127.0.0.1:$MC_PORT" \
	    login_required=/cgi-bin/ login_url=/cgi-bin/login.cgi \
	    "login_htpasswd=$HTPASSWD" "login_throttle_file=$T/state/throttle" \
	    "pass_env=$PROTECT_VARS"
	sw_start --threads 4
}

# protect_env_value NAME: what the web server sets NAME to.
protect_env_value() {
	case $1 in
	SW_LOGIN_CONF) echo "$T/sw.conf" ;;
	GITWEB_CONFIG) echo "$T/gitweb.conf" ;;
	CGIT_CONFIG) echo "$T/cgitrc" ;;
	GIT_PROJECT_ROOT) echo "$T/git" ;;
	GIT_HTTP_EXPORT_ALL) echo 1 ;;
	esac
}

# anon_to_form PATH: anonymous GET is sent to the login form, next= kept.
anon_to_form() {
	rm -f "$T/anon.jar"
	STATUS=$(curl -sS --max-time 30 -o "$T/out.b" -D "$T/out.h" -w '%{http_code}' "$BASE$1") || STATUS=000
	tr -d '\r' < "$T/out.h" > "$T/out.h.tmp" && mv "$T/out.h.tmp" "$T/out.h"
	expect_status 302 "anonymous $1"
	_loc=$(header Location)
	case $_loc in
	*/cgi-bin/login.cgi\?next=*) ;;
	*) fail "anonymous $1: Location $_loc" ;;
	esac
	STATUS=$(curl -sS --max-time 30 -o "$T/out.b" -w '%{http_code}' -L "$BASE$1") || STATUS=000
	expect_status 200 "the login form after $1"
	_next=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1].split("next=", 1)[1]))' "$_loc")
	[ "$_next" = "$1" ] || fail "anonymous $1: next=$_next"
	grep -qF "name=\"next\" value=\"$(echo "$1" | sed 's/&/\&amp;/g')\"" "$T/out.b" ||
	    fail "the form after $1 does not carry next: $(grep next "$T/out.b")"
}

# form_login USER PASSWORD NEXT: through the form; then $JAR is logged in.
form_login() {
	req /cgi-bin/login.cgi -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data-urlencode "user=$1" --data-urlencode "password=$2" --data-urlencode "next=$3"
	expect_status 303 "login of $1"
	[ "$(header Location)" = "$3" ] || fail "login of $1: Location $(header Location)"
}

# push_as COOKIE: push a new commit with the cookie (empty: anonymous); 0 on success.
push_as() {
	echo "$(date +%s%N)" >> "$T/work/file"
	git -C "$T/work" commit -q -a -m "change $(date +%s%N)"
	if [ -n "$1" ]; then
		git -C "$T/work" -c "http.extraHeader=Cookie: sessionwrap=$1" \
		    push -q "$BASE/cgi-bin/git.cgi/repo.git" HEAD:main >"$T/push.log" 2>&1
	else
		GIT_TERMINAL_PROMPT=0 git -C "$T/work" push -q \
		    "$BASE/cgi-bin/git.cgi/repo.git" HEAD:main >"$T/push.log" 2>&1
	fi
}

protect_checks() {
	JAR=$T/jar
	: > "$JAR"
	step "anonymous: gitweb, cgit and git are sent to the login form, or refused"
	anon_to_form '/cgi-bin/gitweb.cgi?p=repo.git;a=summary'
	anon_to_form /cgi-bin/cgit.cgi/repo/
	req_nojar /cgi-bin/git.cgi/repo.git/info/refs?service=git-receive-pack
	expect_status 302 "anonymous push discovery"
	req_nojar /cgi-bin/git.cgi/repo.git/git-receive-pack -X POST \
	    -H 'Content-Type: application/x-git-receive-pack-request' --data-binary x
	expect_status 401 "anonymous receive-pack POST"
	before=$(git -C "$T/git/repo.git" rev-parse main)
	push_as "" && fail "an anonymous push succeeded: $(cat "$T/push.log")"
	[ "$(git -C "$T/git/repo.git" rev-parse main)" = "$before" ] || fail "an anonymous push moved main"
	GIT_TERMINAL_PROMPT=0 git clone -q "$BASE/cgi-bin/git.cgi/repo.git" "$T/anon-clone" 2>/dev/null &&
	    fail "an anonymous clone succeeded"

	step "bob (bcrypt) logs in: gitweb renders and shows bob"
	form_login bob 'bob pw' '/cgi-bin/gitweb.cgi?p=repo.git;a=summary'
	req '/cgi-bin/gitweb.cgi?p=repo.git;a=summary'
	expect_status 200 "gitweb summary"
	grep -q 'gitweb for bob' "$T/out.b" || fail "gitweb does not show bob: $(head -c 600 "$T/out.b")"
	grep -q 'first commit' "$T/out.b" || fail "gitweb summary lacks the commit"
	req /cgi-bin/gitweb.cgi
	grep -q 'repo.git' "$T/out.b" || fail "gitweb's project list lacks repo.git"

	step "amy (apr1) logs in: cgit renders and shows amy"
	: > "$JAR"
	form_login amy amy-pw /cgi-bin/cgit.cgi/repo/
	req /cgi-bin/cgit.cgi/repo/
	expect_status 200 "cgit summary"
	grep -q 'first commit' "$T/out.b" || fail "cgit summary lacks the commit: $(head -c 600 "$T/out.b")"
	req '/cgi-bin/cgit.cgi/?p=about'
	expect_status 200 "cgit about"
	grep -q 'cgit for amy' "$T/out.b" || fail "cgit does not show amy: $(grep -i cgit "$T/out.b" | head -5)"

	step "sam (SHA) logs in: git push through git-http-backend works"
	: > "$JAR"
	form_login sam 'sam:pw' /
	cookie=$(jar_cookie "$JAR" sessionwrap)
	[ -n "$cookie" ] || fail "no session cookie after sam's login"
	push_as "$cookie" || fail "a logged-in push failed: $(cat "$T/push.log")"
	[ "$(git -C "$T/git/repo.git" rev-parse main)" = "$(git -C "$T/work" rev-parse HEAD)" ] ||
	    fail "the logged-in push did not move main"
	# The same with the cookie jar as git's (libcurl's) cookie file.
	echo "$(date +%s%N)" >> "$T/work/file"
	git -C "$T/work" commit -q -a -m "change through the cookie file"
	git -C "$T/work" -c "http.cookieFile=$JAR" push -q "$BASE/cgi-bin/git.cgi/repo.git" \
	    HEAD:main >"$T/push.log" 2>&1 || fail "a push with the cookie file failed: $(cat "$T/push.log")"
	[ "$(git -C "$T/git/repo.git" rev-parse main)" = "$(git -C "$T/work" rev-parse HEAD)" ] ||
	    fail "the push with the cookie file did not move main"
	git -c "http.extraHeader=Cookie: sessionwrap=$cookie" clone -q \
	    "$BASE/cgi-bin/git.cgi/repo.git" "$T/clone" || fail "a logged-in clone failed"
	req '/cgi-bin/gitweb.cgi?p=repo.git;a=summary'
	grep -q 'gitweb for sam' "$T/out.b" || fail "gitweb does not show sam"

	step "logout protects everything again, for every copy of the cookie"
	req /cgi-bin/login.cgi -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data-binary 'logout=1&next=%2Fcgi-bin%2Fgitweb.cgi'
	expect_status 303 "logout"
	req /cgi-bin/gitweb.cgi
	expect_status 302 "gitweb after logout"
	req_nojar /cgi-bin/cgit.cgi/repo/ -H "Cookie: sessionwrap=$cookie"
	expect_status 302 "cgit with the logged-out cookie"
	before=$(git -C "$T/git/repo.git" rev-parse main)
	push_as "$cookie" && fail "a push with the logged-out cookie succeeded"
	[ "$(git -C "$T/git/repo.git" rev-parse main)" = "$before" ] || fail "the logged-out push moved main"
	sw_alive "at the end"
}
