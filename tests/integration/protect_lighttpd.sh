#!/bin/sh
# gitweb, cgit and git-http-backend, unmodified, behind the gate and
# sessionwrap-login through lighttpd (see protect_common.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/login_lib.sh"
. "$top_srcdir/tests/integration/protect_common.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
docroot_setup
protect_setup
LIGHTTPD_EXTRA=$(protect_lighttpd_extra)
lighttpd_start
protect_checks
pass
