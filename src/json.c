/*
 * json.c — JSON string literals for the CLI's --json output (RFC 8259).
 *
 * Owns nothing.  Any byte string yields valid JSON: '"' and '\' are
 * escaped, control characters become \uXXXX (or \n, \t, ...), valid UTF-8
 * passes through, and a byte that is not part of valid UTF-8 is written
 * as \u00XX (its Latin-1 reading), so a bad subject never breaks a parser.
 * Cannot fail (stdio errors show in ferror(fp)).
 */
#include <stdio.h>

#include "cmd.h"

/*
 * Length of the valid UTF-8 sequence at s (2..4), or 0 when s does not
 * start one (overlong forms, surrogates and code points past U+10FFFF
 * are invalid, RFC 3629).
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void
json_ascii(FILE *fp, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", fp);
		break;
	case '\\':
		fputs("\\\\", fp);
		break;
	case '\n':
		fputs("\\n", fp);
		break;
	case '\r':
		fputs("\\r", fp);
		break;
	case '\t':
		fputs("\\t", fp);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
}

void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n;

	putc('"', fp);
	while (*p != '\0') {
		if (*p < 0x80) {
			json_ascii(fp, *p++);
			continue;
		}
		/* utf8_len stops at the NUL: it is no continuation byte. */
		if ((n = utf8_len(p)) > 0) {
			fwrite(p, 1, n, fp);
			p += n;
		} else
			fprintf(fp, "\\u%04x", *p++);
	}
	putc('"', fp);
}
