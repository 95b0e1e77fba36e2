/* The SQL of the PostgreSQL store: its schema and prepared statements. */
#include "autoconf.h"

#include <stddef.h>

#include "store_pg_int.h"

/*
 * The schema, also shipped as contrib/schema.sql (tests compare the two).
 * Times are timestamptz for operators; the code passes Unix times through
 * to_timestamp() so the caller's clock decides expiry.
 */
const char pg_sql_schema[] =
"CREATE TABLE IF NOT EXISTS " PG_TABLE " (\n"
"\tkey\t\ttext PRIMARY KEY,\t\t-- keyed hash of the session id\n"
"\tpublic_id\ttext NOT NULL,\t\t-- SESSION_ID as the handler sees it\n"
"\tdata\t\tjsonb NOT NULL DEFAULT '{}',\n"
"\tusername\ttext,\n"
"\tws_id\t\ttext,\n"
"\tcreated_at\ttimestamptz NOT NULL,\n"
"\taccess_at\ttimestamptz NOT NULL,\n"
"\tmax_age\t\tbigint NOT NULL DEFAULT 0,\t-- per-session idle timeout\n"
"\texpires_at\ttimestamptz NOT NULL,\n"
"\tdoomed\t\tboolean NOT NULL DEFAULT false,\t-- replaced; readable until expires_at\n"
"\tversion\t\tbigint NOT NULL DEFAULT 1\n"
");\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_expires_idx ON " PG_TABLE " (expires_at);\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_username_idx ON " PG_TABLE " (username)\n"
"\tWHERE username IS NOT NULL;\n"
"CREATE INDEX IF NOT EXISTS " PG_TABLE "_public_id_idx ON " PG_TABLE " (public_id);\n"
PG_COUNTERS_SCHEMA;

#define PG_COLUMNS \
	"data, username, ws_id, extract(epoch FROM created_at)::bigint, " \
	"extract(epoch FROM access_at)::bigint, max_age, version, " \
	"extract(epoch FROM expires_at)::bigint"

/* What a save returns: the new version and when the row ends. */
#define PG_RETURNING \
	"RETURNING version, extract(epoch FROM expires_at)::bigint"

/* The set clause shared by both updates: a doomed row never gets later expiry. */
#define PG_SET \
	"data = $3::jsonb, username = $4, ws_id = $5, " \
	"created_at = to_timestamp($6), access_at = to_timestamp($7), " \
	"max_age = $8, expires_at = CASE WHEN " PG_TABLE ".doomed " \
	"THEN LEAST(" PG_TABLE ".expires_at, to_timestamp($9)) " \
	"ELSE to_timestamp($9) END, version = " PG_TABLE ".version + 1"

#define PG_INSERT \
	"INSERT INTO " PG_TABLE " (key, public_id, data, username, ws_id, " \
	"created_at, access_at, max_age, expires_at) VALUES ($1, $2, " \
	"$3::jsonb, $4, $5, to_timestamp($6), to_timestamp($7), $8, " \
	"to_timestamp($9)) "

const struct pg_sql_stmt pg_sql_stmts[PG_NSTMTS] = {
	[PG_LOAD] = { "sw_load",
	    "SELECT " PG_COLUMNS " FROM " PG_TABLE
	    " WHERE key = $1 AND expires_at > to_timestamp($2)" },
	[PG_INSERT_NEW] = { "sw_insert",
	    PG_INSERT "ON CONFLICT (key) DO NOTHING " PG_RETURNING },
	[PG_UPSERT] = { "sw_upsert",
	    PG_INSERT "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, "
	    "public_id = EXCLUDED.public_id, "
	    "username = EXCLUDED.username, ws_id = EXCLUDED.ws_id, "
	    "created_at = EXCLUDED.created_at, access_at = EXCLUDED.access_at, "
	    "max_age = EXCLUDED.max_age, expires_at = CASE WHEN "
	    PG_TABLE ".doomed THEN LEAST(" PG_TABLE ".expires_at, "
	    "EXCLUDED.expires_at) ELSE EXCLUDED.expires_at END, "
	    "version = " PG_TABLE ".version + 1 " PG_RETURNING },
	[PG_UPDATE] = { "sw_update",
	    "UPDATE " PG_TABLE " SET " PG_SET ", public_id = $11 WHERE key = $1 AND "
	    "($2::bigint IS NULL OR version = $2::bigint) AND "
	    "expires_at > to_timestamp($10) " PG_RETURNING },
	[PG_DELETE] = { "sw_delete",
	    "DELETE FROM " PG_TABLE " WHERE key = $1" },
	[PG_DOOM] = { "sw_doom",
	    "UPDATE " PG_TABLE " SET expires_at = LEAST(expires_at, "
	    "to_timestamp($2)), doomed = true, version = version + 1 "
	    "WHERE key = $1" },
	[PG_GC] = { "sw_gc",
	    "DELETE FROM " PG_TABLE " WHERE expires_at <= to_timestamp($1)" },
	[PG_PURGE] = { "sw_purge",
	    "DELETE FROM " PG_TABLE " WHERE key IN (SELECT key FROM " PG_TABLE
	    " WHERE expires_at <= to_timestamp($1) LIMIT " PG_PURGE_BATCH
	    " FOR UPDATE SKIP LOCKED)" },
	[PG_REVOKE] = { "sw_revoke",
	    "DELETE FROM " PG_TABLE " WHERE username = $1 RETURNING key, ws_id" },
	[PG_SHOW] = { "sw_show",
	    "SELECT " PG_COLUMNS " FROM " PG_TABLE " WHERE (key = $1 OR "
	    "public_id = $2) AND expires_at > to_timestamp($3) LIMIT 1" },
	[PG_LOCK] = { "sw_lock",
	    "SELECT pg_advisory_lock($1::bigint)" },
	[PG_UNLOCK] = { "sw_unlock",
	    "SELECT pg_advisory_unlock($1::bigint)" },
	[PG_COUNT] = { "sw_count",
	    "SELECT count(*) FILTER (WHERE expires_at > to_timestamp($1)), "
	    "count(*) FILTER (WHERE expires_at <= to_timestamp($1)), "
	    "count(DISTINCT username) FILTER (WHERE expires_at > "
	    "to_timestamp($1)), pg_total_relation_size('" PG_TABLE "') "
	    "FROM " PG_TABLE },
	[PG_REKEY] = { "sw_rekey",
	    "UPDATE " PG_TABLE " SET key = $2, public_id = $3 WHERE key = $1 "
	    "AND expires_at > to_timestamp($4) RETURNING " PG_COLUMNS },
	/* A user's sessions: sessionwrap-ctl sessions, revoke ID. */
	[PG_USER_LIST] = { "sw_user_list",
	    "SELECT public_id FROM " PG_TABLE " WHERE username = $1 AND "
	    "expires_at > to_timestamp($2) AND NOT doomed" },
	[PG_REVOKE_ONE] = { "sw_revoke_one",
	    "DELETE FROM " PG_TABLE " WHERE key = $1 OR public_id = $2 "
	    "RETURNING key, ws_id" },
};
