/* The reason phrases of the HTTP statuses sessionwrap and its helper answer. */
#include "autoconf.h"

#include <stddef.h>

#include "http.h"

/* Reason phrase of status, from one table; a status not in it is a 500. */
const char *
http_reason(int status)
{
	static const struct {
		int		 status;
		const char	*reason;
	} reasons[] = {
		{ 200, "OK" },
		{ 303, "See Other" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	size_t	 i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		if (reasons[i].status == status)
			return reasons[i].reason;
	}
	return "Internal Server Error";
}
