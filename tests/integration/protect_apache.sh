#!/bin/sh
# gitweb, cgit and git-http-backend, unmodified, behind the gate and
# sessionwrap-login through Apache mod_proxy_fcgi (see protect_common.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/login_lib.sh"
. "$top_srcdir/tests/integration/protect_common.sh"

sw_setup
need_cmd apache2 curl python3
need_sessionwrap
docroot_setup
protect_setup
APACHE_EXTRA="<Directory $SCRIPT_ROOT>
	AcceptPathInfo On
</Directory>"
for v in $PROTECT_VARS; do
	APACHE_EXTRA="$APACHE_EXTRA
SetEnv $v $(protect_env_value "$v")"
done
apache_start
protect_checks
pass
