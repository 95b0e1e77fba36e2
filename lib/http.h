/* HTTP status reason phrases, for the answers the programs make themselves. */
#ifndef SW_HTTP_H
#define SW_HTTP_H

/* Reason phrase of status ("Internal Server Error" for one not in the table). */
const char	*http_reason(int);

#endif
