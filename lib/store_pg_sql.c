/* The SQL of the PostgreSQL store: its schema and prepared statements. */
#include "autoconf.h"

#include <stddef.h>

#include "store_pg_int.h"

/*
 * The schema, also shipped as contrib/schema.sql (tests compare the two).
 * Times are Unix seconds (bigint): the caller's clock decides expiry, and
 * no statement converts a time. A table made by sessionwrap 0.1 has
 * timestamptz columns: pg_sql_stmts_tz serve it until sessionwrap-ctl
 * init-db migrates it (pg_sql_migrate).
 */
const char pg_sql_schema[] =
"CREATE TABLE IF NOT EXISTS " PG_TABLE " (\n"
"\tkey\t\ttext PRIMARY KEY,\t\t-- keyed hash of the session id\n"
"\tpublic_id\ttext NOT NULL,\t\t-- SESSION_ID as the handler sees it\n"
"\tdata\t\tjsonb NOT NULL DEFAULT '{}',\n"
"\tusername\ttext,\n"
"\tws_id\t\ttext,\n"
"\tcreated_at\tbigint NOT NULL,\t\t-- Unix seconds, as are the others\n"
"\taccess_at\tbigint NOT NULL,\n"
"\tmax_age\t\tbigint NOT NULL DEFAULT 0,\t-- per-session idle timeout\n"
"\texpires_at\tbigint NOT NULL,\n"
"\tdoomed\t\tboolean NOT NULL DEFAULT false,\t-- replaced; readable until expires_at\n"
"\tversion\t\tbigint NOT NULL DEFAULT 1\n"
");\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_expires_idx ON " PG_TABLE " (expires_at);\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_username_idx ON " PG_TABLE " (username)\n"
"\tWHERE username IS NOT NULL;\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_public_id_idx ON " PG_TABLE " (public_id);\n"
PG_COUNTERS_SCHEMA;

/* A 0.1 table's times to Unix seconds, in place (init-db). */
const char pg_sql_migrate[] =
"ALTER TABLE " PG_TABLE
" ALTER COLUMN created_at TYPE bigint USING extract(epoch FROM created_at)::bigint,"
" ALTER COLUMN access_at TYPE bigint USING extract(epoch FROM access_at)::bigint,"
" ALTER COLUMN expires_at TYPE bigint USING ceil(extract(epoch FROM expires_at))::bigint;";

/*
 * Does the table exist, and does it still have 0.1's timestamptz times?
 * One row of two booleans (the second NULL without a table).
 */
const char pg_sql_exists[] =
"SELECT to_regclass('" PG_TABLE "') IS NOT NULL, (SELECT atttypid = "
"'timestamptz'::regtype FROM pg_attribute WHERE attrelid = "
"to_regclass('" PG_TABLE "') AND attname = 'expires_at')";

/*
 * Every statement, written once for both kinds of table: T(x) is a Unix
 * time parameter as the column's type, E(c) a time column as Unix seconds.
 */
#define PG_T_INT(x)	x
#define PG_E_INT(c)	c
#define PG_T_TZ(x)	"to_timestamp(" x ")"
#define PG_E_TZ(c)	"extract(epoch FROM " c ")::bigint"

#define PG_COLUMNS(E) \
	"data, username, ws_id, " E("created_at") ", " E("access_at") ", " \
	"max_age, version, " E("expires_at")

/* What a save returns: the new version and when the row ends. */
#define PG_RETURNING(E) \
	"RETURNING version, " E("expires_at")

/* The set clause shared by both updates: a doomed row never gets later expiry. */
#define PG_SET(T) \
	"data = $3::jsonb, username = $4, ws_id = $5, " \
	"created_at = " T("$6") ", access_at = " T("$7") ", " \
	"max_age = $8, expires_at = CASE WHEN " PG_TABLE ".doomed " \
	"THEN LEAST(" PG_TABLE ".expires_at, " T("$9") ") " \
	"ELSE " T("$9") " END, version = " PG_TABLE ".version + 1"

#define PG_INSERT(T) \
	"INSERT INTO " PG_TABLE " (key, public_id, data, username, ws_id, " \
	"created_at, access_at, max_age, expires_at) VALUES ($1, $2, " \
	"$3::jsonb, $4, $5, " T("$6") ", " T("$7") ", $8, " T("$9") ") "

#define PG_STMTS(T, E) { \
	[PG_LOAD] = { "sw_load", \
	    "SELECT " PG_COLUMNS(E) " FROM " PG_TABLE \
	    " WHERE key = $1 AND expires_at > " T("$2") }, \
	[PG_INSERT_NEW] = { "sw_insert", \
	    PG_INSERT(T) "ON CONFLICT (key) DO NOTHING " PG_RETURNING(E) }, \
	[PG_UPSERT] = { "sw_upsert", \
	    PG_INSERT(T) "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, " \
	    "public_id = EXCLUDED.public_id, " \
	    "username = EXCLUDED.username, ws_id = EXCLUDED.ws_id, " \
	    "created_at = EXCLUDED.created_at, access_at = EXCLUDED.access_at, " \
	    "max_age = EXCLUDED.max_age, expires_at = CASE WHEN " \
	    PG_TABLE ".doomed THEN LEAST(" PG_TABLE ".expires_at, " \
	    "EXCLUDED.expires_at) ELSE EXCLUDED.expires_at END, " \
	    "version = " PG_TABLE ".version + 1 " PG_RETURNING(E) }, \
	[PG_UPDATE] = { "sw_update", \
	    "UPDATE " PG_TABLE " SET " PG_SET(T) ", public_id = $11 WHERE " \
	    "key = $1 AND ($2::bigint IS NULL OR version = $2::bigint) AND " \
	    "expires_at > " T("$10") " " PG_RETURNING(E) }, \
	[PG_DELETE] = { "sw_delete", \
	    "DELETE FROM " PG_TABLE " WHERE key = $1" }, \
	[PG_DOOM] = { "sw_doom", \
	    "UPDATE " PG_TABLE " SET expires_at = LEAST(expires_at, " \
	    T("$2") "), doomed = true, version = version + 1 " \
	    "WHERE key = $1" }, \
	[PG_GC] = { "sw_gc", \
	    "DELETE FROM " PG_TABLE " WHERE expires_at <= " T("$1") }, \
	[PG_PURGE] = { "sw_purge", \
	    "DELETE FROM " PG_TABLE " WHERE key IN (SELECT key FROM " PG_TABLE \
	    " WHERE expires_at <= " T("$1") " LIMIT " PG_PURGE_BATCH \
	    " FOR UPDATE SKIP LOCKED)" }, \
	[PG_REVOKE] = { "sw_revoke", \
	    "DELETE FROM " PG_TABLE " WHERE username = $1 RETURNING key, ws_id" }, \
	[PG_SHOW] = { "sw_show", \
	    "SELECT " PG_COLUMNS(E) " FROM " PG_TABLE " WHERE (key = $1 OR " \
	    "public_id = $2) AND expires_at > " T("$3") " LIMIT 1" }, \
	[PG_LOCK] = { "sw_lock", \
	    "SELECT pg_advisory_lock($1::bigint)" }, \
	[PG_UNLOCK] = { "sw_unlock", \
	    "SELECT pg_advisory_unlock($1::bigint)" }, \
	[PG_COUNT] = { "sw_count", \
	    "SELECT count(*) FILTER (WHERE expires_at > " T("$1") "), " \
	    "count(*) FILTER (WHERE expires_at <= " T("$1") "), " \
	    "count(DISTINCT username) FILTER (WHERE expires_at > " \
	    T("$1") "), pg_total_relation_size('" PG_TABLE "') " \
	    "FROM " PG_TABLE }, \
	[PG_REKEY] = { "sw_rekey", \
	    "UPDATE " PG_TABLE " SET key = $2, public_id = $3 WHERE key = $1 " \
	    "AND expires_at > " T("$4") " RETURNING " PG_COLUMNS(E) }, \
	/* A user's sessions: sessionwrap-ctl sessions, revoke ID. */ \
	[PG_USER_LIST] = { "sw_user_list", \
	    "SELECT public_id FROM " PG_TABLE " WHERE username = $1 AND " \
	    "expires_at > " T("$2") " AND NOT doomed" }, \
	[PG_REVOKE_ONE] = { "sw_revoke_one", \
	    "DELETE FROM " PG_TABLE " WHERE key = $1 OR public_id = $2 " \
	    "RETURNING key, ws_id" }, \
}

const struct pg_sql_stmt pg_sql_stmts[PG_NSTMTS] = PG_STMTS(PG_T_INT, PG_E_INT);
const struct pg_sql_stmt pg_sql_stmts_tz[PG_NSTMTS] = PG_STMTS(PG_T_TZ, PG_E_TZ);
