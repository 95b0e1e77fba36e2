-- sessionwrap: PostgreSQL session store schema.
-- sessionwrap creates it on first use; run this (or sessionwrap-ctl init-db)
-- when the database role sessionwrap uses may not create tables.
-- A table made by sessionwrap 0.1 (timestamptz times) keeps working;
-- sessionwrap-ctl init-db converts its times to these integers in place,
-- and adds gc_at (with its index, in place of the one on expires_at) to a
-- table made before it.
-- Keep in sync with pg_schema in lib/store_pg.c (tests/integration/stores.sh compares).

CREATE TABLE IF NOT EXISTS sessionwrap_sessions (
	key		text PRIMARY KEY,		-- keyed hash of the session id
	public_id	text NOT NULL,		-- SESSION_ID as the handler sees it
	data		jsonb NOT NULL DEFAULT '{}',
	username	text,
	ws_id		text,
	created_at	bigint NOT NULL,		-- Unix seconds, as are the others
	access_at	bigint NOT NULL,
	max_age		bigint NOT NULL DEFAULT 0,	-- per-session idle timeout
	expires_at	bigint NOT NULL,
	gc_at		bigint NOT NULL DEFAULT 0,	-- at most expires_at; indexed for gc
	doomed		boolean NOT NULL DEFAULT false,	-- replaced; readable until expires_at
	version		bigint NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS sessionwrap_sessions_gc_idx ON sessionwrap_sessions (gc_at);
CREATE INDEX IF NOT EXISTS sessionwrap_sessions_username_idx ON sessionwrap_sessions (username)
	WHERE username IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessionwrap_sessions_public_id_idx ON sessionwrap_sessions (public_id);
CREATE TABLE IF NOT EXISTS sessionwrap_login_counters (
	key		text PRIMARY KEY,		-- hash of a user name or client address
	count		integer NOT NULL,		-- failed logins
	expires_at	timestamptz NOT NULL
);
