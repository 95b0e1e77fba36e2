/* Unit tests for lib/http.c: the reason phrases of the statuses we answer. */
#include "autoconf.h"

#include "http.h"
#include "../tests/test.h"

/* Every status in the table, and the fallback for one that is not. */
static void
test_reason(void)
{
	static const struct {
		int		 status;
		const char	*reason;
	} cases[] = {
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 0, "Internal Server Error" },
		{ 418, "Internal Server Error" },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(http_reason(cases[i].status), cases[i].reason);
}

int
main(void)
{
	test_reason();
	return test_done("http");
}
