#!/bin/sh
# gitweb, cgit and git-http-backend, unmodified, behind the gate and
# sessionwrap-login through nginx (see protect_common.sh): one location
# for the script directory, PATH_INFO split off after the script's name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/login_lib.sh"
. "$top_srcdir/tests/integration/protect_common.sh"

sw_setup
need_cmd nginx curl python3
need_sessionwrap
docroot_setup
protect_setup
params=
for v in $PROTECT_VARS; do
	params="$params
		fastcgi_param $v $(protect_env_value "$v");"
done
NGINX_SERVER_EXTRA="	location ^~ /cgi-bin/ {
		fastcgi_split_path_info ^(/cgi-bin/[^/]+\\.cgi)(/.*)\$;
		# try_files empties \$fastcgi_path_info: keep it first.
		set \$path_info \$fastcgi_path_info;
		try_files \$fastcgi_script_name =404;
		include fastcgi_params;
		fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		fastcgi_param PATH_INFO \$path_info;$params
		fastcgi_pass unix:$T/sw.sock;
	}"
nginx_start
protect_checks
pass
