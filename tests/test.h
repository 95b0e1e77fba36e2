/*
 * A tiny unit-test harness: CHECK records failures, test_done() sets the exit
 * code. A test that ran no check at all fails: it tested nothing.
 */
#ifndef SW_TEST_H
#define SW_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond) do {						\
	test_checks++;							\
	if (!(cond)) {							\
		test_failures++;					\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a_ = (a), *check_b_ = (b);			\
	test_checks++;							\
	if (check_a_ == NULL || check_b_ == NULL ?			\
	    check_a_ != check_b_ : strcmp(check_a_, check_b_) != 0) {	\
		test_failures++;					\
		fprintf(stderr, "%s:%d: \"%s\" != \"%s\" (%s)\n",	\
		    __FILE__, __LINE__, check_a_ ? check_a_ : "(null)",	\
		    check_b_ ? check_b_ : "(null)", #a);		\
	}								\
} while (0)

/* The exit status of a test: 1 when a check failed or none ran. */
static inline int
test_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
	if (test_checks == 0) {
		fprintf(stderr, "%s: no check ran: the test tested nothing\n",
		    name);
		return 1;
	}
	return test_failures ? 1 : 0;
}

#endif
