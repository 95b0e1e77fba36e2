/* The harness itself: a test that ran no check fails, a passing one passes. */
#include "test.h"

/* Entry point. */
int
main(void)
{
	int	 none, one;

	none = test_done("harness without a check (must fail)");
	CHECK(1);
	one = test_done("harness with one passing check");

	test_checks = test_failures = 0;
	CHECK(none == 1);
	CHECK(one == 0);
	return test_done("harness");
}
