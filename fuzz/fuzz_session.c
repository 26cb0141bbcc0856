/*
 * fuzz_session.c — libFuzzer target for the LMTP/SMTP session core.
 *
 * The first input byte picks the protocol, the commit outcome and how the
 * rest is cut into reads; the rest is fed to one session with stub hooks.
 * Invariants checked besides the sanitizers: the output never grows past
 * the backpressure limit plus one reply burst, every output line ends in
 * CRLF with no other CR or LF, no message that contained a bare CR/LF or
 * NUL reaches the commit, and the session always reaches a resting state.
 *
 * Build: `make build/fuzz/fuzz_session` (it links build/fuzz/libpostino.a);
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

static int fuzz_commit_mode;

static enum ingest_outcome
fuzz_validate(void *arg, const char *body, size_t len, const char **error_r)
{
	(void)arg;
	if (len > 0 && body[0] == '!') {
		*error_r = "bad\r\nmessage";
		return INGEST_MALFORMED;
	}
	return INGEST_OK;
}

/* Nothing that reaches the commit may carry a bare CR, LF or a NUL. */
static enum ingest_outcome
fuzz_commit(void *arg, struct ingest *const *items, size_t n)
{
	const char *b;
	size_t i, j;

	(void)arg;
	for (i = 0; i < n; i++) {
		b = items[i]->body;
		for (j = 0; j < items[i]->len; j++) {
			if (b[j] == '\0')
				abort();
			if (b[j] == '\n' && (j == 0 || b[j - 1] != '\r'))
				abort();
			if (b[j] == '\r' && (j + 1 >= items[i]->len ||
			    b[j + 1] != '\n'))
				abort();
		}
		if (items[i]->nrcpts == 0)
			abort();
	}
	if (fuzz_commit_mode != 0)
		return fuzz_commit_mode == 2 ? INGEST_FULL : INGEST_TEMPFAIL;
	return INGEST_OK;
}

static const struct server_hooks fuzz_hooks = {
	fuzz_rcpt, fuzz_validate, fuzz_commit,
};

static void
check_output(struct buf *out)
{
	size_t i;

	if (out->len > PROTO_OUT_MAX + 4 * PROTO_CMD_MAX &&
	    out->len > 2 * PROTO_OUT_MAX)
		abort();
	for (i = 0; i < out->len; i++) {
		if (out->data[i] == '\n' && (i == 0 || out->data[i - 1] != '\r'))
			abort();
		if (out->data[i] == '\r' && (i + 1 >= out->len ||
		    out->data[i + 1] != '\n'))
			abort();
	}
	buf_reset(out);
}

static void
pump(struct proto_session *s)
{
	enum proto_status st;
	int rounds = 0;

	for (;;) {
		st = proto_run(s);
		check_output(&s->out);
		if (st == PROTO_WANT_COMMIT)
			proto_commit_group(&s, 1, &fuzz_hooks, NULL);
		else if (st != PROTO_WANT_OUTPUT)
			return;
		if (++rounds > 1000000)
			abort();	/* no progress */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_conf conf;
	struct proto_session *s;
	size_t off, n, chunk;

	fuzz_log_quiet();
	if (size < 1)
		return 0;
	memset(&conf, 0, sizeof(conf));
	strcpy(conf.hostname, "fuzz.example");
	conf.max_message_size = 2048;
	conf.max_recipients = 100;
	fuzz_commit_mode = (data[0] >> 1) % 3;
	chunk = (size_t)(data[0] >> 3) + 1;
	s = proto_new(data[0] & 1 ? PROTO_SMTP : PROTO_LMTP, 1, &conf,
	    &fuzz_hooks, NULL);
	proto_greet(s);
	for (off = 1; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		proto_input(s, data + off, n);
		pump(s);
	}
	proto_close(s, "4.4.2", "timeout, closing");
	pump(s);
	proto_free(&s);
	return 0;
}
