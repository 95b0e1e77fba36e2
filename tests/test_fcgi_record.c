/*
 * lib/fcgi_record.c: the records sent to an application, byte for byte,
 * and the decoder over tables of application output, each fed whole, split
 * at every byte and one byte at a time, with the same transcript.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fcgi_record.h"
#include "test.h"

/* "name" written as its bytes, the length given (sizeof - 1 of a literal). */
#define BYTES(s)	s, sizeof s - 1

/* An END_REQUEST record of request 1 with app and protocol status. */
#define END1(app, proto) "\1\3\0\1\0\10\0\0" "\0\0\0" app proto "\0\0\0"

struct decode_case {
	const char	*in;
	size_t		 len;
	const char	*want;	/* the transcript */
};

/*
 * The application's side: O(...) stdout, E(...) stderr, END(app,proto),
 * ERR(why), and "|cut" when the input stops inside a record.
 */
static const struct decode_case decode_cases[] = {
	/* A response, padded, then END_REQUEST. */
	{ BYTES("\1\6\0\1\0\5\3\0hello\0\0\0" END1("\0", "\0")),
	    "O(hello)END(0,0)" },
	/* stderr between two stdout records; an empty stdout ends it. */
	{ BYTES("\1\6\0\1\0\2\0\0ab" "\1\7\0\1\0\3\5\0oops\0\0\0\0"
	    "\1\6\0\1\0\1\0\0c" "\1\6\0\1\0\0\0\0" END1("\0", "\0")),
	    "O(ab)E(oop)O(c)END(0,0)" },
	/* Every protocol status, and the app status. */
	{ BYTES(END1("\7", "\1")), "END(7,1)" },
	{ BYTES(END1("\0", "\2")), "END(0,2)" },
	{ BYTES(END1("\0", "\3")), "END(0,3)" },
	{ BYTES("\1\3\0\1\0\10\0\0" "\1\2\3\4\0\0\0\0"), "END(16909060,0)" },
	/* An unknown type and a management record (id 0) are skipped. */
	{ BYTES("\1\52\0\1\0\3\1\0xyz\0" "\1\12\0\0\0\2\0\0zz"
	    "\1\13\0\0\0\10\0\0\1\0\0\0\0\0\0\0" "\1\6\0\1\0\1\0\0k"
	    END1("\0", "\0")), "O(k)END(0,0)" },
	/* Another request's records, its END_REQUEST too, are not ours. */
	{ BYTES("\1\6\0\2\0\3\0\0bad" "\1\3\0\2\0\10\0\0\0\0\0\0\0\0\0\0"
	    "\1\6\0\1\0\2\0\0ok" END1("\0", "\0")), "O(ok)END(0,0)" },
	/* Client-side types sent back are skipped. */
	{ BYTES("\1\5\0\1\0\2\0\0in" "\1\4\0\1\0\0\0\0" END1("\0", "\0")),
	    "END(0,0)" },
	/* Bytes after END_REQUEST are left untaken. */
	{ BYTES(END1("\0", "\0") "\1\6\0\1\0\1\0\0x"), "END(0,0)+9" },
	/* A wrong version, an END_REQUEST of the wrong size. */
	{ BYTES("\2\6\0\1\0\1\0\0x"), "ERR(record of an unknown FastCGI "
	    "version)+1" },
	{ BYTES("\1\3\0\1\0\4\0\0\0\0\0\0"), "ERR(END_REQUEST body not 8 "
	    "bytes)+4" },
	{ BYTES("\1\3\0\1\1\0\0\0"), "ERR(END_REQUEST body not 8 bytes)" },
	/* The app closes mid-header, mid-content, mid-padding, mid-end. */
	{ BYTES("\1\6\0\1"), "|cut" },
	{ BYTES("\1\6\0\1\0\6\0\0abc"), "O(abc)|cut" },
	{ BYTES("\1\6\0\1\0\1\7\0x\0\0"), "O(x)|cut" },
	{ BYTES("\1\3\0\1\0\10\0\0\0\0"), "|cut" },
	/* The largest record claimed, then the close. */
	{ BYTES("\1\6\0\1\377\377\377\0zz"), "O(zz)|cut" },
	/* Nothing at all. */
	{ "", 0, "" },
};

/* Append an event to the transcript, joining data of the same kind. */
static void
transcript_add(struct buf *t, int *last, const struct fcgi_event *ev)
{
	char	 c;

	switch (ev->type) {
	case FCGI_EV_STDOUT:
	case FCGI_EV_STDERR:
		c = ev->type == FCGI_EV_STDOUT ? 'O' : 'E';
		if (*last == c)
			t->len--;		/* reopen the bracket */
		else
			buf_printf(t, "%c(", c);
		buf_add(t, ev->data, ev->len);
		buf_addc(t, ')');
		*last = c;
		return;
	case FCGI_EV_END:
		buf_printf(t, "END(%lu,%d)", ev->app_status,
		    ev->protocol_status);
		break;
	case FCGI_EV_ERROR:
		buf_printf(t, "ERR(%s)", ev->error);
		break;
	case FCGI_EV_NONE:
		return;
	}
	*last = 0;
}

/* Decode in pieces cut at the given offsets (ascending, the last its length). */
static char *
decode_pieces(const char *in, const size_t *cuts, size_t ncuts)
{
	struct fcgi_decoder	 d;
	struct fcgi_event	 ev;
	struct buf		 t;
	size_t			 i, start = 0, n, left = 0;
	int			 last = 0;

	fcgi_decoder_init(&d, 1);
	buf_init(&t);
	buf_adds(&t, "");
	for (i = 0; i < ncuts; i++) {
		while (start < cuts[i]) {
			n = fcgi_decode(&d, in + start, cuts[i] - start, &ev);
			transcript_add(&t, &last, &ev);
			if (n == 0 && ev.type == FCGI_EV_NONE)
				break;
			start += n;
		}
		if (start < cuts[i]) {
			left += cuts[i] - start;
			start = cuts[i];
		}
	}
	if (left > 0)
		buf_printf(&t, "+%zu", left);
	if (!d.done && !fcgi_decoder_idle(&d))
		buf_adds(&t, "|cut");
	return buf_steal(&t);
}

/* Every case whole, in two pieces at every byte, and byte by byte. */
static void
test_decode(void)
{
	size_t	 c, i, cuts[2], *bytes;
	char	*whole, *got;

	for (c = 0; c < sizeof decode_cases / sizeof decode_cases[0]; c++) {
		const struct decode_case *dc = &decode_cases[c];

		cuts[0] = dc->len;
		whole = decode_pieces(dc->in, cuts, 1);
		CHECK_STR(whole, dc->want);
		for (i = 0; i < dc->len; i++) {
			cuts[0] = i;
			cuts[1] = dc->len;
			got = decode_pieces(dc->in, cuts, 2);
			CHECK_STR(got, dc->want);
			free(got);
		}
		bytes = calloc(dc->len + 1, sizeof *bytes);
		for (i = 0; i < dc->len; i++)
			bytes[i] = i + 1;
		got = decode_pieces(dc->in, bytes, dc->len);
		CHECK_STR(got, dc->want);
		free(got);
		free(bytes);
		free(whole);
	}
}

/* The bytes of b as C escapes, for a readable failure. */
static char *
escape(const struct buf *b)
{
	struct buf	 e;
	size_t		 i;

	buf_init(&e);
	buf_adds(&e, "");
	for (i = 0; i < b->len; i++)
		buf_printf(&e, "\\%o", (unsigned char)b->data[i]);
	return buf_steal(&e);
}

/* Compare a buffer with the bytes expected. */
static void
check_bytes(const struct buf *b, const char *want, size_t len)
{
	struct buf	 w = { (char *)want, len, len };
	char		*got, *exp;

	got = escape(b);
	exp = escape(&w);
	CHECK_STR(got, exp);
	free(got);
	free(exp);
}

/* BEGIN_REQUEST, ABORT_REQUEST, streams and their padding, byte for byte. */
static void
test_encode_records(void)
{
	struct buf	 b;
	char		*big;

	buf_init(&b);
	fcgi_begin_request(&b, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	check_bytes(&b, BYTES("\1\1\0\1\0\10\0\0\0\1\1\0\0\0\0\0"));
	buf_reset(&b);
	fcgi_abort_request(&b, 258);
	check_bytes(&b, BYTES("\1\2\1\2\0\0\0\0"));
	buf_reset(&b);
	fcgi_record_add(&b, FCGI_STDIN, 1, "abc", 3);
	fcgi_record_add(&b, FCGI_STDIN, 1, "12345678", 8);
	fcgi_record_add(&b, FCGI_STDIN, 1, NULL, 0);
	check_bytes(&b, BYTES("\1\5\0\1\0\3\5\0abc\0\0\0\0\0"
	    "\1\5\0\1\0\10\0\0" "12345678" "\1\5\0\1\0\0\0\0"));

	/* Over 65535 bytes: two records, each padded. */
	buf_reset(&b);
	big = malloc(70000);
	memset(big, 'x', 70000);
	fcgi_record_add(&b, FCGI_STDIN, 1, big, 70000);
	CHECK(b.len == 8 + 65535 + 1 + 8 + 4465 + 7);
	CHECK(memcmp(b.data, "\1\5\0\1\377\377\1\0", 8) == 0);
	CHECK(memcmp(b.data + 8 + 65536, "\1\5\0\1\21\161\7\0", 8) == 0);
	free(big);
	buf_free(&b);
}

/* Name-value pairs: 1-byte lengths below 128, 4-byte from 128 on. */
static void
test_encode_params(void)
{
	struct buf	 b;
	char		 name[128], *value, *envp[4];

	buf_init(&b);
	fcgi_param_add(&b, "A", 1, "bc", 2);
	check_bytes(&b, BYTES("\1\2Abc"));
	buf_reset(&b);
	memset(name, 'N', sizeof name);
	fcgi_param_add(&b, name, 127, "", 0);
	CHECK(b.len == 2 + 127 && (unsigned char)b.data[0] == 127 &&
	    b.data[1] == 0);
	buf_reset(&b);
	fcgi_param_add(&b, name, 128, "v", 1);
	CHECK(b.len == 4 + 1 + 128 + 1);
	CHECK(memcmp(b.data, "\200\0\0\200\1", 5) == 0);
	buf_reset(&b);
	value = malloc(300000);
	memset(value, 'v', 300000);
	fcgi_param_add(&b, "S", 1, value, 300000);
	CHECK(memcmp(b.data, "\1\200\4\223\340S", 6) == 0);
	free(value);

	/* A whole PARAMS stream: the pairs, then the empty record. */
	buf_reset(&b);
	envp[0] = "QUERY_STRING=a=b";
	envp[1] = "NOEQUALS";
	envp[2] = "EMPTY=";
	envp[3] = NULL;
	fcgi_params_add(&b, 1, envp);
	check_bytes(&b, BYTES("\1\4\0\1\0\30\0\0"
	    "\14\3QUERY_STRINGa=b" "\5\0EMPTY"
	    "\1\4\0\1\0\0\0\0"));
	buf_reset(&b);
	envp[0] = NULL;
	fcgi_params_add(&b, 1, envp);
	check_bytes(&b, BYTES("\1\4\0\1\0\0\0\0"));
	buf_free(&b);
}

/* What the encoder writes for the app, the decoder reads back. */
static void
test_roundtrip(void)
{
	struct fcgi_decoder	 d;
	struct fcgi_event	 ev;
	struct buf		 b, out;
	char			*big;
	size_t			 off = 0, n;
	int			 ended = 0;

	buf_init(&b);
	buf_init(&out);
	big = malloc(200000);
	for (n = 0; n < 200000; n++)
		big[n] = (char)(n * 7);
	fcgi_record_add(&b, FCGI_STDOUT, 1, big, 200000);
	fcgi_record_add(&b, FCGI_STDOUT, 1, NULL, 0);
	buf_add(&b, END1("\0", "\0"), 16);
	fcgi_decoder_init(&d, 1);
	while (off < b.len) {
		n = fcgi_decode(&d, b.data + off, b.len - off, &ev);
		if (ev.type == FCGI_EV_STDOUT)
			buf_add(&out, ev.data, ev.len);
		if (ev.type == FCGI_EV_END)
			ended = 1;
		if (n == 0)
			break;
		off += n;
	}
	CHECK(ended && off == b.len);
	CHECK(out.len == 200000 && memcmp(out.data, big, 200000) == 0);
	free(big);
	buf_free(&b);
	buf_free(&out);
}

int
main(void)
{
	test_encode_records();
	test_encode_params();
	test_decode();
	test_roundtrip();
	return test_done("test_fcgi_record");
}
