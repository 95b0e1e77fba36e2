/*
 * Shared pieces of the libFuzzer targets: the entry points' prototypes, a
 * fixed test keyring and helpers. Each target is one file with one
 * LLVMFuzzerTestOneInput; everything an iteration allocates is freed by it,
 * so LeakSanitizer reports a leak as a crash.
 */
#ifndef SW_FUZZ_H
#define SW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session.h"
#include "xmalloc.h"

/* Test keys only: current key first, then a retired one (rotation). */
#define FUZZ_SECRET_CURRENT \
	"8f3c1b6e0d2a4f5978c6b1e2d3a4958776a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1"
#define FUZZ_SECRET_OLD \
	"0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"

/* The time every target runs at; seeds' timestamps sit just before it. */
#define FUZZ_NOW	((time_t)1700000000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* A property the code under test promised does not hold: crash loudly. */
#define FUZZ_ASSERT(e) do {						\
	if (!(e)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #e);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of the input (bytes after an inner NUL are unseen). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s;

	s = xmalloc(size + 1);
	if (size != 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Keep expected warnings out of the fuzzer's output; errors still show. */
static inline void
fuzz_quiet(void)
{
	log_set_level(LOG_LVL_ERR);
}

/* The set-up of a target that needs nothing but fuzz_quiet. */
#define FUZZ_INIT_QUIET							\
int									\
LLVMFuzzerInitialize(int *argc, char ***argv)				\
{									\
	(void)argc;							\
	(void)argv;							\
	fuzz_quiet();							\
	return 0;							\
}

/* Two sessions a store loaded hold the same things (stored forms agree). */
static inline void
fuzz_session_same(const struct session *a, const struct session *b)
{
	FUZZ_ASSERT(strcmp(a->id, b->id) == 0);
	FUZZ_ASSERT(strcmp(a->ws_id, b->ws_id) == 0);
	FUZZ_ASSERT((a->user == NULL) == (b->user == NULL));
	if (a->user != NULL)
		FUZZ_ASSERT(strcmp(a->user, b->user) == 0);
	FUZZ_ASSERT(a->created == b->created && a->access == b->access);
	FUZZ_ASSERT(a->max_age == b->max_age);
	FUZZ_ASSERT(json_equal(a->data, b->data));
}

#endif
