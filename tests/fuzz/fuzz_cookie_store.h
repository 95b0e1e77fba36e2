/*
 * What the cookie store targets share (fuzz_cookie_open, fuzz_fernet): a
 * cookie value loaded through the store keeps the store's promises, and
 * what it loaded saves and loads again unchanged.
 */
#ifndef SW_FUZZ_COOKIE_STORE_H
#define SW_FUZZ_COOKIE_STORE_H

#include "config.h"
#include "fuzz.h"
#include "session.h"
#include "store.h"

/*
 * Load a cookie value through the store at FUZZ_NOW; 1 when it gave a
 * session. That session is saved and loaded back; `more` (may be NULL)
 * checks the pair further (the reloaded one is NULL when it was too big).
 */
static inline int
fuzz_cookie_load(struct store *st, void *conn, const struct config *cfg,
    const char *cookie,
    void (*more)(const struct session *, const struct session *))
{
	struct session		*s = NULL, *t = NULL;
	enum store_result	 res;
	char			*value = NULL, *cause = NULL;

	res = st->ops->load(st, conn, cookie, FUZZ_NOW, &s, &cause);
	FUZZ_ASSERT(res == STORE_OK || res == STORE_NOTFOUND);
	FUZZ_ASSERT((res == STORE_OK) == (s != NULL));
	free(cause);
	cause = NULL;
	if (s == NULL)
		return 0;
	FUZZ_ASSERT(s->id != NULL && s->ws_id != NULL);
	FUZZ_ASSERT(json_is_object(s->data));
	FUZZ_ASSERT(!session_expired(s, cfg, FUZZ_NOW));
	switch (st->ops->save(st, conn, s, 1, FUZZ_NOW, &value, &cause)) {
	case STORE_OK:
		FUZZ_ASSERT(value != NULL);
		FUZZ_ASSERT(st->ops->load(st, conn, value, FUZZ_NOW, &t,
		    &cause) == STORE_OK);
		FUZZ_ASSERT(strcmp(t->id, s->id) == 0);
		FUZZ_ASSERT(json_equal(t->data, s->data));
		break;
	case STORE_TOOBIG:
		FUZZ_ASSERT(value == NULL);
		break;
	default:
		FUZZ_ASSERT(!"cookie store save failed");
	}
	if (more != NULL)
		more(s, t);
	session_free(t);
	session_free(s);
	free(value);
	free(cause);
	return 1;
}

#endif
