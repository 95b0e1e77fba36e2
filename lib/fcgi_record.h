/*
 * The FastCGI record layer of the client side (sessionwrap in front of a
 * FastCGI application): the records a web server sends, encoded into a
 * buffer, and a decoder of the application's records that takes its bytes
 * split anywhere.
 */
#ifndef SW_FCGI_RECORD_H
#define SW_FCGI_RECORD_H

#include <stddef.h>

struct buf;

#define FCGI_HEADER_LEN		8
#define FCGI_MAX_CONTENT	65535	/* contentLength is 16 bits */

/* Record types (FastCGI 1.0, section 8). */
#define FCGI_BEGIN_REQUEST	1
#define FCGI_ABORT_REQUEST	2
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_DATA		8
#define FCGI_GET_VALUES		9
#define FCGI_GET_VALUES_RESULT	10
#define FCGI_UNKNOWN_TYPE	11

#define FCGI_RESPONDER		1	/* role */
#define FCGI_KEEP_CONN		1	/* BEGIN_REQUEST flag */

/* END_REQUEST protocolStatus values. */
#define FCGI_REQUEST_COMPLETE	0
#define FCGI_CANT_MPX_CONN	1
#define FCGI_OVERLOADED		2
#define FCGI_UNKNOWN_ROLE	3

/*
 * Append records of type for request id carrying len bytes: as many as
 * FCGI_MAX_CONTENT needs, each padded to a multiple of 8; len 0 appends
 * the one empty record that ends a stream.
 */
void	 fcgi_record_add(struct buf *, int, int, const void *, size_t);
/* Append BEGIN_REQUEST for id with role and flags. */
void	 fcgi_begin_request(struct buf *, int, int, int);
/* Append ABORT_REQUEST for id. */
void	 fcgi_abort_request(struct buf *, int);
/* Append one name-value pair (1- or 4-byte lengths) to a PARAMS body. */
void	 fcgi_param_add(struct buf *, const char *, size_t, const char *,
	    size_t);
/*
 * Append the PARAMS stream for id: every "NAME=value" of the
 * NULL-terminated envp (entries without '=' skipped), then its end.
 */
void	 fcgi_params_add(struct buf *, int, char *const *);

/* What fcgi_decode found. */
enum fcgi_event_type {
	FCGI_EV_NONE = 0,	/* all input taken, nothing to report */
	FCGI_EV_STDOUT,		/* data, len: response bytes */
	FCGI_EV_STDERR,		/* data, len: diagnostics */
	FCGI_EV_END,		/* END_REQUEST: app_status, protocol_status */
	FCGI_EV_ERROR		/* a broken stream: error says why */
};

struct fcgi_event {
	enum fcgi_event_type	 type;
	const char		*data;		/* into the input buffer */
	size_t			 len;
	unsigned long		 app_status;
	int			 protocol_status;
	const char		*error;
};

/* The decoder's state between calls; see fcgi_decode. */
struct fcgi_decoder {
	int		 id;		/* the request whose records count */
	int		 done;		/* END_REQUEST or an error was reported */
	unsigned char	 hdr[FCGI_HEADER_LEN];
	size_t		 hlen;		/* header bytes collected */
	int		 type;		/* of the record being read */
	int		 mine;		/* it belongs to id */
	size_t		 content;	/* content bytes still to come */
	size_t		 padding;	/* then padding bytes */
	unsigned char	 end[8];	/* the END_REQUEST body so far */
	size_t		 elen;
	int		 in_record;	/* between a header and its last byte */
};

void	 fcgi_decoder_init(struct fcgi_decoder *, int);
/*
 * Decode the application's bytes for the decoder's request. Takes bytes
 * until the first event (STDOUT or STDERR data point into buf) and returns
 * how many it took; FCGI_EV_NONE when it took them all with nothing to
 * report. Records of other requests (management records among them) and of
 * unknown or client-side types are skipped. After END or ERROR the decoder
 * takes nothing more (0, FCGI_EV_NONE): what follows is not this request's.
 */
size_t	 fcgi_decode(struct fcgi_decoder *, const char *, size_t,
	    struct fcgi_event *);
/* True when the decoder stands between records (the stream may end here). */
int	 fcgi_decoder_idle(const struct fcgi_decoder *);

#endif
