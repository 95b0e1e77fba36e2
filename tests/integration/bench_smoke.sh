#!/bin/sh
# The README's bench command runs (1 s per side) and prints its ratio line,
# and CPU per request split into the responder's share and the store's, and
# for each store its target and the CPU that would reach it.
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
# resp LINE-START: the responder's CPU share on that line; store LINE-START.
share() { sed -n "s/^$1.*($2 \([0-9.]*\),.*/\1/p; s/^$1.*$2 \([0-9.]*\))\$/\1/p" "$T/bench.out"; }
for who in fcgiwrap "sessionwrap cookie" "sessionwrap redis"; do
	v=$(share "$who" responder)
	[ -n "$v" ] && [ "$v" != 0.00 ] || fail "$who: no responder CPU share ($v)"
done
for st in memcached redis postgresql; do
	v=$(share "sessionwrap $st" store)
	[ -n "$v" ] && [ "$v" != 0.00 ] || fail "$st: no store server CPU share ($v)"
done
[ "$(share "sessionwrap cookie" store)" = 0.00 ] || fail "the cookie store has a server"
for st in cookie memcached redis postgresql; do
	grep -Eq "^target $st >= [0-9.]+x: (met|MISSED); sessionwrap \+ store server [0-9.]+ ms CPU/request, -?[0-9.]+ ms would reach it$" \
	    "$T/bench.out" || fail "bench output has no target line for the $st store"
done
pass
