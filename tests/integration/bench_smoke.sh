#!/bin/sh
# The README's bench command runs (1 s per side) and prints its ratio line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd lighttpd fcgiwrap wrk curl python3 redis-server
need_sessionwrap
BUILD_DIR=$top_builddir sh "$top_srcdir/bench/fcgiwrap.sh" --duration 1 --rounds 2 --workers 2 --connections 4 --store all \
    > "$T/bench.out" 2>&1 </dev/null || { cat "$T/bench.out" >&2; fail "bench/fcgiwrap.sh failed"; }
cat "$T/bench.out" >&2
for st in cookie memcached redis postgresql; do
	grep -Eq "^sessionwrap $st/fcgiwrap = [0-9]+\.[0-9]{2}x( |$)" "$T/bench.out" ||
	    fail "bench output has no ratio line for the $st store"
done
pass
