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
env=
for v in $PROTECT_VARS; do
	env="$env${env:+, }\"$v\" => \"$(protect_env_value "$v")\""
done
LIGHTTPD_EXTRA="server.modules += ( \"mod_setenv\" )
setenv.add-environment = ( $env )"
lighttpd_start
protect_checks
pass
