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

#include "buf.h"
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

/* utf8_clean, one code point at a time: what the run copy must equal. */
static void
clean_reference(const unsigned char *u, size_t n, struct buf *out)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_next(u + i, n - i, NULL);
		if (k == 1 && u[i] == '\r') {
			buf_putc(out, '\n');
			i += i + 1 < n && u[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		if (k == 0)
			buf_putc(out, '?');
		else if (k == 1 && u[i] != '\n' && u[i] != '\t' &&
		    (u[i] < 32 || u[i] == 127))
			buf_putc(out, ' ');
		else if (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
			buf_putc(out, ' ');
		else
			buf_append(out, u + i, k);
		i += k == 0 ? 1 : k;
	}
	buf_puts(out, "");
}

static void
test_clean_table(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", "" },
		{ "plain text\tline\n", "plain text\tline\n" },
		{ "a\r\nb\rc\n", "a\nb\nc\n" },
		{ "bell\a esc\x1b del\x7f", "bell  esc  del " },
		{ "C1 \xc2\x85 nbsp \xc2\xa0", "C1   nbsp \xc2\xa0" },
		{ "caff\xc3\xa8 \xe2\x82\xac", "caff\xc3\xa8 \xe2\x82\xac" },
		{ "bad \xff \xc3 cut", "bad ? ? cut" },
		{ "surrogate \xed\xa0\x80", "surrogate ???" },
		{ "trailing CR\r", "trailing CR\n" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b.len = 0;
		utf8_clean(t[i].in, strlen(t[i].in), &b);
		assert_string_equal(b.data, t[i].want);
		assert_int_equal(b.len, strlen(t[i].want));
	}
	buf_free(&b);
}

/* Pseudo-random text weighted to the edges (runs, CR, controls, UTF-8
 * lead and continuation bytes), checked against clean_reference. */
static void
test_clean_random(void **state)
{
	static const unsigned char pick[] = { 'a', ' ', '\t', '\n', '\r',
	    0x01, 0x7f, 0x80, 0x85, 0xa0, 0xbf, 0xc2, 0xc3, 0xe2, 0xed, 0xf0,
	    0xf4, 0xff };
	unsigned char s[64];
	struct buf a = BUF_INIT, b = BUF_INIT;
	uint32_t x = 2463534242u;
	size_t n, i;
	int round;

	(void)state;
	for (round = 0; round < 200000; round++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = x % sizeof(s);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			s[i] = pick[x % sizeof(pick)];
		}
		a.len = b.len = 0;
		utf8_clean((const char *)s, n, &a);
		clean_reference(s, n, &b);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len + 1);
	}
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_clean_table),
		cmocka_unit_test(test_clean_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
