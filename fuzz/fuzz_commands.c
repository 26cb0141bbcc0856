/*
 * fuzz_commands.c — libFuzzer target: msg_parse, then msg_text,
 * msg_thread and request_parse on arbitrary bytes.  Oracles beyond "no
 * crash": msg_text stays within max bytes and yields valid UTF-8 without
 * CR or NUL; every command has a NUL-terminated word, arg and line, a
 * known word is its table row's word, and a token argument holds only
 * [a-z2-7].
 *
 * Build: `make build/fuzz/fuzz_commands` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmdaddr.h"
#include "request.h"
#include "msg.h"

#define TEXT_MAX	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether s[0..n) is valid UTF-8 (overlongs and surrogates rejected). */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, want;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		want = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
		if (s[i] < 0xc2 || s[i] > 0xf4 || n - i < want)
			return 0;
		for (k = 1; k < want; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((s[i] == 0xe0 && s[i + 1] < 0xa0) ||
		    (s[i] == 0xed && s[i + 1] >= 0xa0) ||
		    (s[i] == 0xf0 && s[i + 1] < 0x90) ||
		    (s[i] == 0xf4 && s[i + 1] >= 0x90))
			return 0;
		i += want;
	}
	return 1;
}

static void
check_text(const struct msg *m)
{
	struct buf b = BUF_INIT;

	if (msg_text(m, TEXT_MAX, &b) == 0) {
		if (b.len > TEXT_MAX || b.data == NULL ||
		    memchr(b.data, '\r', b.len) != NULL ||
		    memchr(b.data, '\0', b.len) != NULL ||
		    !utf8_ok((const unsigned char *)b.data, b.len))
			abort();
	}
	buf_free(&b);
}

static void
check_commands(const struct msg *m)
{
	struct request_cmd c[REQUEST_MAX];
	size_t n, i;

	n = request_parse(m, c, REQUEST_MAX);
	if (n > REQUEST_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (memchr(c[i].word, '\0', sizeof(c[i].word)) == NULL ||
		    memchr(c[i].arg, '\0', sizeof(c[i].arg)) == NULL ||
		    memchr(c[i].line, '\0', sizeof(c[i].line)) == NULL)
			abort();
		if (c[i].row != NULL && strcmp(c[i].word, c[i].row->word) != 0)
			abort();
		if (c[i].row != NULL && c[i].row->arg == CA_ARG_TOKEN &&
		    strspn(c[i].arg, "abcdefghijklmnopqrstuvwxyz234567") !=
		    strlen(c[i].arg))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg *m = NULL;
	const char *err = NULL;
	char *t;

	if (msg_parse((const char *)data, size, &m, &err) < 0)
		return 0;
	check_text(m);
	t = msg_thread(m);
	if (t == NULL || strpbrk(t, " \t\r\n") != NULL)
		abort();
	free(t);
	check_commands(m);
	msg_free(&m);
	return 0;
}
