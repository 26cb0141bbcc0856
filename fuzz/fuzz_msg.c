/*
 * fuzz_msg.c — libFuzzer target: msg_parse, the accessors, then
 * msg_decorate on arbitrary bytes; every decorated copy must re-parse
 * with msg_parse and carry no bare CR or LF in its header block.
 *
 * Build: `make build/fuzz/fuzz_msg` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct decorate dc = {
	.list_addr = "team@example.org",
	.list_id = "team.example.org",
	.list_name = "Caf\xc3\xa9 Team",
	.help_addr = "team+help@example.org",
	.subscribe_addr = "team+subscribe@example.org",
	.unsubscribe_addr = "team+unsubscribe@example.org",
	.owner_addr = "team+owner@example.org",
	.subject_prefix = "[team]",
	.footer = "-- \nTo leave: team+unsubscribe@example.org\n\xc3\xa8\n",
	.archive_url = "https://example.org/a",
};

/* The decorated copy is a message msg_parse accepts, unless the input
 * was already at a limit that our added fields or MIME level cross. */
static void
check_output(const struct buf *out)
{
	static const char *const limits[] = { "too many header fields",
	    "header field too long", "MIME nesting too deep",
	    "too many MIME parts", NULL };
	struct msg *m = NULL;
	const char *err = NULL;
	size_t i;
	char *s;

	if (msg_parse(out->data, out->len, &m, &err) < 0) {
		for (i = 0; limits[i] != NULL; i++)
			if (strcmp(err, limits[i]) == 0)
				return;
		abort();
	}
	s = msg_subject(m);
	if (strpbrk(s, "\r\n") != NULL)
		abort();
	free(s);
	if (msg_is_loop(m, "team.example.org", "team@example.org") != 1)
		abort();
	msg_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg *m = NULL;
	struct buf out = BUF_INIT;
	const char *err = NULL;
	char *s;

	if (msg_parse((const char *)data, size, &m, &err) < 0)
		return 0;
	s = msg_subject(m);
	free(s);
	s = msg_header(m, "Content-Type");
	free(s);
	(void)msg_from(m);
	(void)msg_message_id(m);
	(void)msg_is_auto(m);
	(void)msg_received_count(m);
	if (msg_decorate(m, &dc, &out, &err) == 0)
		check_output(&out);
	buf_free(&out);
	msg_free(&m);
	return 0;
}
