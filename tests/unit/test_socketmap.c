/*
 * test_socketmap.c — Postfix socketmap look-ups without sockets.
 *
 * Each row feeds raw bytes to a fresh PROTO_SOCKETMAP session with a
 * stub rcpt hook and compares everything the session wrote, and whether
 * it closed.  Every row runs twice: all bytes at once, and one byte at a
 * time, so no answer depends on how the stream was split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/proto.h"
#include "buf.h"
#include "socketmap.h"

/* The stub's lists: team@x.org and its extensions (the router's own
 * answers, team+nonsense refused, are test_delivery.py's). */
static enum ingest_outcome
stub_rcpt(void *arg, const char *addr, struct ingest_rcpt *r)
{
	(void)arg;
	if (strcmp(addr, "tempfail@x.org") == 0)
		return INGEST_TEMPFAIL;
	if (strcmp(addr, "team@x.org") != 0 &&
	    strncmp(addr, "team+", 5) != 0 &&
	    strcmp(addr, "team-request@x.org") != 0)
		return INGEST_NOUSER;
	r->list_id = 1;
	return INGEST_OK;
}

static const struct server_hooks hooks = { stub_rcpt, NULL, NULL };

struct row {
	const char	*label;
	const char	*in;
	size_t		 len;
	const char	*want;		/* all output */
	int		 closed;	/* the session ended */
};

#define IN(s)	s, sizeof(s) - 1
#define NF	"9:NOTFOUND ,"
#define OK	"10:OK postino,"

static char longreq[SOCKETMAP_REQ_MAX + 64];

static const struct row rows[] = {
	{ "list", IN("21:recipients team@x.org,"), OK, 0 },
	{ "extension", IN("31:recipients team+subscribe@x.org,"), OK, 0 },
	{ "request", IN("29:recipients team-request@x.org,"), OK, 0 },
	{ "unknown", IN("23:recipients nosuch@x.org,"), NF, 0 },
	{ "wildcard", IN("17:recipients @x.org,"), NF, 0 },
	{ "bare local part", IN("15:recipients team,"), NF, 0 },
	{ "empty key", IN("11:recipients ,"), NF, 0 },
	{ "bad address", IN("22:recipients te am@x.org,"), NF, 0 },
	{ "temporary", IN("25:recipients tempfail@x.org,"),
	    "33:TEMP temporary failure, try again,", 0 },
	{ "two in a row", IN("21:recipients team@x.org,"
	    "23:recipients nosuch@x.org,"), OK NF, 0 },
	{ "unknown map", IN("18:virtual team@x.org,"),
	    "37:PERM unknown map name, use recipients,", 0 },
	{ "map then more", IN("18:virtual team@x.org,"
	    "21:recipients team@x.org,"),
	    "37:PERM unknown map name, use recipients," OK, 0 },
	{ "no space", IN("10:recipients,"), "24:PERM expected 'NAME KEY',", 0 },
	{ "NUL in key", IN("21:recipients te\0m@x.org,"),
	    "16:PERM bad request,", 0 },
	{ "empty netstring", IN("0:,"), "24:PERM expected 'NAME KEY',", 0 },
	{ "no comma", IN("21:recipients team@x.org;"),
	    "40:PERM netstring not terminated by a comma,", 1 },
	{ "leading zero", IN("021:recipients team@x.org,"),
	    "25:PERM bad netstring length,", 1 },
	{ "no digits", IN(":recipients,"), "25:PERM bad netstring length,", 1 },
	{ "letters", IN("GET / HTTP/1.0\r\n\r\n"),
	    "25:PERM bad netstring length,", 1 },
	{ "six digits", IN("100000:"), "25:PERM bad netstring length,", 1 },
	{ "too long", IN("1025:recipients "), "21:PERM request too long,", 1 },
	{ "nothing after close", IN("1:x;21:recipients team@x.org,"),
	    "40:PERM netstring not terminated by a comma,", 1 },
	{ "incomplete", IN("25:recipients team@"), "", 0 },
	{ "only digits", IN("25"), "", 0 },
};

/* Feed in, chunk bytes at a time; returns 1 when the session closed. */
static int
feed(const char *in, size_t len, size_t chunk, struct buf *out)
{
	struct proto_conf conf;
	struct proto_session *s;
	enum proto_status st = PROTO_WANT_INPUT;
	size_t off, n;

	memset(&conf, 0, sizeof(conf));
	s = proto_new(PROTO_SOCKETMAP, 1, &conf, &hooks, NULL);
	proto_greet(s);
	for (off = 0; off < len && st != PROTO_CLOSE; off += n) {
		n = len - off < chunk ? len - off : chunk;
		proto_input(s, in + off, n);
		while ((st = proto_run(s)) == PROTO_WANT_OUTPUT) {
			buf_append(out, s->out.data, s->out.len);
			buf_reset(&s->out);
		}
		buf_append(out, s->out.data, s->out.len);
		buf_reset(&s->out);
	}
	proto_free(&s);
	return st == PROTO_CLOSE;
}

static void
test_rows(void **state)
{
	struct buf out = BUF_INIT;
	size_t i, chunk;
	int closed;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (chunk = 1; chunk <= rows[i].len + 1; chunk += rows[i].len) {
			buf_reset(&out);
			closed = feed(rows[i].in, rows[i].len, chunk, &out);
			buf_append(&out, "", 1);
			if (strcmp(out.data, rows[i].want) != 0 ||
			    closed != rows[i].closed)
				fail_msg("%s (chunk %zu): got '%s' closed %d, "
				    "want '%s' closed %d", rows[i].label, chunk,
				    out.data, closed, rows[i].want,
				    rows[i].closed);
		}
	}
	buf_free(&out);
}

/* A key far longer than any address but within the request limit. */
static void
test_long_key(void **state)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	size_t klen = SOCKETMAP_REQ_MAX - strlen("recipients ");

	(void)state;
	memset(longreq, 'a', klen);
	memcpy(longreq + klen - 6, "@x.org", 6);
	buf_printf(&in, "%d:recipients %.*s,", SOCKETMAP_REQ_MAX, (int)klen,
	    longreq);
	assert_int_equal(feed(in.data, in.len, in.len, &out), 0);
	buf_append(&out, "", 1);
	assert_string_equal(out.data, NF);
	buf_free(&in);
	buf_free(&out);
}

/* A closing session (timeout, shutdown) writes no SMTP 421 line. */
static void
test_close_is_silent(void **state)
{
	struct proto_conf conf;
	struct proto_session *s;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	s = proto_new(PROTO_SOCKETMAP, 3, &conf, &hooks, NULL);
	proto_greet(s);
	proto_close(s, "4.4.2", "timeout, closing");
	assert_int_equal(proto_run(s), PROTO_CLOSE);
	assert_int_equal(s->out.len, 0);
	assert_string_equal(s->logid, "socketmap 3");
	proto_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_long_key),
		cmocka_unit_test(test_close_is_silent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
