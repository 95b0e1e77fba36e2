/* Unit tests for lib/buf.c. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test.h"

int
main(void)
{
	struct buf	 b;
	char		*s;
	int		 i;

	buf_init(&b);
	CHECK(b.len == 0);
	buf_adds(&b, "hello");
	buf_addc(&b, ' ');
	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.data, "hello 42-x");
	CHECK(b.len == 10);
	buf_consume(&b, 6);
	CHECK_STR(b.data, "42-x");
	buf_consume(&b, 100);
	CHECK(b.len == 0);
	CHECK_STR(b.data, "");
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'a' + i % 26);
	CHECK(b.len == 100000);
	CHECK(b.data[99999] == 'a' + 99999 % 26);
	CHECK(b.data[100000] == '\0');
	buf_reset(&b);
	CHECK(b.len == 0);
	buf_add(&b, "a\0b", 3);
	CHECK(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0);
	s = buf_steal(&b);
	CHECK(b.data == NULL && b.len == 0);
	free(s);
	s = buf_steal(&b);
	CHECK_STR(s, "");
	free(s);
	buf_free(&b);
	return test_done("test_buf");
}
