# Real memcached and PostgreSQL servers for the store tests, on free ports and
# private sockets under $T. POSIX sh; source after tests/lib.sh and sw_setup.
#
#   stores_init                   # run dir and a cleanup that stops them
#   mc_start N PORT               # memcached number N (daemon, pid file)
#   MC_STOP=$(mc_stop_cmd N)      # shell command stopping it (for test_store)
#   pg_setup                      # initdb + start; PG_URI, PG_START, PG_STOP
#   rd_start N [PORT [ARGS...]]   # redis-server N on $T/run/rdN.sock (and PORT)
#   RD_STOP=$(rd_stop_cmd N)      # shell command stopping it (SIGTERM)
#
# Under CI=true a missing server is a failure (lib.sh's skip).

# Servers restarted by a test outlive any pid we could track: stop them by pid
# file and pg_ctl, then let the shared cleanup run.
stores_cleanup() {
	for f in "$T"/run/*.pid; do
		[ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
		$AS_PG "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
	fi
}

stores_init() {
	mkdir -p "$T/run"
	chmod 777 "$T/run"
	trap 'rc=$?; stores_cleanup; (exit $rc); sw_cleanup' EXIT
	MC_USER=
	[ "$(id -u)" = 0 ] && MC_USER="-u nobody"
}

# mc_cmd N PORT: the command line that starts memcached number N as a daemon.
mc_cmd() {
	echo "memcached -d -P $T/run/mc$1.pid -p $2 -l 127.0.0.1 -U 0 -m 16 $MC_USER"
}

# mc_start N PORT
mc_start() {
	need_cmd memcached
	$(mc_cmd "$1" "$2") || fail "memcached did not start"
	wait_for_port "$2" 10
}

# mc_stop_cmd N: a command that stops memcached N and waits for it to go.
mc_stop_cmd() {
	echo "p=\$(cat $T/run/mc$1.pid); kill \$p; while kill -0 \$p 2>/dev/null; do sleep 0.05; done"
}

# rd_cmd N [PORT [ARGS...]]: the command line that starts redis-server number
# N as a daemon on the socket $T/run/rdN.sock (and 127.0.0.1:PORT unless 0):
# every write in the append-only file before it is acknowledged, so a kill
# loses nothing that was answered.
rd_cmd() {
	_n=$1
	_p=${2:-0}
	shift
	[ $# -gt 0 ] && shift
	mkdir -p "$T/run/rd$_n"
	echo "redis-server --daemonize yes --pidfile $T/run/rd$_n.pid --dir $T/run/rd$_n" \
	    "--logfile $T/run/rd$_n.log --unixsocket $T/run/rd$_n.sock --unixsocketperm 777" \
	    "--port $_p --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always" \
	    "--io-threads 1 $*"
}

# rd_start N [PORT [ARGS...]]
rd_start() {
	need_cmd redis-server
	sh -c "$(rd_cmd "$@")" || fail "redis-server did not start"
	wait_for_socket "$T/run/rd$1.sock" 10
}

# rd_stop_cmd N: a command that stops redis-server N and waits for it to go.
rd_stop_cmd() {
	echo "p=\$(cat $T/run/rd$1.pid); kill \$p; while kill -0 \$p 2>/dev/null; do sleep 0.05; done"
}

# pg_setup: a private PostgreSQL (as the postgres user when we are root),
# socket only, trust auth. Sets PG_URI, PG_START, PG_STOP, PSQL.
pg_setup() {
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || skip "PostgreSQL server (initdb) not installed"
	AS_PG=
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || skip "no postgres user to run PostgreSQL as"
		AS_PG="runuser -u postgres --"
	fi
	PG_DATA=$T/pg
	PG_SOCK=$T/pgsock
	PG_PORT=$(free_port)
	mkdir -p "$PG_DATA" "$PG_SOCK"
	touch "$T/postgres.log"
	[ -z "$AS_PG" ] || chown postgres "$PG_DATA" "$PG_SOCK" "$T/postgres.log"
	chmod 700 "$PG_DATA"
	chmod 777 "$PG_SOCK"
	$AS_PG "$PGBIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --no-sync \
	    >"$T/initdb.out" 2>&1 || fail "initdb: $(tail -n 3 "$T/initdb.out")"
	PG_START="$AS_PG $PGBIN/pg_ctl -D $PG_DATA -l $T/postgres.log -w -t 30 -o \"-p $PG_PORT -k $PG_SOCK -c listen_addresses='' -c fsync=off -c max_connections=200\" start >/dev/null"
	PG_STOP="$AS_PG $PGBIN/pg_ctl -D $PG_DATA -m immediate -w stop >/dev/null"
	sh -c "$PG_START" || fail "PostgreSQL did not start: $(tail -n 5 "$T/postgres.log")"
	PG_URI="postgresql:host=$PG_SOCK port=$PG_PORT user=postgres dbname=postgres"
	PSQL="$AS_PG $PGBIN/psql -X -q -h $PG_SOCK -p $PG_PORT -U postgres"
}
