/*
 * test_proto.c — the LMTP/SMTP session core without sockets.
 *
 * Each row feeds raw bytes to a fresh session (after the greeting) with
 * stub hooks and compares the reply codes it wrote, how many messages
 * reached the commit hook, and the last body committed.  Every row runs
 * twice: all bytes at once, and one byte at a time, so that no framing
 * decision depends on how TCP split the stream.  Cases of
 * reliability.md §4.A that need real time or sockets (13-15) are in
 * tests/integration/test_framing.py.
 */
#include <ctype.h>
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

#define MAXSIZE	4096
#define MAXRCPT	100

/* ---- stub hooks ----------------------------------------------------- */

static int		commit_mode;	/* 0 ok, 1 fail, 2 disk full */
static int		ncommitted;
static struct buf	last_body;

static size_t		last_nrcpts;	/* recipients of the last commit */

/*
 * Like the router: the list is the local part before '+' (any case, its
 * id a hash of it), the extension what follows, lower-cased.
 */
static enum ingest_outcome
stub_rcpt(void *arg, const char *addr, struct ingest_rcpt *r)
{
	const char *p;
	size_t n = 0;

	(void)arg;
	if (strncmp(addr, "nobody@", 7) == 0)
		return INGEST_NOUSER;
	if (strncmp(addr, "tempfail@", 9) == 0)
		return INGEST_TEMPFAIL;
	r->list_id = 1;
	for (p = addr; *p != '@' && *p != '+'; p++)
		r->list_id = r->list_id * 31 + (tolower((unsigned char)*p));
	if (*p == '+')
		for (p++; *p != '@' && n + 1 < sizeof(r->ext); p++)
			r->ext[n++] = (char)tolower((unsigned char)*p);
	r->ext[n] = '\0';
	return INGEST_OK;
}

static enum ingest_outcome
stub_validate(void *arg, const char *body, size_t len, const char **error_r)
{
	(void)arg;
	if (len >= 7 && memmem(body, len, "INVALID", 7) != NULL) {
		*error_r = "no From header\r\nInjected: yes";
		return INGEST_MALFORMED;
	}
	return INGEST_OK;
}

static enum ingest_outcome
stub_commit(void *arg, struct ingest *const *items, size_t n)
{
	(void)arg;
	if (commit_mode != 0)
		return commit_mode == 2 ? INGEST_FULL : INGEST_TEMPFAIL;
	ncommitted += (int)n;
	last_nrcpts = items[n - 1]->nrcpts;
	buf_reset(&last_body);
	buf_append(&last_body, items[n - 1]->body, items[n - 1]->len);
	return 0;
}

static const struct server_hooks hooks = {
	stub_rcpt, stub_validate, stub_commit,
};

/* ---- driver --------------------------------------------------------- */

static struct proto_session *
session(enum server_proto proto)
{
	struct proto_conf conf;

	memset(&conf, 0, sizeof(conf));
	strcpy(conf.hostname, "test.example");
	strcpy(conf.qid_prefix, "6931A2F01A2B");
	conf.max_message_size = MAXSIZE;
	conf.max_recipients = MAXRCPT;
	ncommitted = 0;
	buf_reset(&last_body);
	return proto_new(proto, 1, &conf, &hooks, NULL);
}

/* Run the session until it wants input; collect its output in out. */
static enum proto_status
pump(struct proto_session *s, struct buf *out)
{
	enum proto_status st;

	for (;;) {
		st = proto_run(s);
		assert_true(s->out.len <= PROTO_OUT_MAX + 2 * PROTO_CMD_MAX);
		buf_append(out, s->out.data, s->out.len);
		buf_reset(&s->out);
		if (st == PROTO_WANT_COMMIT)
			proto_commit_group(&s, 1, &hooks, NULL);
		else if (st != PROTO_WANT_OUTPUT)
			return st;
	}
}

/* Reply codes of out, one per reply (the last line of multi-line ones). */
static void
codes(const struct buf *out, struct buf *want)
{
	const char *p = out->data, *e;

	buf_reset(want);
	while (p != NULL && (e = strstr(p, "\r\n")) != NULL) {
		if (e - p >= 4 && p[3] == ' ')
			buf_printf(want, "%s%.3s", want->len ? " " : "", p);
		else
			assert_true(e - p >= 4 && p[3] == '-');
		p = e + 2;
	}
}

static void
feed(struct proto_session *s, const char *in, size_t len, size_t chunk,
    struct buf *out)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		proto_input(s, in + off, n);
		if (pump(s, out) == PROTO_CLOSE)
			break;
	}
}

struct row {
	const char		*label;
	enum server_proto	 proto;
	const char		*in;
	size_t			 len;
	const char		*want;		/* reply codes after 220 */
	int			 commits;
	const char		*body;		/* last body committed */
	int			 mode;		/* commit_mode */
};

#define IN(s)	s, sizeof(s) - 1
#define L	PROTO_LMTP
#define S	PROTO_SMTP
#define LHLO	"LHLO c.example\r\n"
#define TX	LHLO "MAIL FROM:<a@b.example>\r\nRCPT TO:<team@x.org>\r\nDATA\r\n"
#define TXC	"250 250 250 354"
#define AGAIN	"MAIL FROM:<e@x.org>\r\nRCPT TO:<team@x.org>\r\nDATA\r\n" \
		"smuggled\r\n.\r\nNOOP\r\n"
#define SMUG(t)	TX "Subject: x\r\n\r\nbody" t AGAIN

static const struct row rows[] = {
	/* 1: bare LF / bare CR / NUL in commands: 500, in sync */
	{ "bare LF cmd", L, IN(LHLO "RCPT TO:<a@b>\nNOOP\r\n"), "250 500 250", 0, NULL, 0 },
	{ "bare LF alone", L, IN("\nNOOP\r\n"), "500 250", 0, NULL, 0 },
	{ "bare CR cmd", L, IN("NOOP\rNOOP\r\nNOOP\r\n"), "500 250", 0, NULL, 0 },
	{ "NUL cmd", L, IN("NO\0OP\r\nNOOP\r\n"), "500 250", 0, NULL, 0 },
	/* 2: smuggling terminators, then a pipelined second transaction */
	{ "smug \\n.\\n", L, IN(SMUG("\n.\n")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\r.\\r", L, IN(SMUG("\r.\r")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\r.\\n", L, IN(SMUG("\r.\n")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\n.\\r", L, IN(SMUG("\n.\r")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\n.\\r\\n", L, IN(SMUG("\n.\r\n")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\r\\n.\\n", L, IN(SMUG("\r\n.\n")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\r.\\r\\n", L, IN(SMUG("\r.\r\n")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\r\\n.\\r", L, IN(SMUG("\r\n.\r")), TXC " 550 250", 0, NULL, 0 },
	{ "smug \\r\\n\\0.", L, IN(SMUG("\r\n\0.\r\n")), TXC " 550 250", 0, NULL, 0 },
	/* 3: bare CR / LF inside body lines */
	{ "body bare LF", L, IN(TX "a\nb\r\n.\r\nNOOP\r\n"), TXC " 550 250", 0, NULL, 0 },
	{ "body bare CR", L, IN(TX "a\rb\r\n.\r\nNOOP\r\n"), TXC " 550 250", 0, NULL, 0 },
	{ "body NUL", L, IN(TX "a\0b\r\n.\r\nNOOP\r\n"), TXC " 550 250", 0, NULL, 0 },
	/* 4: dot-stuffing round trip */
	{ "dot stuffing", L, IN(TX "..\r\n...\r\n..foo\r\n.. \r\n.x\r\n"
	    "last\r\n.\r\n"), TXC " 250", 1,
	    ".\r\n..\r\n.foo\r\n. \r\nx\r\nlast\r\n", 0 },
	{ "empty message", L, IN(TX ".\r\n"), TXC " 250", 1, "", 0 },
	{ "pipelined after dot", L, IN(TX "hi\r\n.\r\nNOOP\r\nQUIT\r\nNOOP\r\n"),
	    TXC " 250 250 221", 1, "hi\r\n", 0 },
	/* 6: path limits (a 10 KB path is a line too long: see below) */
	{ "local part 65", L, IN(LHLO "MAIL FROM:<>\r\nRCPT TO:<"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@x.org>\r\n"), "250 250 501", 0, NULL, 0 },
	/* 7: MAIL parameters */
	{ "SIZE=abc", L, IN(LHLO "MAIL FROM:<a@b.c> SIZE=abc\r\n"), "250 501", 0, NULL, 0 },
	{ "SIZE=-1", L, IN(LHLO "MAIL FROM:<a@b.c> SIZE=-1\r\n"), "250 501", 0, NULL, 0 },
	{ "SIZE=", L, IN(LHLO "MAIL FROM:<a@b.c> SIZE=\r\n"), "250 501", 0, NULL, 0 },
	{ "SIZE 20 digits", L, IN(LHLO "MAIL FROM:<a@b.c> "
	    "SIZE=99999999999999999999\r\n"), "250 552", 0, NULL, 0 },
	{ "SIZE 21 digits", L, IN(LHLO "MAIL FROM:<a@b.c> "
	    "SIZE=999999999999999999999\r\n"), "250 501", 0, NULL, 0 },
	{ "SIZE over max", L, IN(LHLO "MAIL FROM:<a@b.c> SIZE=4097\r\n"),
	    "250 552", 0, NULL, 0 },
	{ "SIZE dup", L, IN(LHLO "MAIL FROM:<a@b.c> SIZE=1 SIZE=1\r\n"),
	    "250 501", 0, NULL, 0 },
	{ "BODY dup", L, IN(LHLO "MAIL FROM:<a@b.c> BODY=7BIT body=7bit\r\n"),
	    "250 501", 0, NULL, 0 },
	{ "unknown param", L, IN(LHLO "MAIL FROM:<a@b.c> FOO=bar\r\n"),
	    "250 555", 0, NULL, 0 },
	{ "BINARYMIME", L, IN(LHLO "MAIL FROM:<a@b.c> BODY=BINARYMIME\r\n"),
	    "250 555", 0, NULL, 0 },
	{ "good params", L, IN(LHLO "MAIL FROM:<a@b.c> size=4096 "
	    "BODY=8BITMIME\r\n"), "250 250", 0, NULL, 0 },
	{ "RCPT param", L, IN(LHLO "MAIL FROM:<>\r\nRCPT TO:<team@x.org> "
	    "NOTIFY=NEVER\r\n"), "250 250 555", 0, NULL, 0 },
	/* 8: declared SIZE small, actual data over the limit */
	{ "size exact", L, NULL, 0, TXC " 250 250", 1, NULL, 0 },	/* built below */
	{ "size over", L, NULL, 0, TXC " 552 250", 0, NULL, 0 },	/* built below */
	/* 10: LMTP per-recipient replies */
	{ "rcpt 2 of 3", L, IN(LHLO "MAIL FROM:<a@b.c>\r\nRCPT TO:<team@x.org>"
	    "\r\nRCPT TO:<nobody@x.org>\r\nRCPT TO:<t2@x.org>\r\nDATA\r\n"
	    "x\r\n.\r\n"), "250 250 250 550 250 354 250 250", 1, NULL, 0 },
	{ "same rcpt twice", L, IN(LHLO "MAIL FROM:<a@b.c>\r\nRCPT TO:<t@x.org>"
	    "\r\nRCPT TO:<t@x.org>\r\nRCPT TO:<T@X.org>\r\nDATA\r\nx\r\n.\r\n"),
	    "250 250 250 250 250 354 250 250 250", 1, NULL, 0 },
	{ "rcpt tempfail", L, IN(LHLO "MAIL FROM:<a@b.c>\r\n"
	    "RCPT TO:<tempfail@x.org>\r\nDATA\r\n"), "250 250 451 503", 0, NULL, 0 },
	/* 11: command order */
	{ "DATA no rcpt", L, IN(LHLO "MAIL FROM:<a@b.c>\r\nDATA\r\n"),
	    "250 250 503", 0, NULL, 0 },
	{ "DATA no MAIL", L, IN(LHLO "DATA\r\n"), "250 503", 0, NULL, 0 },
	{ "MAIL no LHLO", L, IN("MAIL FROM:<a@b.c>\r\n"), "503", 0, NULL, 0 },
	{ "RCPT no MAIL", L, IN(LHLO "RCPT TO:<team@x.org>\r\n"), "250 503", 0, NULL, 0 },
	{ "MAIL twice", L, IN(LHLO "MAIL FROM:<a@b.c>\r\nMAIL FROM:<a@b.c>\r\n"),
	    "250 250 503", 0, NULL, 0 },
	{ "LHLO resets", L, IN(LHLO "MAIL FROM:<a@b.c>\r\n" LHLO
	    "RCPT TO:<team@x.org>\r\n"), "250 250 250 503", 0, NULL, 0 },
	{ "RSET resets", L, IN(LHLO "MAIL FROM:<a@b.c>\r\nRCPT TO:<t@x.org>\r\n"
	    "RSET\r\nDATA\r\nMAIL FROM:<a@b.c>\r\n"), "250 250 250 250 503 250", 0, NULL, 0 },
	/* 12: wrong greeting verb for the port */
	{ "HELO on LMTP", L, IN("HELO c\r\nEHLO c\r\n" LHLO), "500 500 250", 0, NULL, 0 },
	{ "LHLO on SMTP", S, IN("LHLO c\r\nEHLO c\r\nHELO c\r\n"), "500 250 250", 0, NULL, 0 },
	{ "LHLO no arg", L, IN("LHLO\r\n"), "501", 0, NULL, 0 },
	/* 16: NUL, TAB, 8-bit in verbs */
	{ "TAB verb", L, IN("LHLO\tx\r\nNOOP\r\n"), "500 250", 0, NULL, 0 },
	{ "8-bit verb", L, IN("NO\xffP\r\nN\xc3\x96OP\r\nNOOP\r\n"),
	    "500 500 250", 0, NULL, 0 },
	{ "unknown verb", L, IN("BDAT 10\r\nSTARTTLS\r\n\r\n"), "500 500 500", 0, NULL, 0 },
	/* 17: odd paths */
	{ "empty local", L, IN(LHLO "MAIL FROM:<>\r\nRCPT TO:<@x.org>\r\n"
	    "RCPT TO:<\"\">\r\nRCPT TO:<>\r\n"), "250 250 501 501 501", 0, NULL, 0 },
	{ "source route", L, IN(LHLO "MAIL FROM:<@a,@b:u@c.org>\r\n"
	    "RCPT TO:<@a,@b:team@x.org>\r\n"), "250 250 250", 0, NULL, 0 },
	{ "no brackets", L, IN(LHLO "MAIL FROM:a@b.c\r\nMAIL FROM <a@b.c>\r\n"),
	    "250 501 501", 0, NULL, 0 },
	/* 18: blank lines */
	{ "blank lines", L, IN("\r\n\r\n\r\nNOOP\r\n"), "500 500 500 250", 0, NULL, 0 },
	/* other verbs and outcomes */
	{ "misc verbs", L, IN("VRFY x\r\nHELP\r\nNOOP (x)\r\nRSET\r\nQUIT\r\n"),
	    "252 214 250 250 221", 0, NULL, 0 },
	{ "after QUIT", L, IN("QUIT\r\nNOOP\r\n"), "221", 0, NULL, 0 },
	{ "smtp queued", S, IN("EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<t@x.org>"
	    "\r\nRCPT TO:<u@x.org>\r\nDATA\r\nx\r\n.\r\n"),
	    "250 250 250 250 354 250", 1, "x\r\n", 0 },
	{ "validate fails", L, IN(LHLO "MAIL FROM:<a@b.c>\r\nRCPT TO:<t@x.org>"
	    "\r\nRCPT TO:<u@x.org>\r\nDATA\r\nINVALID\r\n.\r\nNOOP\r\n"),
	    "250 250 250 250 354 554 554 250", 0, NULL, 0 },
	{ "commit fails", L, IN(TX "x\r\n.\r\nNOOP\r\n"), TXC " 451 250", 0,
	    NULL, 1 },
	{ "disk full", S, IN("HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<t@x.org>"
	    "\r\nDATA\r\nx\r\n.\r\n"), "250 250 250 354 452", 0, NULL, 2 },
	{ "two messages", L, IN(TX "one\r\n.\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<t@x.org>\r\nDATA\r\ntwo\r\n.\r\n"),
	    TXC " 250 250 250 354 250", 2, "two\r\n", 0 },
};

static void
check_row(const struct row *r, const char *in, size_t len, size_t chunk)
{
	struct buf out = BUF_INIT, got = BUF_INIT;
	struct proto_session *s = session(r->proto);

	commit_mode = r->mode;
	proto_greet(s);
	pump(s, &out);
	buf_reset(&out);
	feed(s, in, len, chunk, &out);
	codes(&out, &got);
	if (strcmp(got.data ? got.data : "", r->want) != 0 ||
	    ncommitted != r->commits)
		fail_msg("%s (chunk %zu): got \"%s\" commits %d, want \"%s\" "
		    "commits %d\n%s", r->label, chunk, got.data, ncommitted,
		    r->want, r->commits, out.data);
	if (r->body != NULL) {
		assert_int_equal(last_body.len, strlen(r->body));
		assert_memory_equal(last_body.data, r->body, last_body.len);
	}
	proto_free(&s);
	assert_null(s);
	buf_free(&out);
	buf_free(&got);
	commit_mode = 0;
}

/* A transaction whose body is n octets of 64-octet lines. */
static void
size_input(struct buf *in, size_t n)
{
	buf_puts(in, TX);
	for (; n >= 64; n -= 64)
		buf_printf(in, "%062u\r\n", 0u);
	if (n >= 2)
		buf_printf(in, "%.*s\r\n", (int)n - 2,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	buf_puts(in, ".\r\nNOOP\r\n");
}

static void
test_table(void **state)
{
	static const size_t chunks[] = { (size_t)-1, 1, 7 };
	struct buf in = BUF_INIT;
	size_t i, c;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			buf_reset(&in);
			if (strcmp(rows[i].label, "size exact") == 0)
				size_input(&in, MAXSIZE);
			else if (strcmp(rows[i].label, "size over") == 0)
				size_input(&in, MAXSIZE + 2);
			else
				buf_append(&in, rows[i].in, rows[i].len);
			check_row(&rows[i], in.data, in.len, chunks[c]);
		}
	}
	buf_free(&in);
}

/* Codes of everything s answers to in, fed in chunk-octet pieces. */
static void
run_codes(struct proto_session *s, const char *in, size_t len, size_t chunk,
    struct buf *got)
{
	struct buf out = BUF_INIT;

	feed(s, in, len, chunk, &out);
	codes(&out, got);
	buf_free(&out);
}

/* 5 and 18: a 1 MB line without CRLF, in command and DATA mode. */
static void
test_long_lines(void **state)
{
	struct proto_session *s;
	struct buf in = BUF_INIT, got = BUF_INIT;
	size_t i;

	(void)state;
	s = session(PROTO_LMTP);
	buf_puts(&in, "NOOP ");
	for (i = 0; i < 1024 * 1024; i++)
		buf_putc(&in, '(');
	run_codes(s, in.data, in.len, 4096, &got);
	assert_string_equal(got.data ? got.data : "", "");
	assert_true(s->in.cap <= 2 * 4096 + PROTO_CMD_MAX);
	run_codes(s, "\r\nNOOP\r\n", 8, 4096, &got);
	assert_string_equal(got.data, "500 250");
	/* 512 octets with CRLF pass, 513 do not. */
	buf_reset(&in);
	buf_printf(&in, "NOOP %0505d\r\nNOOP %0506d\r\n", 0, 0);
	run_codes(s, in.data, in.len, 100, &got);
	assert_string_equal(got.data, "250 500");
	proto_free(&s);

	s = session(PROTO_LMTP);
	buf_reset(&in);
	buf_puts(&in, TX);
	for (i = 0; i < 1024 * 1024; i++)
		buf_putc(&in, 'x');
	buf_puts(&in, "\r\n.\r\nNOOP\r\n");
	run_codes(s, in.data, in.len, 65536, &got);
	assert_string_equal(got.data, TXC " 550 250");
	assert_true(s->body.cap <= 2 * MAXSIZE + 64);
	assert_int_equal(ncommitted, 0);
	proto_free(&s);

	/* A 1000-octet text line passes, 1001 does not. */
	s = session(PROTO_LMTP);
	buf_reset(&in);
	buf_printf(&in, TX "%0998d\r\n.\r\n" TX "%0999d\r\n.\r\n", 0, 0);
	run_codes(s, in.data, in.len, 333, &got);
	assert_string_equal(got.data, TXC " 250 " TXC " 550");
	assert_int_equal(ncommitted, 1);
	proto_free(&s);
	buf_free(&in);
	buf_free(&got);
}

/* 6: a 10 KB address is a command line too long. */
static void
test_long_path(void **state)
{
	struct proto_session *s = session(PROTO_LMTP);
	struct buf in = BUF_INIT, got = BUF_INIT;
	size_t i;

	(void)state;
	buf_puts(&in, LHLO "MAIL FROM:<>\r\nRCPT TO:<");
	for (i = 0; i < 10240; i++)
		buf_putc(&in, 'a');
	buf_puts(&in, "@x.org>\r\nRCPT TO:<a@");
	for (i = 0; i < 256; i++)
		buf_putc(&in, i % 60 == 59 ? '.' : 'd');
	buf_puts(&in, ">\r\nRCPT TO:<team@x.org>\r\n");
	run_codes(s, in.data, in.len, 1000, &got);
	assert_string_equal(got.data, "250 250 500 501 250");
	proto_free(&s);
	buf_free(&in);
	buf_free(&got);
}

/* 9: 10,000 RCPTs: 452 past the limit, one LMTP reply per accepted. */
static void
test_many_rcpts(void **state)
{
	struct proto_session *s = session(PROTO_LMTP);
	struct buf in = BUF_INIT, out = BUF_INIT;
	size_t i, n250 = 0, n452 = 0;
	const char *p;

	(void)state;
	buf_puts(&in, LHLO "MAIL FROM:<a@b.c>\r\n");
	for (i = 0; i < 10000; i++)
		buf_printf(&in, "RCPT TO:<r%zu@x.org>\r\n", i);
	buf_puts(&in, "DATA\r\nx\r\n.\r\n");
	feed(s, in.data, in.len, 65536, &out);
	for (p = out.data; (p = strstr(p, "\r\n")) != NULL; p += 2) {
		n250 += strncmp(p + 2, "250 ", 4) == 0;
		n452 += strncmp(p + 2, "452 ", 4) == 0;
	}
	assert_int_equal(n452, 10000 - MAXRCPT);
	/* LHLO (its last line), MAIL, 100 RCPT, 100 after DATA */
	assert_int_equal(n250, 1 + 1 + 2 * MAXRCPT - 1 + 1);
	assert_int_equal(ncommitted, 1);
	assert_true(s->rcpt_cap <= MAXRCPT);
	proto_free(&s);
	buf_free(&in);
	buf_free(&out);
}

/*
 * Issue 8 item 7: a target named several times (in any case, with the
 * domain in any case, as +ext or -request) is stored once, and every RCPT
 * still gets its own 250: after RCPT, and in LMTP after DATA too.
 */
static const struct {
	const char		*label;
	enum server_proto	 proto;
	const char		*rcpts;		/* blank-separated */
	const char		*want;		/* codes after MAIL */
	size_t			 stored;	/* recipients committed */
} dup_rows[] = {
	{ "same list 5 cases", L, "team@x.org TEAM@x.org Team@X.ORG "
	    "tEaM@x.Org team@X.org", "250 250 250 250 250 354 250 250 250 250 "
	    "250", 1 },
	{ "same list smtp", S, "team@x.org TEAM@x.org Team@X.ORG",
	    "250 250 250 354 250", 1 },
	{ "two lists", L, "team@x.org other@x.org TEAM@x.org OTHER@x.org",
	    "250 250 250 250 354 250 250 250 250", 2 },
	{ "list and extension", L, "team@x.org team+help@x.org "
	    "TEAM+HELP@x.org team+Help@x.org", "250 250 250 250 354 250 250 "
	    "250 250", 2 },
	{ "refused in between", L, "team@x.org nobody@x.org TEAM@x.org",
	    "250 550 250 354 250 250", 1 },
};

static void
test_duplicate_rcpts(void **state)
{
	struct buf in = BUF_INIT, got = BUF_INIT;
	struct proto_session *s;
	char rcpts[256], *tok, *save;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dup_rows) / sizeof(dup_rows[0]); i++) {
		s = session(dup_rows[i].proto);
		buf_reset(&in);
		buf_printf(&in, "%s c\r\nMAIL FROM:<a@b.c>\r\n",
		    dup_rows[i].proto == L ? "LHLO" : "EHLO");
		snprintf(rcpts, sizeof(rcpts), "%s", dup_rows[i].rcpts);
		for (tok = strtok_r(rcpts, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save))
			buf_printf(&in, "RCPT TO:<%s>\r\n", tok);
		buf_puts(&in, "DATA\r\nx\r\n.\r\n");
		last_nrcpts = 0;
		run_codes(s, in.data, in.len, 7, &got);
		/* skip the codes of LHLO/EHLO and MAIL */
		if (strcmp(got.data + 8, dup_rows[i].want) != 0 ||
		    ncommitted != 1 || last_nrcpts != dup_rows[i].stored)
			fail_msg("%s: got \"%s\", %d commits of %zu rcpts",
			    dup_rows[i].label, got.data, ncommitted,
			    last_nrcpts);
		proto_free(&s);
	}
	buf_free(&in);
	buf_free(&got);
}

/* LMTP names each RCPT as given after DATA, duplicates included. */
static void
test_duplicate_rcpt_replies(void **state)
{
	struct proto_session *s = session(PROTO_LMTP);
	struct buf out = BUF_INIT;

	(void)state;
	feed(s, IN(LHLO "MAIL FROM:<a@b.c>\r\nRCPT TO:<team@x.org>\r\n"
	    "RCPT TO:<TEAM@x.org>\r\nDATA\r\nx\r\n.\r\n"), 4096, &out);
	assert_non_null(strstr(out.data, "250 2.1.5 <team@x.org> Ok: queued"));
	assert_non_null(strstr(out.data, "250 2.1.5 <TEAM@x.org> Ok: queued"));
	assert_int_equal(last_nrcpts, 1);
	proto_free(&s);
	buf_free(&out);
}

/* 19: 100,000 pipelined NOOPs: answered in order with bounded output. */
static void
test_pipelined_noops(void **state)
{
	struct proto_session *s = session(PROTO_SMTP);
	struct buf in = BUF_INIT, out = BUF_INIT;
	enum proto_status st;
	size_t i, n = 0;
	const char *p;

	(void)state;
	for (i = 0; i < 100000; i++)
		buf_puts(&in, i % 2 ? "NOOP\r\n" : "RSET\r\n");
	proto_input(s, in.data, in.len);
	do {
		st = proto_run(s);
		assert_true(s->out.len < PROTO_OUT_MAX + PROTO_CMD_MAX);
		buf_append(&out, s->out.data, s->out.len);
		buf_reset(&s->out);
	} while (st == PROTO_WANT_OUTPUT);
	assert_int_equal(st, PROTO_WANT_INPUT);
	for (p = out.data; (p = strstr(p, "250 2.0.0 Ok\r\n")) != NULL; p++)
		n++;
	assert_int_equal(n, 100000);
	assert_int_equal(s->in.len, 0);
	proto_free(&s);
	buf_free(&in);
	buf_free(&out);
}

/* Replies never carry CR/LF from a hook's text; LMTP ack names rcpts. */
static void
test_reply_text(void **state)
{
	struct proto_session *s = session(PROTO_LMTP);
	struct buf out = BUF_INIT;

	(void)state;
	feed(s, IN(TX "INVALID\r\n.\r\n"), 4096, &out);
	assert_non_null(strstr(out.data, "554 5.6.0 no From header??Injected"));
	buf_reset(&out);
	feed(s, IN(TX "ok\r\n.\r\n"), 4096, &out);
	assert_non_null(strstr(out.data, "250 2.1.5 <team@x.org> Ok: "
	    "queued as 6931A2F01A2B.1.1\r\n"));
	proto_close(s, "4.4.2", "timeout, closing");
	assert_int_equal(proto_run(s), PROTO_CLOSE);
	assert_non_null(strstr(s->out.data,
	    "421 4.4.2 test.example timeout, closing\r\n"));
	proto_free(&s);
	buf_free(&out);
}

/* A group of three sessions is committed with one hook call. */
static void
test_group_commit(void **state)
{
	struct proto_session *ss[3];
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		ss[i] = session(PROTO_LMTP);
		proto_input(ss[i], IN(TX "m\r\n.\r\nNOOP\r\n"));
		assert_int_equal(proto_run(ss[i]), PROTO_WANT_COMMIT);
		assert_null(strstr(ss[i]->out.data, "\r\n250 2.0.0"));
	}
	assert_int_equal(proto_commit_group(ss, 3, &hooks, NULL), 0);
	assert_int_equal(ncommitted, 3);
	for (i = 0; i < 3; i++) {
		/* the pipelined NOOP is answered after the DATA reply */
		assert_int_equal(proto_run(ss[i]), PROTO_WANT_INPUT);
		buf_reset(&out);
		codes(&ss[i]->out, &out);
		assert_string_equal(out.data, TXC " 250 250");
		proto_free(&ss[i]);
	}
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_many_rcpts),
		cmocka_unit_test(test_duplicate_rcpts),
		cmocka_unit_test(test_duplicate_rcpt_replies),
		cmocka_unit_test(test_pipelined_noops),
		cmocka_unit_test(test_reply_text),
		cmocka_unit_test(test_group_commit),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	buf_free(&last_body);
	return rc;
}
