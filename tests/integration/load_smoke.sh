#!/bin/sh
# bench/load.sh as a smoke test: every store and lock mode through lighttpd,
# 200 connections over 50 sessions for 5 s each (after a 3 s warm-up): zero
# 5xx, zero lost updates, sessionwrap's fds (and, without ASan, RSS) steady.
: "${SW_TEST_TIMEOUT:=600}"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd wrk curl python3 memcached
need_sessionwrap
BUILD_DIR=$top_builddir sh "$top_srcdir/bench/load.sh" --duration "${SW_LOAD_DURATION:-5}" \
    > "$T/load.out" 2>&1 </dev/null
rc=$?
cat "$T/load.out" >&2
[ "$rc" = 0 ] || fail "bench/load.sh failed"
pass
