/*
 * fuzz_archive.c — libFuzzer target: what the archive reads of a stored
 * message (msg_parts_each, msg_author_name, msg_parent) and how it
 * writes it (mboxrd, HTML escaping).  The mboxrd copy must end with a
 * LF and hold no unquoted "From " line; escaped text must hold no '<',
 * '>', '"' or '\'' and no control characters but LF and TAB.
 *
 * Build: `make build/fuzz/fuzz_archive` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "msg.h"
#include "msg_parts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
part(const struct msg_part *mp, void *arg)
{
	struct buf *b = arg;

	if (mp->filename != NULL)
		archive_escape(mp->filename, strlen(mp->filename), b);
	archive_escape(mp->type, strlen(mp->type), b);
	return 0;
}

static void
check_escaped(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c == '<' || c == '>' || c == '"' || c == '\'' ||
		    (c < 32 && c != '\n' && c != '\t') || c == 127)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data, *why;
	struct buf b = BUF_INIT;
	struct msg *m = NULL;
	char *s;

	archive_mbox_message(d, size, &b);
	buf_puts(&b, "");
	if (b.len < 1 || b.data[b.len - 1] != '\n' ||
	    strncmp(b.data, "From ", 5) == 0 || strstr(b.data, "\nFrom ") !=
	    NULL)
		abort();
	buf_reset(&b);
	archive_escape(d, size, &b);
	check_escaped(&b);
	buf_reset(&b);
	if (msg_parse(d, size, &m, &why) == 0) {
		(void)msg_parts_each(m, part, &b, &why);
		s = msg_author_name(m);
		archive_escape(s, strlen(s), &b);
		free(s);
		s = msg_parent(m);
		archive_escape(s, strlen(s), &b);
		free(s);
		check_escaped(&b);
		msg_free(&m);
	}
	buf_free(&b);
	return 0;
}
