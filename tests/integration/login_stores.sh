#!/bin/sh
# sessionwrap-login's failure counters in the server stores, shared across
# hosts: the throttle policy on memcached, PostgreSQL and Redis (tests/test_login
# with SW_TEST_COUNTER_STORE), then, for each store, two "hosts" (two
# lighttpd + sessionwrap pairs, each with its own login_throttle_file) whose
# failures add up: 3 on one and 2 on the other lock the user out on both,
# while another user still logs in.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/login_lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

TEST_LOGIN="$top_builddir/tests/test_login"
[ -x "$TEST_LOGIN" ] || fail "$TEST_LOGIN not built (make check builds it)"

sw_setup
need_cmd lighttpd curl memcached redis-server redis-cli
need_sessionwrap
stores_init
docroot_setup
login_users
login_install "$SCRIPT_ROOT"
sw_secret
MC_PORT=$(free_port)
mc_start 1 "$MC_PORT"
pg_setup
RD_PORT=$(free_port)
rd_start 1 "$RD_PORT"

# host NAME STORE: sessionwrap + lighttpd with its own throttle file;
# sets PORT_<NAME>.
host() {
	SW_CONF=$T/$1.conf
	SW_SOCK=$T/$1.sock
	sw_config "store=$2" "login_htpasswd=$HTPASSWD" \
	    "login_throttle_file=$T/state/throttle-$1" pass_env=SW_LOGIN_CONF
	sw_start --threads 2
	LIGHTTPD_EXTRA="server.modules += ( \"mod_setenv\" )
setenv.add-environment = ( \"SW_LOGIN_CONF\" => \"$SW_CONF\" )"
	lighttpd_start
	eval "PORT_$1=\$PORT"
}

# on PORT BODY: a login POST to that host (sets STATUS).
on() {
	BASE="http://127.0.0.1:$1"
	req_nojar /cgi-bin/login.cgi -H 'Content-Type: application/x-www-form-urlencoded' \
	    --data-binary "$2"
}

for store in "memcached://127.0.0.1:$MC_PORT" "$PG_URI" "redis://127.0.0.1:$RD_PORT"; do
	kind=${store%%:*}
	step "$kind: the throttle policy (test_login)"
	SW_TEST_COUNTER_STORE=$store "$TEST_LOGIN" > "$T/test_login.out" 2>&1 ||
	    fail "test_login on $kind: $(cat "$T/test_login.out")"

	step "$kind: failures on two hosts add up"
	host "a$kind" "$store"
	host "b$kind" "$store"
	eval "pa=\$PORT_a$kind pb=\$PORT_b$kind"
	for p in $pa $pa $pa $pb $pb; do
		on "$p" 'user=amy&password=bad'
		expect_status 401 "a failure of amy on port $p"
	done
	on "$pa" 'user=amy&password=amy-pw'
	expect_status 429 "amy on the first host after 3 + 2 failures"
	on "$pb" 'user=amy&password=amy-pw'
	expect_status 429 "amy on the second host"
	on "$pb" 'user=sam&password=sam%3Apw'
	expect_status 303 "another user on the second host"
	[ ! -s "$T/state/throttle-a$kind" ] && [ ! -s "$T/state/throttle-b$kind" ] ||
	    fail "$kind: the hosts counted in their files, not in the store"
	if [ "$kind" = postgresql ]; then
		$PSQL -d postgres -At -c 'SELECT count(*) FROM sessionwrap_login_counters' > "$T/rows" ||
		    fail "no sessionwrap_login_counters table"
		[ "$(cat "$T/rows")" -gt 0 ] || fail "no counter rows in PostgreSQL"
	fi
done

step "redis: every counter is a key with its 15-minute lifetime"
redis-cli -p "$RD_PORT" --scan --pattern 'sw:login:*' > "$T/keys"
[ -s "$T/keys" ] || fail "no counter keys in Redis"
while read -r k; do
	echo "$k" | grep -Eqx 'sw:login:[0-9a-f]{32}' || fail "redis: counter key $k"
	ttl=$(redis-cli -p "$RD_PORT" TTL "$k")
	[ "$ttl" -gt 0 ] && [ "$ttl" -le 900 ] || fail "redis: $k has TTL $ttl"
done < "$T/keys"
pass
