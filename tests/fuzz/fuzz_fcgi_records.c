/*
 * An application's FastCGI records: fcgi_decode over the input whole and
 * over the same bytes cut into pieces (the first byte seeds the cuts). Both
 * must report the same stdout, stderr and ending, take no byte past the
 * end, point data into the input, and take nothing once done.
 */
#include "autoconf.h"

#include "buf.h"
#include "fcgi_record.h"
#include "fuzz.h"

/* What a decode reported: the two streams and how it ended. */
struct fuzz_result {
	struct buf	 out, err;
	int		 ended;		/* 1 END, 2 ERROR, 0 neither */
	unsigned long	 app_status;
	int		 protocol_status;
	size_t		 left;		/* bytes not taken */
};

/* Decode [p, p + len) into r, checking the decoder's promises. */
static void
fuzz_piece(struct fcgi_decoder *d, const char *p, size_t len,
    struct fuzz_result *r)
{
	struct fcgi_event	 ev;
	size_t			 n;

	while (len > 0) {
		n = fcgi_decode(d, p, len, &ev);
		FUZZ_ASSERT(n <= len);
		switch (ev.type) {
		case FCGI_EV_STDOUT:
		case FCGI_EV_STDERR:
			FUZZ_ASSERT(ev.len > 0 && ev.data >= p &&
			    ev.data + ev.len <= p + n);
			buf_add(ev.type == FCGI_EV_STDOUT ? &r->out : &r->err,
			    ev.data, ev.len);
			break;
		case FCGI_EV_END:
			FUZZ_ASSERT(!r->ended && d->done);
			r->ended = 1;
			r->app_status = ev.app_status;
			r->protocol_status = ev.protocol_status;
			FUZZ_ASSERT(ev.protocol_status >= 0 &&
			    ev.protocol_status <= 255);
			break;
		case FCGI_EV_ERROR:
			FUZZ_ASSERT(!r->ended && d->done && ev.error != NULL);
			r->ended = 2;
			break;
		case FCGI_EV_NONE:
			FUZZ_ASSERT(n == len || (n == 0 && d->done));
			break;
		}
		if (n == 0) {
			FUZZ_ASSERT(d->done);
			r->left += len;
			return;
		}
		p += n;
		len -= n;
	}
}

/* Decode the bytes with cuts every step bytes (0: whole). */
static void
fuzz_decode(const char *p, size_t len, size_t step, struct fuzz_result *r)
{
	struct fcgi_decoder	 d;
	size_t			 off, n;

	memset(r, 0, sizeof *r);
	buf_init(&r->out);
	buf_init(&r->err);
	fcgi_decoder_init(&d, 1);
	for (off = 0; off < len; off += n) {
		n = step == 0 || step > len - off ? len - off : step;
		fuzz_piece(&d, p + off, n, r);
	}
	if (r->ended == 0)
		FUZZ_ASSERT(!d.done);
}

FUZZ_INIT_QUIET

/* One application stream per input; see above. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_result	 whole, cut;
	const char		*p = (const char *)data + 1;
	size_t			 step;

	if (size < 1)
		return 0;
	step = data[0] % 17 + 1;
	fuzz_decode(p, size - 1, 0, &whole);
	fuzz_decode(p, size - 1, step, &cut);
	FUZZ_ASSERT(whole.ended == cut.ended && whole.left == cut.left);
	FUZZ_ASSERT(whole.app_status == cut.app_status &&
	    whole.protocol_status == cut.protocol_status);
	FUZZ_ASSERT(whole.out.len == cut.out.len && (whole.out.len == 0 ||
	    memcmp(whole.out.data, cut.out.data, whole.out.len) == 0));
	FUZZ_ASSERT(whole.err.len == cut.err.len && (whole.err.len == 0 ||
	    memcmp(whole.err.data, cut.err.data, whole.err.len) == 0));
	buf_free(&whole.out);
	buf_free(&whole.err);
	buf_free(&cut.out);
	buf_free(&cut.err);
	return 0;
}
