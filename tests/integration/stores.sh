#!/bin/sh
# Server-side stores driven directly through their ops (tests/test_store) against a
# real PostgreSQL in a private data directory and real memcached servers on free ports.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

TEST_STORE="$top_builddir/tests/test_store"
[ -x "$TEST_STORE" ] || fail "$TEST_STORE not built (make check builds it)"

sw_setup
mkdir -p "$T/run"
chmod 777 "$T/run"

# Servers restarted by test_store outlive any pid we could track: stop them by
# pid file and pg_ctl, then let the shared cleanup run.
stores_cleanup() {
	for f in "$T"/run/*.pid; do
		[ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
		$AS_PG "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
	fi
}
trap 'rc=$?; stores_cleanup; (exit $rc); sw_cleanup' EXIT

# Run the store test; 77 from it means the backend is not built in.
run_store_test() {
	step "$1"
	shift
	"$TEST_STORE" "$@" >"$T/test_store.out" 2>&1
	rc=$?
	sed 's/^/    /' "$T/test_store.out" >&2
	[ $rc = 77 ] && skip "$(tail -n 1 "$T/test_store.out")"
	[ $rc = 0 ] || fail "test_store $1"
}

# ---- memcached ------------------------------------------------------------
need_cmd memcached
MC_USER=
[ "$(id -u)" = 0 ] && MC_USER="-u nobody"

# mc_cmd N PORT: the command line that starts memcached number N as a daemon.
mc_cmd() {
	echo "memcached -d -P $T/run/mc$1.pid -p $2 -l 127.0.0.1 -U 0 -m 16 $MC_USER"
}
mc_start() {
	$(mc_cmd "$1" "$2") || fail "memcached did not start"
	wait_for_port "$2" 10
}
mc_stop_cmd() {
	echo "kill \$(cat $T/run/mc$1.pid); while kill -0 \$(cat $T/run/mc$1.pid) 2>/dev/null; do sleep 0.05; done"
}

MC1=$(free_port)
mc_start 1 "$MC1"
SW_TEST_STOP=$(mc_stop_cmd 1) \
SW_TEST_START=$(mc_cmd 1 "$MC1") \
    run_store_test "memcached: one server, with an outage" "memcached://127.0.0.1:$MC1?prefix=t1:"

MC2=$(free_port)
mc_start 2 "$MC2"
SW_TEST_SPREAD=1 SW_TEST_MC1="127.0.0.1:$MC1" SW_TEST_MC2="127.0.0.1:$MC2" \
SW_TEST_STOP2=$(mc_stop_cmd 2) \
    run_store_test "memcached: two servers, one dies" "memcached://127.0.0.1:$MC1,127.0.0.1:$MC2"

# ---- PostgreSQL ------------------------------------------------------------
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
if [ -n "$AS_PG" ]; then
	chown postgres "$PG_DATA" "$PG_SOCK" "$T/postgres.log"
fi
chmod 700 "$PG_DATA"
chmod 777 "$PG_SOCK"
$AS_PG "$PGBIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --no-sync \
    >"$T/initdb.log" 2>&1 || fail "initdb: $(tail -n 3 "$T/initdb.log")"
PG_START="$AS_PG $PGBIN/pg_ctl -D $PG_DATA -l $T/postgres.log -w -t 30 -o \"-p $PG_PORT -k $PG_SOCK -c listen_addresses='' -c fsync=off\" start"
PG_STOP="$AS_PG $PGBIN/pg_ctl -D $PG_DATA -m immediate -w stop"
sh -c "$PG_START" >/dev/null 2>&1 || fail "PostgreSQL did not start: $(tail -n 5 "$T/postgres.log")"

SW_TEST_STOP="$PG_STOP >/dev/null" SW_TEST_START="$PG_START >/dev/null" \
    run_store_test "PostgreSQL: with an outage" \
    "postgresql:host=$PG_SOCK port=$PG_PORT user=postgres dbname=postgres"

# The shipped schema is what sessionwrap creates.
step "contrib/schema.sql matches the table sessionwrap created"
PSQL="$AS_PG $PGBIN/psql -X -q -h $PG_SOCK -p $PG_PORT -U postgres"
$PSQL -d postgres -c "CREATE DATABASE fromfile" || fail "createdb"
$PSQL -d fromfile -v ON_ERROR_STOP=1 -f "$top_srcdir/contrib/schema.sql" ||
    fail "contrib/schema.sql does not load"
$PSQL -d postgres -c '\d sessionwrap_sessions' > "$T/created.txt"
$PSQL -d fromfile -c '\d sessionwrap_sessions' > "$T/shipped.txt"
diff -u "$T/created.txt" "$T/shipped.txt" >&2 || fail "contrib/schema.sql differs from the created table"

pass
