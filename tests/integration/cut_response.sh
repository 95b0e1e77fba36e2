#!/bin/sh
# A response its script does not finish must look cut to the client, not
# whole: a script that has sent its headers and part of its body, then is
# killed by SIGKILL, dies of SIGSEGV or SIGABRT, or stalls until the idle
# limit (handler_timeout) kills it, ends without FastCGI END_REQUEST, and
# curl (HTTP/1.1, so the servers answer chunked) reports a partial transfer:
# exit 18 (transfer closed with outstanding data) or 56 (bad chunked
# encoding). Checked through lighttpd, Apache mod_proxy_fcgi and nginx; a
# normal script's response stays complete (exit 0) on each, and sessionwrap
# keeps serving.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd apache2 nginx curl python3
need_sessionwrap
docroot_setup
sw_secret
sw_config handler_timeout=3
sw_start --threads 4


# check SERVER: every mode of cut.sh through $BASE, the quick ones several
# times (whether a web server has begun sending when the cut comes is a race).
check() {
	for mode in kill segv abort kill segv abort kill segv abort stall ok ok; do
		code=$(curl --http1.1 -sS -o "$T/cut.b" -w '%{http_code}' --max-time 20 \
		    "$BASE/cgi-bin/cut.sh?$mode" 2>"$T/cut.err")
		rc=$?
		size=$(wc -c < "$T/cut.b")
		log "$1 $mode: status $code, curl exit $rc, $size bytes: $(tr '\n' ' ' < "$T/cut.err")"
		[ "$code" = 200 ] || soft_fail "$1 $mode: status $code, not the script's 200"
		if [ "$mode" = ok ]; then
			[ "$rc" = 0 ] || soft_fail "$1 ok: curl exit $rc on a complete response"
			[ "$size" = 40000 ] || soft_fail "$1 ok: $size bytes, not 40000"
			continue
		fi
		case $rc in
		18|56) ;;
		*) soft_fail "$1 $mode: curl exit $rc, not a partial transfer (18 or 56)" ;;
		esac
		[ "$size" = 20000 ] || soft_fail "$1 $mode: $size bytes, not the 20000 the script wrote"
	done
	sw_alive "$1"
}

step "lighttpd (mod_fastcgi)"
lighttpd_start
check lighttpd
kill "$LIGHTTPD_PID"

step "Apache (mod_proxy_fcgi)"
apache_start
check apache
kill "$APACHE_PID"

step "nginx"
nginx_start
check nginx

soft_done
pass
