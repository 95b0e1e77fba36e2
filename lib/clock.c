/* The one monotonic clock: deadlines, back-off and timeouts all read it. */
#include "autoconf.h"

#include <time.h>

#include "clock.h"

/* Milliseconds on a clock that does not jump. */
long long
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
