/*
 * The Redis store's stored form, as a server (or anyone who can write to
 * it) hands back the fields of a session's hash: rd_value_parse; and INFO
 * text, as sessionwrap-ctl stats reads it: rd_admin_info_get.
 * Input: two bytes, a mask of the fields present (v u i w n c a m d, low
 * bit first), then the present fields' bytes, each ended by 0xff (which no
 * JSON or number holds). A session it accepts must write as fields and
 * parse again to the same session; INFO values are printable and bounded.
 *
 * Depends on (reached by including the .c files): rd_value_parse,
 * rd_value_fields, rd_value_names, rd_admin_info_get.
 */
#include "autoconf.h"

#include "../../lib/store_redis_value.c"
#include "../../lib/store_redis_admin.c"

#include "fuzz.h"

FUZZ_INIT_QUIET

/* Write s as fields (with version and until) and parse them back. */
static void
fuzz_roundtrip(const struct session *s, uint64_t ver, time_t until)
{
	const char	*argv[20];
	size_t		 argvlen[20];
	struct rd_value	 v;
	struct session	*t;
	char		*data, num[3][24], vs[24], us[24], *cause = NULL;
	uint64_t	 ver2;
	time_t		 until2;
	int		 n, i, j;

	n = rd_value_fields(s, argv, argvlen, 0, &data, num);
	FUZZ_ASSERT(n >= 10);
	memset(&v, 0, sizeof v);
	snprintf(vs, sizeof vs, "%llu", (unsigned long long)ver);
	snprintf(us, sizeof us, "%lld", (long long)until);
	v.f[RD_F_VER] = vs;
	v.len[RD_F_VER] = strlen(vs);
	v.f[RD_F_UNTIL] = us;
	v.len[RD_F_UNTIL] = strlen(us);
	for (i = 0; i < n; i += 2) {
		for (j = 0; j < RD_NFIELDS; j++) {
			if (strcmp(argv[i], rd_value_names[j]) == 0)
				break;
		}
		/* Only the fields the hash is known by: never the secret id. */
		FUZZ_ASSERT(j < RD_NFIELDS && j != RD_F_VER && j != RD_F_UNTIL);
		v.f[j] = argv[i + 1];
		v.len[j] = argvlen[i + 1];
	}
	t = rd_value_parse(&v, xstrdup(s->id), &ver2, &until2, &cause);
	if (t == NULL)
		fprintf(stderr, "reload failed: %s\n", cause);
	FUZZ_ASSERT(t != NULL && ver2 == ver && until2 == until);
	fuzz_session_same(s, t);
	session_free(t);
	free(data);
}

/* INFO lines: every value found is printable, NUL-terminated, bounded. */
static void
fuzz_info(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"redis_version", "used_memory", "x", ""
	};
	char	 out[16];
	size_t	 i, k;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		memset(out, 'Z', sizeof out);
		if (rd_admin_info_get((const char *)data, size, names[i], out,
		    sizeof out) != 0)
			continue;
		for (k = 0; out[k] != '\0'; k++) {
			FUZZ_ASSERT(k < sizeof out - 1);
			FUZZ_ASSERT(out[k] > ' ' && out[k] <= '~');
		}
	}
}

/* One hash per input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd_value	 v;
	struct session	*s;
	const uint8_t	*p, *end = data + size, *e;
	unsigned int	 mask;
	uint64_t	 ver = 0;
	time_t		 until = 0;
	char		*cause = NULL;
	int		 i;

	fuzz_info(data, size);
	if (size < 2)
		return 0;
	mask = data[0] | (unsigned)data[1] << 8;
	memset(&v, 0, sizeof v);
	p = data + 2;
	for (i = 0; i < RD_NFIELDS; i++) {
		if (!(mask & (1U << i)))
			continue;
		if ((e = memchr(p, 0xff, end - p)) == NULL)
			e = end;
		v.f[i] = (const char *)p;
		v.len[i] = e - p;
		p = e < end ? e + 1 : end;
	}
	s = rd_value_parse(&v, xstrdup("fuzz-id"), &ver, &until, &cause);
	if (s == NULL) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		return 0;
	}
	FUZZ_ASSERT(cause == NULL);
	FUZZ_ASSERT(strcmp(s->id, "fuzz-id") == 0 && ver != 0);
	FUZZ_ASSERT(s->version == ver && until >= 0 && until <= SESSION_NEVER);
	FUZZ_ASSERT(json_is_object(s->data) && !s->is_new && !s->changed);
	FUZZ_ASSERT(v.f[RD_F_USER] != NULL || s->user == NULL);
	fuzz_roundtrip(s, ver, until);
	session_free(s);
	return 0;
}
