# php-fpm for the tests and the bench: source after tests/lib.sh.
#
#   fpm_start [key = value]...   # Debian's php-fpm on unix:$FPM_SOCK, own pool
#   fpm_stop                     # stop it (the socket goes with it)
#
# It runs as the unprivileged user PostgreSQL runs as (postgres) when we are
# root (php-fpm refuses root; setpriv, so that its pid is php-fpm's), else as us; its files are in $T/fpm. Extra
# arguments are pool settings, one "key = value" each, replacing defaults.

# fpm_find: FPM_BIN, Debian's php-fpm binary (php-fpmX.Y).
fpm_find() {
	FPM_BIN=$(ls /usr/sbin/php-fpm* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$FPM_BIN" ] || skip "php-fpm not installed"
}

# fpm_start [setting]...: start php-fpm, wait for its socket. Sets FPM_PID,
# FPM_SOCK, FPM_LOG.
fpm_start() {
	fpm_find
	FPM_DIR=$T/fpm
	FPM_SOCK=$FPM_DIR/fpm.sock
	FPM_LOG=$FPM_DIR/fpm.log
	mkdir -p "$FPM_DIR"
	_fpm_as=
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || skip "no postgres user to run php-fpm as"
		chown postgres "$FPM_DIR"
		_fpm_as="setpriv --reuid=postgres --regid=postgres --clear-groups"
	fi
	{
		echo "[global]"
		echo "pid = $FPM_DIR/fpm.pid"
		echo "error_log = $FPM_LOG"
		echo "daemonize = no"
		echo "[www]"
		echo "listen = $FPM_SOCK"
		echo "listen.mode = 0666"
		# Debian's defaults (www.conf), so the pool is what sites run.
		echo "pm = dynamic"
		echo "pm.max_children = 5"
		echo "pm.start_servers = 2"
		echo "pm.min_spare_servers = 1"
		echo "pm.max_spare_servers = 3"
		echo "catch_workers_output = yes"
		echo "php_admin_value[post_max_size] = 64M"
		echo "php_admin_value[memory_limit] = 256M"
		echo "php_admin_value[session.save_path] = $FPM_DIR"
		for _kv in "$@"; do
			echo "$_kv"
		done
	} > "$FPM_DIR/fpm.conf"
	rm -f "$FPM_SOCK"
	# shellcheck disable=SC2086
	setsid $_fpm_as $SW_PDEATH "$FPM_BIN" -F -y "$FPM_DIR/fpm.conf" \
	    >>"$FPM_DIR/fpm.out" 2>&1 </dev/null &
	FPM_PID=$!
	sw_track "$FPM_PID"
	wait_for_socket "$FPM_SOCK" 10 "$FPM_PID"
}

# fpm_stop: stop php-fpm and its workers, wait until they are gone.
fpm_stop() {
	[ -n "$FPM_PID" ] || return 0
	_fpm_master=$(cat "$FPM_DIR/fpm.pid" 2>/dev/null)
	kill -TERM "${_fpm_master:-$FPM_PID}" "$FPM_PID" 2>/dev/null
	_n=0
	while kill -0 "$FPM_PID" 2>/dev/null && [ $_n -lt 50 ]; do sleep 0.1; _n=$((_n + 1)); done
	kill -KILL "$FPM_PID" 2>/dev/null
	wait "$FPM_PID" 2>/dev/null
	FPM_PID=
}
