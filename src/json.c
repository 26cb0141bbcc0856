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
#include "utf8.h"

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
		/* utf8_next stops at the NUL: it is no continuation byte. */
		if ((n = utf8_next(p, 4, NULL)) > 0) {
			fwrite(p, 1, n, fp);
			p += n;
		} else
			fprintf(fp, "\\u%04x", *p++);
	}
	putc('"', fp);
}
