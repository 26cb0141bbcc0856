/*
 * utf8.c — see utf8.h.  Owns nothing; cannot fail.
 */
#include "buf.h"
#include "utf8.h"

size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp != NULL)
			*cp = s[0];
		return 1;
	}
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || s[0] > 0xf4)
		return 0;
	c = s[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if (i >= n || (s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if (c < least[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp != NULL)
		*cp = c;
	return len;
}

/* Whether c is copied as it is: printable ASCII, TAB or LF. */
static int
ascii_plain(unsigned char c)
{
	return (c >= 32 && c < 127) || c == '\t' || c == '\n';
}

void
utf8_clean(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, k;

	buf_reserve(out, n);
	while (i < n) {
		for (run = i; run < n && ascii_plain(u[run]); run++)
			;
		if (run > i) {
			buf_append(out, s + i, run - i);
			i = run;
			continue;
		}
		k = utf8_next(u + i, n - i, NULL);
		if (k == 1 && u[i] == '\r') {
			buf_putc(out, '\n');
			i += i + 1 < n && u[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		if (k == 0)
			buf_putc(out, '?');
		else if (k == 1 || (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0))
			buf_putc(out, ' ');	/* C0, DEL or C1 control */
		else
			buf_append(out, s + i, k);
		i += k == 0 ? 1 : k;
	}
	buf_puts(out, "");
}
