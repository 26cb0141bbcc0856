/*
 * fuzz_socketmap.c — libFuzzer target for the socketmap server side.
 *
 * The first input byte says how the rest is cut into reads; the rest is
 * fed to one PROTO_SOCKETMAP session with a stub rcpt hook.  Invariants
 * besides the sanitizers: everything written is a sequence of complete,
 * well-formed netstrings whose payload starts with OK, NOTFOUND, TEMP or
 * PERM; a closed session writes nothing more; each request gets exactly
 * one short reply, so output stays within a bound of the input.
 *
 * Build: `make build/fuzz/fuzz_socketmap` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/proto.h"
#include "fuzz_stub.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct server_hooks fuzz_hooks = { fuzz_rcpt, NULL, NULL };

static int
starts(const char *p, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && memcmp(p, word, w) == 0;
}

/* Every byte of out belongs to one well-formed reply netstring. */
static void
check_output(const struct buf *out)
{
	size_t i = 0, n, d;
	const char *p;

	while (i < out->len) {
		for (n = 0, d = 0; i < out->len && out->data[i] >= '0' &&
		    out->data[i] <= '9'; i++, d++)
			n = n * 10 + (size_t)(out->data[i] - '0');
		if (d == 0 || d > 6 || i >= out->len || out->data[i] != ':')
			abort();
		p = out->data + i + 1;
		if (i + 1 + n + 1 > out->len || p[n] != ',')
			abort();
		if (!starts(p, n, "OK ") && !starts(p, n, "NOTFOUND ") &&
		    !starts(p, n, "TEMP ") && !starts(p, n, "PERM "))
			abort();
		i += 1 + n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_conf conf;
	struct proto_session *s;
	enum proto_status st = PROTO_WANT_INPUT;
	size_t off, n, chunk, closed_len = 0;

	fuzz_log_quiet();
	if (size < 1)
		return 0;
	memset(&conf, 0, sizeof(conf));
	chunk = (size_t)data[0] + 1;
	s = proto_new(PROTO_SOCKETMAP, 1, &conf, &fuzz_hooks, NULL);
	proto_greet(s);
	for (off = 1; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		proto_input(s, data + off, n);
		while ((st = proto_run(s)) == PROTO_WANT_OUTPUT)
			check_output(&s->out);
		if (st == PROTO_WANT_COMMIT)
			abort();	/* a look-up never commits */
		if (st == PROTO_CLOSE && closed_len == 0)
			closed_len = s->out.len;
		else if (st == PROTO_CLOSE && s->out.len != closed_len)
			abort();	/* wrote after closing */
	}
	check_output(&s->out);
	if (s->out.len > 64 + 16 * size)
		abort();
	proto_close(s, "4.4.2", "timeout");
	if (proto_run(s) != PROTO_CLOSE)
		abort();
	proto_free(&s);
	return 0;
}
