#!/bin/sh
# The PostgreSQL table of sessionwrap 0.1 (timestamptz times) after an
# upgrade: sessionwrap keeps serving it as it is (sessions made before and
# after, logout, expiry by gc), sessionwrap-ctl init-db then converts its
# times to integer Unix seconds in place, the same sessions go on, and a
# second init-db has nothing to do. A fresh table has integer times and
# gc_at. So does, after init-db, a table made before gc_at (integer times,
# expires_at indexed), which sessionwrap serves as it is until then.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/integration/store_servers.sh"

sw_setup
need_cmd lighttpd curl python3
need_sessionwrap
stores_init
pg_setup
docroot_setup
sw_secret
JAR=$T/jar

# col_type COLUMN: its type in the database given ($PSQL -d DB).
col_type() {
	$PSQL -d "$1" -At -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
	    WHERE attrelid = 'sessionwrap_sessions'::regclass AND attname = '$2'"
}

step "a fresh table has integer times"
$PSQL -c "CREATE DATABASE fresh" || fail "CREATE DATABASE fresh"
"$SESSIONWRAP_CTL" --store="$(echo "$PG_URI" | sed 's/dbname=postgres/dbname=fresh/')" \
    --secret_file="$T/secret" init-db >/dev/null || fail "init-db on an empty database"
[ "$(col_type fresh expires_at)" = bigint ] || fail "fresh table: expires_at is $(col_type fresh expires_at)"
[ "$(col_type fresh gc_at)" = bigint ] || fail "fresh table: gc_at is '$(col_type fresh gc_at)'"

# indexes DB: the table's index names, one line.
indexes() {
	$PSQL -d "$1" -At -c "SELECT string_agg(indexname, ' ' ORDER BY indexname)
	    FROM pg_indexes WHERE tablename = 'sessionwrap_sessions'"
}
NEW_INDEXES="sessionwrap_sessions_gc_idx sessionwrap_sessions_pkey sessionwrap_sessions_public_id_idx sessionwrap_sessions_username_idx"
[ "$(indexes fresh)" = "$NEW_INDEXES" ] || fail "fresh table: indexes $(indexes fresh)"

# old_table DB TYPE: the table as made before gc_at, its times of TYPE
# (timestamptz in 0.1, bigint later).
old_table() {
	$PSQL -d "$1" -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE sessionwrap_sessions (
	key text PRIMARY KEY, public_id text NOT NULL,
	data jsonb NOT NULL DEFAULT '{}', username text, ws_id text,
	created_at $2 NOT NULL, access_at $2 NOT NULL,
	max_age bigint NOT NULL DEFAULT 0, expires_at $2 NOT NULL,
	doomed boolean NOT NULL DEFAULT false, version bigint NOT NULL DEFAULT 1);
CREATE INDEX sessionwrap_sessions_expires_idx ON sessionwrap_sessions (expires_at);
CREATE INDEX sessionwrap_sessions_username_idx ON sessionwrap_sessions (username)
	WHERE username IS NOT NULL;
CREATE INDEX sessionwrap_sessions_public_id_idx ON sessionwrap_sessions (public_id);
SQL
}

step "the table of 0.1 (timestamptz), with a session in it"
old_table postgres timestamptz || fail "0.1 schema"
sw_config store="$PG_URI"
sw_start
lighttpd_start
: > "$JAR"
web_counter
grep -q 'timestamptz times of sessionwrap 0.1' "$T/sessionwrap.log" ||
    fail "no hint to run init-db in the log"
[ "$(col_type postgres expires_at)" = "timestamp with time zone" ] ||
    fail "sessionwrap changed the 0.1 table by itself"
other=$T/jar2
JAR=$other
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: old-user')"
expect_status 200 "login on the 0.1 table"
JAR=$T/jar
step "gc on the 0.1 table"
$PSQL -c "UPDATE sessionwrap_sessions SET expires_at = now() - interval '1 hour' WHERE username = 'old-user'" ||
    fail "expiring a row by hand"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" gc > "$T/gc.out" || fail "gc on the 0.1 table"
grep -q '^1 ' "$T/gc.out" || fail "gc on the 0.1 table: $(cat "$T/gc.out")"

step "init-db converts it; the sessions go on"
sw_stop
"$SESSIONWRAP_CTL" -c "$T/sw.conf" init-db > "$T/init.out" 2>&1 || fail "init-db: $(cat "$T/init.out")"
[ "$(col_type postgres expires_at)" = bigint ] && [ "$(col_type postgres created_at)" = bigint ] &&
    [ "$(col_type postgres access_at)" = bigint ] || fail "init-db left $(col_type postgres expires_at) times"
[ "$(col_type postgres gc_at)" = bigint ] && [ "$(indexes postgres)" = "$NEW_INDEXES" ] ||
    fail "init-db on the 0.1 table: gc_at '$(col_type postgres gc_at)', indexes $(indexes postgres)"
sw_start
for n in 4 5; do
	req /cgi-bin/counter.sh
	expect_status 200 "counter after init-db"
	grep -q "^n=$n " "$T/out.b" || fail "after init-db: expected n=$n, got $(cat "$T/out.b")"
done
"$SESSIONWRAP_CTL" -c "$T/sw.conf" init-db >/dev/null || fail "a second init-db"
req "/cgi-bin/do.py?$(do_query 'X-Session-Logout: 1')"
req /cgi-bin/counter.sh
grep -q '^n=1 ' "$T/out.b" || fail "after the logout: $(cat "$T/out.b")"

step "a table of integer times without gc_at, with a session in it"
sw_stop
$PSQL -c "CREATE DATABASE prev" || fail "CREATE DATABASE prev"
old_table prev bigint || fail "the schema without gc_at"
: > "$T/sessionwrap.log"
sw_config store="$(echo "$PG_URI" | sed 's/dbname=postgres/dbname=prev/')"
sw_start
: > "$JAR"
web_counter
grep -q 'has no gc_at column; sessionwrap-ctl init-db adds it' "$T/sessionwrap.log" ||
    fail "no hint to run init-db in the log"
[ -z "$(col_type prev gc_at)" ] || fail "sessionwrap changed the table by itself"
JAR=$other
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: prev-user')"
expect_status 200 "login on the table without gc_at"
JAR=$T/jar
$PSQL -d prev -c "UPDATE sessionwrap_sessions SET expires_at = extract(epoch FROM now())::bigint - 3600
    WHERE username = 'prev-user'" || fail "expiring a row by hand"
JAR=$T/jar3
: > "$JAR"
req "/cgi-bin/do.py?$(do_query 'X-Session-Login: prev-user2')"
expect_status 200 "another login on the table without gc_at"
JAR=$T/jar
"$SESSIONWRAP_CTL" -c "$T/sw.conf" gc > "$T/gc.out" || fail "gc on the table without gc_at"
grep -q '^1 ' "$T/gc.out" || fail "gc on the table without gc_at: $(cat "$T/gc.out")"
$PSQL -d prev -c "UPDATE sessionwrap_sessions SET expires_at = extract(epoch FROM now())::bigint - 3600
    WHERE username = 'prev-user2'" || fail "expiring a row by hand"

step "init-db adds gc_at and its index in place; the sessions go on; gc finds the expired one"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" init-db > "$T/init.out" 2>&1 || fail "init-db: $(cat "$T/init.out")"
[ "$(col_type prev gc_at)" = bigint ] && [ "$(indexes prev)" = "$NEW_INDEXES" ] ||
    fail "init-db: gc_at '$(col_type prev gc_at)', indexes $(indexes prev)"
[ "$($PSQL -d prev -At -c "SELECT count(*) FROM sessionwrap_sessions WHERE gc_at <> expires_at")" = 0 ] ||
    fail "init-db: gc_at is not every row's expires_at"
# The process still running the statements without gc_at goes on serving.
req /cgi-bin/counter.sh
grep -q '^n=4 ' "$T/out.b" || fail "after init-db, before a restart: $(cat "$T/out.b")"
sw_stop
sw_start
req /cgi-bin/counter.sh
grep -q '^n=5 ' "$T/out.b" || fail "after init-db: expected n=5, got $(cat "$T/out.b")"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" gc > "$T/gc.out" || fail "gc after init-db"
grep -q '^1 ' "$T/gc.out" || fail "gc after init-db: $(cat "$T/gc.out")"
"$SESSIONWRAP_CTL" -c "$T/sw.conf" init-db >/dev/null || fail "a second init-db"
req /cgi-bin/counter.sh
grep -q '^n=6 ' "$T/out.b" || fail "after a second init-db: $(cat "$T/out.b")"
pass
