#!/bin/sh
# Server-side stores driven directly through their ops (tests/test_store) against a
# real PostgreSQL in a private data directory and real memcached servers on free ports,
# then the cache tier (memcached in front of PostgreSQL) with each of the two down.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

TEST_STORE="$top_builddir/tests/test_store"
[ -x "$TEST_STORE" ] || fail "$TEST_STORE not built (make check builds it)"

sw_setup
stores_init

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

need_cmd memcached
MC1=$(free_port)
mc_start 1 "$MC1"
SW_TEST_STOP=$(mc_stop_cmd 1) SW_TEST_START=$(mc_cmd 1 "$MC1") \
    run_store_test "memcached: one server, with an outage" "memcached://127.0.0.1:$MC1?prefix=t1:"

MC2=$(free_port)
mc_start 2 "$MC2"
SW_TEST_SPREAD=1 SW_TEST_MC1="127.0.0.1:$MC1" SW_TEST_MC2="127.0.0.1:$MC2" \
SW_TEST_STOP2=$(mc_stop_cmd 2) \
    run_store_test "memcached: two servers, one dies" "memcached://127.0.0.1:$MC1,127.0.0.1:$MC2"

# Redis on a private socket, killed and restarted: its append-only file
# keeps what it acknowledged. Then over TCP as an ACL user with a password.
need_cmd redis-server
rd_start 1
SW_TEST_STOP="kill -9 \$(cat $T/run/rd1.pid); sleep 0.2" SW_TEST_START="$(rd_cmd 1) && sleep 0.3" \
SW_TEST_REDIS_CLI="redis-cli -s $T/run/rd1.sock" \
    run_store_test "redis: a socket, killed and restarted" "redis+unix://$T/run/rd1.sock?prefix=t1:"
RD2=$(free_port)
rd_start 2 "$RD2" "--user default off --user app on '>s3cr+t' '~*' '&*' '+@all'"
run_store_test "redis: TCP, ACL user and password, db 2" "redis://app:s3cr%2Bt@127.0.0.1:$RD2/2"

pg_setup
SW_TEST_STOP="$PG_STOP" SW_TEST_START="$PG_START" \
    run_store_test "PostgreSQL: with an outage" "$PG_URI"

MC3=$(free_port)
mc_start 3 "$MC3"
SW_TEST_CACHE="memcached://127.0.0.1:$MC3?prefix=tc:" \
SW_TEST_STOP="$PG_STOP" SW_TEST_START="$PG_START" \
    run_store_test "cache tier: PostgreSQL + memcached, PostgreSQL down" "$PG_URI"

# A short ttl so that copies are read again soon after memcached returns.
SW_TEST_CACHE="memcached://127.0.0.1:$MC3?prefix=tc2:&ttl=2" \
SW_TEST_CACHE_STOP=$(mc_stop_cmd 3) \
SW_TEST_CACHE_FREEZE="kill -STOP \$(cat $T/run/mc3.pid)" \
SW_TEST_CACHE_THAW="kill -CONT \$(cat $T/run/mc3.pid)" \
SW_TEST_CACHE_START="$(mc_cmd 3 "$MC3") && sleep 0.2" \
    run_store_test "cache tier: memcached down" "$PG_URI"
n=$(grep -c "cache unavailable" "$T/test_store.out")
[ "$n" = 1 ] || fail "cache outage logged $n times, expected once"

step "contrib/schema.sql matches the table sessionwrap created"
$PSQL -d postgres -c "CREATE DATABASE fromfile" || fail "createdb"
$PSQL -d fromfile -v ON_ERROR_STOP=1 -f "$top_srcdir/contrib/schema.sql" ||
    fail "contrib/schema.sql does not load"
$PSQL -d postgres -c '\d sessionwrap_sessions' > "$T/created.txt"
$PSQL -d fromfile -c '\d sessionwrap_sessions' > "$T/shipped.txt"
diff -u "$T/created.txt" "$T/shipped.txt" >&2 || fail "contrib/schema.sql differs from the created table"

pass
