/* The SQL of the PostgreSQL store: its schema and prepared statements. */
#include "autoconf.h"

#include <stddef.h>

#include "store_pg_int.h"

/*
 * The schema, also shipped as contrib/schema.sql (tests compare the two).
 * Times are Unix seconds (bigint): the caller's clock decides expiry, and
 * no statement converts a time. gc finds expired rows through gc_at, an
 * indexed lower bound of expires_at that a save moves only now and then
 * (PG_GC_SET), so most saves change no indexed column and PostgreSQL
 * updates the row in place (HOT). A table made by sessionwrap 0.1 has
 * timestamptz columns: pg_sql_stmts_tz serve it until sessionwrap-ctl
 * init-db migrates it (pg_sql_migrate); one made later but before gc_at:
 * pg_sql_stmts_nogc serve it until init-db adds it (pg_sql_migrate_gc).
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
"\tgc_at\t\tbigint NOT NULL DEFAULT 0,\t-- at most expires_at; indexed for gc\n"
"\tdoomed\t\tboolean NOT NULL DEFAULT false,\t-- replaced; readable until expires_at\n"
"\tversion\t\tbigint NOT NULL DEFAULT 1\n"
");\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_gc_idx ON " PG_TABLE " (gc_at);\n"
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
 * A table without gc_at gets it, in place (init-db): every row's bound is
 * its expires_at, and the index on expires_at gives way to one on gc_at.
 * The default keeps rows written meanwhile by a process still running the
 * statements without gc_at findable (0 is below every expiry).
 */
const char pg_sql_migrate_gc[] =
"ALTER TABLE " PG_TABLE " ADD COLUMN gc_at bigint NOT NULL DEFAULT 0;"
" UPDATE " PG_TABLE " SET gc_at = expires_at;"
" CREATE INDEX " PG_TABLE "_gc_idx ON " PG_TABLE " (gc_at);"
" DROP INDEX IF EXISTS " PG_TABLE "_expires_idx;";

/*
 * Does the table exist, does it still have 0.1's timestamptz times, has it
 * gc_at? One row of three booleans (without a table: false, NULL, false).
 */
const char pg_sql_exists[] =
"SELECT to_regclass('" PG_TABLE "') IS NOT NULL, (SELECT atttypid = "
"'timestamptz'::regtype FROM pg_attribute WHERE attrelid = "
"to_regclass('" PG_TABLE "') AND attname = 'expires_at'), (SELECT "
"count(*) > 0 FROM pg_attribute WHERE attrelid = to_regclass('" PG_TABLE
"') AND attname = 'gc_at' AND NOT attisdropped)";

/*
 * Every statement, written once for the three kinds of table: T(x) is a
 * Unix time parameter as the column's type, E(c) a time column as Unix
 * seconds; G is GC for a table with gc_at, NOGC for one without.
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

/* A save's expires_at, x the one asked for: a doomed row's never later. */
#define PG_EXP(x) \
	"CASE WHEN " PG_TABLE ".doomed THEN LEAST(" PG_TABLE ".expires_at, " \
	x ") ELSE " x " END"

/*
 * gc_at after a save asking for expiry x: a doomed row's goes no later than
 * x (nor does its expires_at); another's becomes x when x went below it or
 * past it by more than a quarter of the session's remaining life ($7 is
 * now), at most PG_GC_SLACK seconds; else it stays. So gc_at <= expires_at
 * always, and gc, which checks both, reads through the index only the
 * expired rows and those ending within the slack.
 */
#define PG_GC_SET(x) \
	", gc_at = CASE WHEN " PG_TABLE ".doomed THEN LEAST(" PG_TABLE \
	".gc_at, " x ") WHEN " x " < " PG_TABLE ".gc_at OR " x " - " \
	PG_TABLE ".gc_at > LEAST((" x " - $7::bigint) / 4, " PG_GC_SLACK ") " \
	"THEN " x " ELSE " PG_TABLE ".gc_at END"
#define PG_NOGC_SET(x)
#define PG_GC_COL	", gc_at"
#define PG_NOGC_COL
#define PG_GC_VAL	", $9"
#define PG_NOGC_VAL
#define PG_GC_DOOM	", gc_at = LEAST(gc_at, $2)"
#define PG_NOGC_DOOM
#define PG_GC_WHERE	"gc_at <= $1 AND "
#define PG_NOGC_WHERE
/* Pick one of the above for G. */
#define PG_G(G, what)	PG_##G##_##what

/* The set clause shared by both updates. */
#define PG_SET(T, G) \
	"data = $3::jsonb, username = $4, ws_id = $5, " \
	"created_at = " T("$6") ", access_at = " T("$7") ", " \
	"max_age = $8, expires_at = " PG_EXP(T("$9")) \
	PG_G(G, SET)(T("$9")) ", version = " PG_TABLE ".version + 1"

#define PG_INSERT(T, G) \
	"INSERT INTO " PG_TABLE " (key, public_id, data, username, ws_id, " \
	"created_at, access_at, max_age, expires_at" PG_G(G, COL) ") VALUES " \
	"($1, $2, $3::jsonb, $4, $5, " T("$6") ", " T("$7") ", $8, " T("$9") \
	PG_G(G, VAL) ") "

#define PG_STMTS(T, E, G) { \
	[PG_LOAD] = { "sw_load", \
	    "SELECT " PG_COLUMNS(E) " FROM " PG_TABLE \
	    " WHERE key = $1 AND expires_at > " T("$2") }, \
	[PG_INSERT_NEW] = { "sw_insert", \
	    PG_INSERT(T, G) "ON CONFLICT (key) DO NOTHING " PG_RETURNING(E) }, \
	[PG_UPSERT] = { "sw_upsert", \
	    PG_INSERT(T, G) "ON CONFLICT (key) DO UPDATE SET " \
	    "public_id = EXCLUDED.public_id, " PG_SET(T, G) " " \
	    PG_RETURNING(E) }, \
	[PG_UPDATE] = { "sw_update", \
	    "UPDATE " PG_TABLE " SET " PG_SET(T, G) ", public_id = $11 WHERE " \
	    "key = $1 AND ($2::bigint IS NULL OR version = $2::bigint) AND " \
	    "expires_at > " T("$10") " " PG_RETURNING(E) }, \
	[PG_DELETE] = { "sw_delete", \
	    "DELETE FROM " PG_TABLE " WHERE key = $1" }, \
	[PG_DOOM] = { "sw_doom", \
	    "UPDATE " PG_TABLE " SET expires_at = LEAST(expires_at, " \
	    T("$2") ")" PG_G(G, DOOM) ", doomed = true, version = version + 1 " \
	    "WHERE key = $1" }, \
	[PG_GC] = { "sw_gc", \
	    "DELETE FROM " PG_TABLE " WHERE " PG_G(G, WHERE) "expires_at <= " \
	    T("$1") }, \
	[PG_PURGE] = { "sw_purge", \
	    "DELETE FROM " PG_TABLE " WHERE key IN (SELECT key FROM " PG_TABLE \
	    " WHERE " PG_G(G, WHERE) "expires_at <= " T("$1") " LIMIT " \
	    PG_PURGE_BATCH \
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

const struct pg_sql_stmt pg_sql_stmts[PG_NSTMTS] =
    PG_STMTS(PG_T_INT, PG_E_INT, GC);
const struct pg_sql_stmt pg_sql_stmts_nogc[PG_NSTMTS] =
    PG_STMTS(PG_T_INT, PG_E_INT, NOGC);
const struct pg_sql_stmt pg_sql_stmts_tz[PG_NSTMTS] =
    PG_STMTS(PG_T_TZ, PG_E_TZ, NOGC);
