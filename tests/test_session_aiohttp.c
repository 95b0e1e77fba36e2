/* Unit tests for lib/session_aiohttp.c: aiohttp-session's JSON both ways. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/config.h"
#include "../lib/session.h"
#include "../lib/session_aiohttp.h"
#include "../lib/xmalloc.h"
#include "../tests/test.h"

int
main(void)
{
	return test_done("session_aiohttp");
}
