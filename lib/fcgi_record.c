/* FastCGI records: the client's encoded, the application's decoded (fcgi_record.h). */
#include "autoconf.h"

#include <string.h>

#include "buf.h"
#include "fcgi_record.h"

#define FCGI_VERSION_1	1

/* Append one record header. */
static void
fcgi_header(struct buf *b, int type, int id, size_t len, size_t pad)
{
	unsigned char	 h[FCGI_HEADER_LEN];

	h[0] = FCGI_VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = (unsigned char)pad;
	h[7] = 0;
	buf_add(b, h, sizeof h);
}

/* Append records of a stream's bytes; see fcgi_record.h. */
void
fcgi_record_add(struct buf *b, int type, int id, const void *data, size_t len)
{
	static const char	 zero[8];
	const char		*p = data;
	size_t			 n, pad;

	do {
		n = len > FCGI_MAX_CONTENT ? FCGI_MAX_CONTENT : len;
		pad = (8 - n % 8) % 8;
		fcgi_header(b, type, id, n, pad);
		buf_add(b, p, n);
		buf_add(b, zero, pad);
		p += n;
		len -= n;
	} while (len > 0);
}

/* Append BEGIN_REQUEST; see fcgi_record.h. */
void
fcgi_begin_request(struct buf *b, int id, int role, int flags)
{
	unsigned char	 body[8];

	memset(body, 0, sizeof body);
	body[0] = (unsigned char)(role >> 8);
	body[1] = (unsigned char)role;
	body[2] = (unsigned char)flags;
	fcgi_record_add(b, FCGI_BEGIN_REQUEST, id, body, sizeof body);
}

/* Append ABORT_REQUEST; see fcgi_record.h. */
void
fcgi_abort_request(struct buf *b, int id)
{
	fcgi_header(b, FCGI_ABORT_REQUEST, id, 0, 0);
}

/* A name-value length: one byte below 128, else four with the top bit set. */
static void
fcgi_param_len(struct buf *b, size_t len)
{
	unsigned char	 l[4];

	if (len < 128) {
		l[0] = (unsigned char)len;
		buf_add(b, l, 1);
		return;
	}
	l[0] = (unsigned char)((len >> 24) | 0x80);
	l[1] = (unsigned char)(len >> 16);
	l[2] = (unsigned char)(len >> 8);
	l[3] = (unsigned char)len;
	buf_add(b, l, 4);
}

/* Append one name-value pair; see fcgi_record.h. */
void
fcgi_param_add(struct buf *b, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	fcgi_param_len(b, nlen);
	fcgi_param_len(b, vlen);
	buf_add(b, name, nlen);
	buf_add(b, value, vlen);
}

/* Append the PARAMS stream of an environment; see fcgi_record.h. */
void
fcgi_params_add(struct buf *b, int id, char *const *envp)
{
	struct buf	 body;
	const char	*eq;

	buf_init(&body);
	for (; *envp != NULL; envp++) {
		if ((eq = strchr(*envp, '=')) == NULL || eq == *envp)
			continue;
		fcgi_param_add(&body, *envp, eq - *envp, eq + 1,
		    strlen(eq + 1));
	}
	if (body.len > 0)
		fcgi_record_add(b, FCGI_PARAMS, id, body.data, body.len);
	fcgi_record_add(b, FCGI_PARAMS, id, NULL, 0);
	buf_free(&body);
}

/* Start decoding the records of request id. */
void
fcgi_decoder_init(struct fcgi_decoder *d, int id)
{
	memset(d, 0, sizeof *d);
	d->id = id;
}

/* True between records; see fcgi_record.h. */
int
fcgi_decoder_idle(const struct fcgi_decoder *d)
{
	return !d->in_record && d->hlen == 0;
}

/* A broken stream: the decoder is done. */
static size_t
fcgi_fail(struct fcgi_decoder *d, struct fcgi_event *ev, const char *why,
    size_t taken)
{
	ev->type = FCGI_EV_ERROR;
	ev->error = why;
	d->done = 1;
	return taken;
}

/* A complete header: check it and set up the record's content. 0 or -1. */
static int
fcgi_header_done(struct fcgi_decoder *d, const char **why)
{
	const unsigned char	*h = d->hdr;

	d->hlen = 0;
	if (h[0] != FCGI_VERSION_1) {
		*why = "record of an unknown FastCGI version";
		return -1;
	}
	d->type = h[1];
	d->mine = ((h[2] << 8) | h[3]) == d->id;
	d->content = (size_t)(h[4] << 8) | h[5];
	d->padding = h[6];
	d->elen = 0;
	d->in_record = 1;
	if (d->mine && d->type == FCGI_END_REQUEST && d->content != 8) {
		*why = "END_REQUEST body not 8 bytes";
		return -1;
	}
	return 0;
}

/* The END_REQUEST body is complete: report it. */
static void
fcgi_end_done(struct fcgi_decoder *d, struct fcgi_event *ev)
{
	const unsigned char	*e = d->end;

	ev->type = FCGI_EV_END;
	ev->app_status = ((unsigned long)e[0] << 24) |
	    ((unsigned long)e[1] << 16) | ((unsigned long)e[2] << 8) | e[3];
	ev->protocol_status = e[4];
	d->done = 1;
}

/* Take content bytes of the current record; how many. */
static size_t
fcgi_content(struct fcgi_decoder *d, const char *buf, size_t len,
    struct fcgi_event *ev)
{
	size_t	 n = len < d->content ? len : d->content;

	d->content -= n;
	if (!d->mine || n == 0)
		return n;
	switch (d->type) {
	case FCGI_STDOUT:
	case FCGI_STDERR:
		ev->type = d->type == FCGI_STDOUT ? FCGI_EV_STDOUT :
		    FCGI_EV_STDERR;
		ev->data = buf;
		ev->len = n;
		break;
	case FCGI_END_REQUEST:
		memcpy(d->end + d->elen, buf, n);
		d->elen += n;
		break;
	default:
		/* Unknown or a client's type: skipped. */
		break;
	}
	return n;
}

/* Decode the application's bytes; see fcgi_record.h. */
size_t
fcgi_decode(struct fcgi_decoder *d, const char *buf, size_t len,
    struct fcgi_event *ev)
{
	const char	*why;
	size_t		 off = 0, n;

	memset(ev, 0, sizeof *ev);
	if (d->done)
		return 0;
	while (off < len) {
		if (!d->in_record) {
			n = FCGI_HEADER_LEN - d->hlen;
			if (n > len - off)
				n = len - off;
			memcpy(d->hdr + d->hlen, buf + off, n);
			d->hlen += n;
			off += n;
			if (d->hlen < FCGI_HEADER_LEN)
				break;
			if (fcgi_header_done(d, &why) == -1)
				return fcgi_fail(d, ev, why, off);
		} else if (d->content > 0) {
			off += fcgi_content(d, buf + off, len - off, ev);
		} else {
			n = len - off < d->padding ? len - off : d->padding;
			d->padding -= n;
			off += n;
		}
		if (d->in_record && d->content == 0 && d->padding == 0) {
			d->in_record = 0;
			if (d->mine && d->type == FCGI_END_REQUEST) {
				fcgi_end_done(d, ev);
				return off;
			}
		}
		if (ev->type != FCGI_EV_NONE)
			return off;
	}
	return off;
}
