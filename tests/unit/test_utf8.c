/*
 * test_utf8.c — utf8_next against RFC 3629's table of well-formed
 * sequences, every invalid form it names, and an exhaustive check of all
 * one-, two- and three-byte inputs against a straightforward decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static const struct {
	const char	*bytes;
	size_t		 n;
	size_t		 len;	/* 0: invalid */
	uint32_t	 cp;
} cases[] = {
	{ "A", 1, 1, 0x41 },
	{ "\x7f", 1, 1, 0x7f },
	{ "\xc2\x80", 2, 2, 0x80 },
	{ "\xdf\xbf", 2, 2, 0x7ff },
	{ "\xe0\xa0\x80", 3, 3, 0x800 },
	{ "\xe2\x82\xac", 3, 3, 0x20ac },		/* euro sign */
	{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
	{ "\xee\x80\x80", 3, 3, 0xe000 },
	{ "\xef\xbf\xbf", 3, 3, 0xffff },
	{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
	{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
	{ "\x80", 1, 0, 0 },				/* continuation */
	{ "\xbf", 1, 0, 0 },
	{ "\xc0\x80", 2, 0, 0 },			/* overlong NUL */
	{ "\xc1\xbf", 2, 0, 0 },
	{ "\xe0\x9f\xbf", 3, 0, 0 },			/* overlong */
	{ "\xed\xa0\x80", 3, 0, 0 },			/* surrogate */
	{ "\xed\xbf\xbf", 3, 0, 0 },
	{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },		/* overlong */
	{ "\xf4\x90\x80\x80", 4, 0, 0 },		/* past U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0, 0 },
	{ "\xff", 1, 0, 0 },
	{ "\xe2\x82", 2, 0, 0 },			/* cut short */
	{ "\xe2\x82\xac", 2, 0, 0 },			/* n says so */
	{ "\xe2\x28\xac", 3, 0, 0 },			/* not continued */
	{ "\xc3", 4, 0, 0 },				/* NUL stops it */
};

static void
test_table(void **state)
{
	uint32_t cp;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp = 0xdeadbeef;
		len = utf8_next((const unsigned char *)cases[i].bytes,
		    cases[i].n, &cp);
		if (len != cases[i].len)
			fail_msg("case %zu: length %zu, want %zu", i, len,
			    cases[i].len);
		if (len > 0 && cp != cases[i].cp)
			fail_msg("case %zu: U+%04X, want U+%04X", i,
			    (unsigned)cp, (unsigned)cases[i].cp);
		assert_int_equal(utf8_next((const unsigned char *)
		    cases[i].bytes, cases[i].n, NULL), len);
	}
	assert_int_equal(utf8_next((const unsigned char *)"A", 0, &cp), 0);
}

/* The decoder written the obvious way, for the exhaustive comparison. */
static size_t
reference(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, *cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, *cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, *cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && *cp < 0x80) || (len == 3 && *cp < 0x800) ||
	    (len == 4 && *cp < 0x10000) || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static void
test_exhaustive(void **state)
{
	unsigned char s[4] = { 0, 0, 0, 0 };
	uint32_t a, b;
	size_t got, want;
	unsigned long v;

	(void)state;
	for (v = 0; v < (1ul << 24); v++) {
		s[0] = (unsigned char)(v >> 16);
		s[1] = (unsigned char)(v >> 8);
		s[2] = (unsigned char)v;
		a = b = 0;
		got = utf8_next(s, 3, &a);
		want = reference(s, 3, &b);
		if (got != want || (got > 0 && a != b))
			fail_msg("%02x %02x %02x: %zu U+%04X, want %zu U+%04X",
			    s[0], s[1], s[2], got, (unsigned)a, want,
			    (unsigned)b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_exhaustive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
