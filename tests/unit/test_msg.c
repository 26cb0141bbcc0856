/*
 * test_msg.c — msg_parse accept/reject (reliability.md §4.B, §4.C),
 * header accessors, automatic and loop detection, the subject prefix, the
 * RFC 2047 encoder, msg_text (MIME walk, decoding, charsets, HTML) and
 * msg_thread, and decoration golden files: tests/data/NAME.eml in,
 * tests/data/NAME.out expected, compared byte for byte.  Every decorated
 * output is re-parsed with libetpan's MIME parser.
 *
 * REGEN=1 rewrites the .out files instead of comparing; review the diff.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "buf.h"
#include "msg.h"

#define HDR	"From: Alice <alice@example.net>\r\n"

static const struct decorate team = {
	.list_addr = "team@example.org",
	.list_id = "team.example.org",
	.list_name = "Team",
	.help_addr = "team+help@example.org",
	.subscribe_addr = "team+subscribe@example.org",
	.unsubscribe_addr = "team+unsubscribe@example.org",
	.owner_addr = "team+owner@example.org",
	.subject_prefix = "[team]",
	.footer = "-- \nTo post: team@example.org\n"
	    "To leave: team+unsubscribe@example.org\nCiao, \xc3\xa8 tutto.\n",
	.archive_url = NULL,
};

static struct msg *
parse_ok(const char *s)
{
	struct msg *m = NULL;
	const char *err = NULL;

	if (msg_parse(s, strlen(s), &m, &err) < 0)
		fail_msg("parse failed: %s", err);
	return m;
}

/* ---- accept / reject ------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*input;
	const char	*want;	/* NULL: accepted; else error text */
} parse_cases[] = {
	{ "minimal", HDR "\r\nbody\r\n", NULL },
	{ "headers only", HDR, NULL },
	{ "empty body", HDR "\r\n", NULL },
	{ "obsolete space before colon", HDR "Subject : x\r\n\r\n", NULL },
	{ "folded header", HDR "Subject: a\r\n b\r\n\tc\r\n\r\n", NULL },
	{ "8-bit subject", HDR "Subject: caf\xc3\xa9\r\n\r\n", NULL },
	{ "empty message", "", "empty message" },
	{ "no colon", HDR "Garbage line\r\n\r\n", "header line without colon" },
	{ "continuation first", " From: a@b.c\r\n\r\n",
	    "header starts with a continuation line" },
	{ "NUL in name", HDR "Sub\0ject: x\r\n\r\n", NULL /* see below */ },
	{ "bad name", HDR "Sub ject: x\r\n\r\n", "bad header field name" },
	{ "empty name", HDR ": x\r\n\r\n", "empty header field name" },
	{ "bare LF", "From: a@b.c\nSubject: x\r\n\r\n",
	    "bare CR or LF in header" },
	{ "no CRLF at end", "From: a@b.c", "header line without CRLF" },
	{ "no From", "Subject: x\r\n\r\nbody\r\n", "no From header" },
	{ "two From", HDR HDR "\r\n", "more than one From header" },
	{ "two Subject", HDR "Subject: a\r\nSubject: b\r\n\r\n",
	    "more than one Subject header" },
	{ "two Message-ID", HDR "Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\n\r\n",
	    "more than one Message-ID header" },
	{ "From without address", "From: Alice\r\n\r\n",
	    "From holds no valid address" },
	{ "From group", "From: undisclosed-recipients:;\r\n\r\n",
	    "From holds no valid address" },
	{ "From bad domain", "From: a@b..c\r\n\r\n",
	    "From holds no valid address" },
	/* libetpan reads past the field here; From must not become victim. */
	{ "From swallowing next field",
	    "From: =?utf-8?q? x\r\nX-Foo: <victim@example.org>\r\n\r\n",
	    "From holds no valid address" },
	{ "shallow comments", "From: a@b.c (x (y (z)))\r\n\r\n", NULL },
	{ "MIME without boundary",
	    HDR "Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n", NULL },
	{ "MIME close only", HDR "Content-Type: multipart/mixed; "
	    "boundary=b\r\n\r\n--b--\r\n", NULL },
	{ "MIME no close", HDR "Content-Type: multipart/mixed; "
	    "boundary=b\r\n\r\n--b\r\n\r\nx\r\n", NULL },
};

static void
test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct msg *m = NULL;
		const char *err = NULL, *in = parse_cases[i].input;
		size_t len = strlen(in);
		int r;

		if (strcmp(parse_cases[i].label, "NUL in name") == 0)
			len = strlen(HDR) + 24;	/* includes the NUL */
		r = msg_parse(in, len, &m, &err);
		if (strcmp(parse_cases[i].label, "NUL in name") == 0) {
			assert_int_equal(r, -1);
			continue;
		}
		if (parse_cases[i].want == NULL) {
			if (r != 0)
				fail_msg("%s: rejected: %s", parse_cases[i].label,
				    err);
			msg_free(&m);
			assert_null(m);
		} else {
			if (r != -1)
				fail_msg("%s: accepted", parse_cases[i].label);
			assert_string_equal(err, parse_cases[i].want);
		}
	}
}

/* Build a hostile message whose body is made by gen into b. */
static int
parse_big(void (*gen)(struct buf *), const char **err)
{
	struct buf b = BUF_INIT;
	struct msg *m = NULL;
	int r;

	gen(&b);
	r = msg_parse(b.data, b.len, &m, err);
	msg_free(&m);
	buf_free(&b);
	return r;
}

static void
gen_many_headers(struct buf *b)
{
	int i;

	buf_puts(b, HDR);
	for (i = 0; i < 100000; i++)
		buf_printf(b, "X-H%d: v\r\n", i);
	buf_puts(b, "\r\nbody\r\n");
}

static void
gen_folded(struct buf *b)
{
	int i;

	buf_puts(b, HDR "X-Big: start\r\n");
	for (i = 0; i < 100000; i++)	/* 10 MB over 100k lines */
		buf_printf(b, " %0*d\r\n", 98, i);
	buf_puts(b, "\r\nbody\r\n");
}

static void
gen_comments(struct buf *b)
{
	int i;

	buf_puts(b, "From: a@b.c ");
	for (i = 0; i < 10000; i++)
		buf_putc(b, '(');
	for (i = 0; i < 10000; i++)
		buf_putc(b, ')');
	buf_puts(b, "\r\n\r\n");
}

static void
gen_deep_mime(struct buf *b)
{
	int i;

	buf_puts(b, HDR "Content-Type: multipart/mixed; boundary=b0\r\n\r\n");
	for (i = 1; i < 1000; i++)
		buf_printf(b, "--b%d\r\nContent-Type: multipart/mixed; "
		    "boundary=b%d\r\n\r\n", i - 1, i);
}

static void
gen_deep_rfc822(struct buf *b)
{
	int i;

	buf_puts(b, HDR "Content-Type: message/rfc822\r\n\r\n");
	for (i = 0; i < 100; i++)
		buf_puts(b, HDR "Content-Type: message/rfc822\r\n\r\n");
	buf_puts(b, "x\r\n");
}

static void
gen_many_parts(struct buf *b)
{
	int i;

	buf_puts(b, HDR "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 1000000; i++)
		buf_puts(b, "--b\r\n\r\n");
}

static void
test_parse_limits(void **state)
{
	const char *err = NULL;

	(void)state;
	assert_int_equal(parse_big(gen_many_headers, &err), -1);
	assert_string_equal(err, "too many header fields");
	assert_int_equal(parse_big(gen_folded, &err), -1);
	assert_string_equal(err, "header field too long");
	assert_int_equal(parse_big(gen_comments, &err), -1);
	assert_string_equal(err, "comments nested too deep");
	assert_int_equal(parse_big(gen_deep_mime, &err), -1);
	assert_string_equal(err, "MIME nesting too deep");
	assert_int_equal(parse_big(gen_deep_rfc822, &err), -1);
	assert_string_equal(err, "MIME nesting too deep");
	assert_int_equal(parse_big(gen_many_parts, &err), -1);
	assert_string_equal(err, "too many MIME parts");
}

/* ---- accessors ------------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*from;
	const char	*want;
} from_cases[] = {
	{ "plain", "From: a@Example.ORG\r\n", "a@example.org" },
	{ "display", "From: Alice <alice@example.net>\r\n", "alice@example.net" },
	{ "comment after", "From: a@b.c (Alice)\r\n", "a@b.c" },
	{ "encoded name", "From: \"=?utf-8?q?a@evil?=\" <x@y.z>\r\n", "x@y.z" },
	{ "encoded atom name", "From: =?utf-8?q?a@evil.org?= <x@y.z>\r\n",
	    "x@y.z" },
	{ "encoded to <>", "From: =?utf-8?q?=3Cevil@x=3E?= <x@y.z>\r\n",
	    "x@y.z" },
	{ "quoted comma", "From: \"Evil, Inc\" <x@y.z>\r\n", "x@y.z" },
	{ "first of list", "From: a@b.c, d@e.f\r\n", "a@b.c" },
	{ "folded", "From: Alice\r\n <a@b.c>\r\n", "a@b.c" },
	{ "trailing dot", "From: a@b.c.\r\n", "a@b.c" },
};

static void
test_from(void **state)
{
	char in[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		struct msg *m;

		snprintf(in, sizeof(in), "%s\r\nbody\r\n", from_cases[i].from);
		m = parse_ok(in);
		if (strcmp(msg_from(m), from_cases[i].want) != 0)
			fail_msg("%s: got %s", from_cases[i].label, msg_from(m));
		msg_free(&m);
	}
}

static const char *body_src;

static const char *
in_body(const struct msg *m)
{
	return body_src + msg_body_offset(m);
}

static void
test_headers(void **state)
{
	static const char in[] = HDR "Subject: one\r\n two\r\n"
	    "Message-ID:  <id@x>\r\nReceived: a\r\nreceived: b\r\n"
	    "X-Empty:\r\n\r\nbody\r\n";
	struct msg *m;
	char *v;

	(void)state;
	body_src = in;
	m = parse_ok(in);
	v = msg_header(m, "subject");
	assert_string_equal(v, "one two");
	free(v);
	v = msg_header(m, "X-Empty");
	assert_string_equal(v, "");
	free(v);
	assert_null(msg_header(m, "X-None"));
	assert_string_equal(msg_message_id(m), "id@x");
	assert_int_equal(msg_received_count(m), 2);
	assert_int_equal(msg_header_count(m, "From"), 1);
	assert_string_equal(in_body(m), "body\r\n");
	msg_free(&m);
	m = parse_ok(HDR "\r\n");
	assert_string_equal(msg_message_id(m), "");
	v = msg_subject(m);
	assert_string_equal(v, "");
	free(v);
	msg_free(&m);
}

static const struct {
	const char	*label;
	const char	*subject;
	const char	*want;
} subj_cases[] = {
	{ "plain", "Subject: hello", "hello" },
	{ "encoded q", "Subject: =?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "encoded b", "Subject: =?utf-8?b?Y2Fmw6k=?=", "caf\xc3\xa9" },
	{ "latin1", "Subject: =?iso-8859-1?q?Gr=FC=DFe?=", "Gr\xc3\xbc\xc3\x9f" "e" },
	{ "adjacent words", "Subject: =?utf-8?q?a?= =?utf-8?q?b?=", "ab" },
	{ "CRLF injection", "Subject: =?utf-8?q?hi=0D=0ABcc:_x@y?=",
	    "hi  Bcc: x@y" },
	{ "TAB", "Subject: =?utf-8?q?a=09b?=", "a b" },
	/* libetpan returns a C string: an encoded NUL ends the text. */
	{ "NUL", "Subject: =?utf-8?q?a=00b?=", "a" },
	{ "bad base64", "Subject: =?utf-8?b?!!!?=", NULL },
	{ "unknown charset", "Subject: =?x-unknown?q?abc?=", NULL },
	{ "invalid utf-8", "Subject: a\xff\xc0z", "a??z" },
};

static void
test_subject_decode(void **state)
{
	char in[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(subj_cases) / sizeof(subj_cases[0]); i++) {
		struct msg *m;
		char *s;
		const unsigned char *p;

		snprintf(in, sizeof(in), HDR "%s\r\n\r\n", subj_cases[i].subject);
		m = parse_ok(in);
		s = msg_subject(m);
		for (p = (const unsigned char *)s; *p != '\0'; p++)
			if (*p < 32 || *p == 127)
				fail_msg("%s: control character", subj_cases[i].label);
		if (subj_cases[i].want != NULL &&
		    strcmp(s, subj_cases[i].want) != 0)
			fail_msg("%s: got [%s]", subj_cases[i].label, s);
		free(s);
		msg_free(&m);
	}
}

/* ---- automatic mail and loops ---------------------------------------- */

static const struct {
	const char	*label;
	const char	*headers;
	int		 is_auto;
} auto_cases[] = {
	{ "ordinary", HDR, 0 },
	{ "auto-submitted no", HDR "Auto-Submitted: no\r\n", 0 },
	{ "auto-submitted no comment", HDR "Auto-Submitted: no (x)\r\n", 0 },
	{ "auto-replied", HDR "Auto-Submitted: auto-replied\r\n", 1 },
	{ "auto-generated", HDR "Auto-Submitted: Auto-Generated\r\n", 1 },
	{ "precedence bulk", HDR "Precedence: bulk\r\n", 1 },
	{ "precedence junk", HDR "Precedence: JUNK\r\n", 1 },
	{ "precedence list", HDR "Precedence: list\r\n", 1 },
	{ "precedence first-class", HDR "Precedence: first-class\r\n", 0 },
	{ "x-autoreply", HDR "X-Autoreply: yes\r\n", 1 },
	{ "x-autorespond", HDR "X-Autorespond: x\r\n", 1 },
	{ "suppress all", HDR "X-Auto-Response-Suppress: All\r\n", 1 },
	{ "suppress oof", HDR "X-Auto-Response-Suppress: OOF\r\n", 1 },
	{ "suppress dr", HDR "X-Auto-Response-Suppress: DR\r\n", 0 },
	{ "mailer-daemon", "From: MAILER-DAEMON@mx.example.org\r\n", 1 },
};

static void
test_is_auto(void **state)
{
	char in[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(auto_cases) / sizeof(auto_cases[0]); i++) {
		struct msg *m;

		snprintf(in, sizeof(in), "%s\r\nbody\r\n", auto_cases[i].headers);
		m = parse_ok(in);
		if ((msg_is_auto(m) != NULL) != auto_cases[i].is_auto)
			fail_msg("%s: got %s", auto_cases[i].label,
			    msg_is_auto(m) ? msg_is_auto(m) : "NULL");
		msg_free(&m);
	}
}

static const struct {
	const char	*label;
	const char	*headers;
	int		 loop;
} loop_cases[] = {
	{ "none", HDR, 0 },
	{ "our list-id", HDR "List-Id: Team <team.example.org>\r\n", 1 },
	{ "list-id case", HDR "List-ID: <TEAM.Example.ORG>\r\n", 1 },
	{ "list-id folded", HDR "List-Id: \"Team\"\r\n <team.example.org>\r\n", 1 },
	{ "other list-id", HDR "List-Id: <other.example.org>\r\n", 0 },
	{ "list-id prefix", HDR "List-Id: <team.example.org.evil>\r\n", 0 },
	{ "x-loop ours", HDR "X-Loop: team@example.org\r\n", 1 },
	{ "x-loop case", HDR "X-Loop: Team@Example.org\r\n", 1 },
	{ "x-loop other", HDR "X-Loop: other@example.org\r\n", 0 },
	{ "second x-loop", HDR "X-Loop: a@b\r\nX-Loop: team@example.org\r\n", 1 },
};

static void
test_is_loop(void **state)
{
	char in[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loop_cases) / sizeof(loop_cases[0]); i++) {
		struct msg *m;

		snprintf(in, sizeof(in), "%s\r\nbody\r\n", loop_cases[i].headers);
		m = parse_ok(in);
		if (msg_is_loop(m, "team.example.org", "team@example.org") !=
		    loop_cases[i].loop)
			fail_msg("%s", loop_cases[i].label);
		msg_free(&m);
	}
}

/* ---- subject prefix --------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*subject;	/* NULL: no Subject */
	const char	*want;		/* the Subject line written */
} prefix_cases[] = {
	{ "plain", "Hello", "Subject: [team] Hello" },
	{ "reply", "Re: [team] Hello", "Subject: Re: [team] Hello" },
	{ "german reply", "RE: Aw: [team] x", "Subject: RE: Aw: [team] x" },
	{ "counted reply", "Re[2]: [TEAM] x", "Subject: Re[2]: [TEAM] x" },
	{ "no space", "Re:[team] x", "Subject: Re:[team] x" },
	{ "already", "[team] Hello", "Subject: [team] Hello" },
	{ "reply without prefix", "Re: Hello", "Subject: [team] Re: Hello" },
	{ "prefix later", "Hello [team]", "Subject: [team] Hello [team]" },
	{ "missing", NULL, "Subject: [team]" },
	{ "empty", "", "Subject: [team]" },
	{ "encoded", "=?utf-8?q?caf=C3=A9?=",
	    "Subject: =?utf-8?q?=5Bteam=5D_caf=C3=A9?=" },
	{ "encoded with prefix", "=?utf-8?q?Re:_=5Bteam=5D_caf=C3=A9?=",
	    "Subject: =?utf-8?q?Re:_=5Bteam=5D_caf=C3=A9?=" },
	{ "injection", "=?utf-8?q?hi=0D=0ABcc:_x@y?=",
	    "Subject: [team] hi  Bcc: x@y" },
	/* 8-bit bytes pass through as they came, never encoded or '?' */
	{ "8-bit utf-8", "caf\xc3\xa9 \xe2\x82\xac",
	    "Subject: [team] caf\xc3\xa9 \xe2\x82\xac" },
	{ "8-bit latin-1", "caf\xe9", "Subject: [team] caf\xe9" },
	{ "8-bit with prefix", "Re: [team] caf\xc3\xa9",
	    "Subject: Re: [team] caf\xc3\xa9" },
	{ "8-bit and encoded", "=?utf-8?q?a?= \xc3\xa9",
	    "Subject: [team] =?utf-8?q?a?= \xc3\xa9" },
};

static char *
decorate_str(const char *in, const struct decorate *dc)
{
	struct msg *m = parse_ok(in);
	struct buf out = BUF_INIT;
	const char *err = NULL;

	if (msg_decorate(m, dc, &out, &err) < 0)
		fail_msg("decorate: %s", err);
	msg_free(&m);
	return buf_steal(&out, NULL);
}

/* The Subject field of a decorated message, unfolded to one line. */
static char *
subject_line(const char *out)
{
	const char *p = strstr(out, "\r\nSubject:"), *e;
	struct buf b = BUF_INIT;

	if (p == NULL)
		return NULL;
	p += 2;
	for (e = p; !(e[0] == '\r' && e[1] == '\n' && e[2] != ' '); e++)
		if (e[0] != '\r' && e[0] != '\n')
			buf_putc(&b, e[0]);
	return buf_steal(&b, NULL);
}

static void
test_subject_prefix(void **state)
{
	char in[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		char *out, *line;

		if (prefix_cases[i].subject != NULL)
			snprintf(in, sizeof(in), HDR "Subject: %s\r\n\r\nb\r\n",
			    prefix_cases[i].subject);
		else
			snprintf(in, sizeof(in), HDR "\r\nb\r\n");
		out = decorate_str(in, &team);
		line = subject_line(out);
		if (line == NULL || strcmp(line, prefix_cases[i].want) != 0)
			fail_msg("%s: got [%s]", prefix_cases[i].label,
			    line ? line : "(none)");
		assert_null(strstr(out, "\r\nBcc:"));
		free(line);
		free(out);
	}
}

/* A long 8-bit Subject is folded before its value, never cut. */
static void
test_subject_8bit_long(void **state)
{
	struct buf in = BUF_INIT, val = BUF_INIT;
	const char *p, *e;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < 495; i++)
		buf_puts(&val, "\xc3\xa9");
	buf_printf(&in, HDR "Subject: %s\r\n\r\nb\r\n", val.data);
	out = decorate_str(in.data, &team);
	p = strstr(out, "\r\nSubject: [team]\r\n ");
	assert_non_null(p);
	assert_non_null(strstr(p, val.data));
	for (p = out; (e = strstr(p, "\r\n")) != NULL; p = e + 2)
		assert_true(e - p <= 998);
	free(out);
	buf_free(&in);
	buf_free(&val);
}

static void
test_no_prefix_no_footer(void **state)
{
	struct decorate dc = team;
	const char *in = HDR "Subject: =?utf-8?q?x?=\r\n\r\nbody\r\n";
	char *out;

	(void)state;
	dc.subject_prefix = "";
	dc.footer = NULL;
	dc.list_name = NULL;
	dc.archive_url = "https://lists.example.org/team/";
	out = decorate_str(in, &dc);
	assert_non_null(strstr(out, "\r\nSubject: =?utf-8?q?x?=\r\n"));
	assert_non_null(strstr(out, "\r\nList-Id: <team.example.org>\r\n"));
	assert_non_null(strstr(out,
	    "\r\nList-Archive: <https://lists.example.org/team/>\r\n"));
	assert_non_null(strstr(out, "\r\n\r\nbody\r\n"));
	assert_int_equal(strlen(strstr(out, "\r\n\r\n")), 10);
	free(out);
}

static void
test_list_name_encoded(void **state)
{
	struct decorate dc = team;
	char *out;

	(void)state;
	dc.list_name = "Caf\xc3\xa9 \"Team\"";
	out = decorate_str(HDR "\r\nb\r\n", &dc);
	assert_non_null(strstr(out, "\r\nList-Id: =?utf-8?q?Caf=C3=A9_=22Team"
	    "=22?= <team.example.org>\r\n"));
	free(out);
	dc.list_name = "Team, Inc.";
	out = decorate_str(HDR "\r\nb\r\n", &dc);
	assert_non_null(strstr(out, "\r\nList-Id: \"Team, Inc.\" "
	    "<team.example.org>\r\n"));
	free(out);
}

static void
test_decorate_bad_config(void **state)
{
	struct decorate dc = team;
	struct msg *m = parse_ok(HDR "\r\nb\r\n");
	struct buf out = BUF_INIT;
	const char *err = NULL;

	(void)state;
	dc.list_addr = "team";
	assert_int_equal(msg_decorate(m, &dc, &out, &err), -1);
	assert_string_equal(err, "bad list address");
	dc = team;
	dc.list_id = "a>\r\nBcc: x";
	assert_int_equal(msg_decorate(m, &dc, &out, &err), -1);
	assert_string_equal(err, "bad list id");
	buf_free(&out);
	msg_free(&m);
}

/* ---- the encoder ------------------------------------------------------ */

/* Every line within 78 columns, every encoded word within 75. */
static void
check_folded(const char *label, const char *s, size_t first_col)
{
	size_t col = first_col, n;
	const char *w;

	while (*s != '\0') {
		if (s[0] == '\r') {
			if (s[1] != '\n' || s[2] != ' ')
				fail_msg("%s: bad fold", label);
			col = 0;
			s += 2;
			continue;
		}
		n = 1;
		if (s[0] == '=' && s[1] == '?' && strncmp(s, "=?utf-8?", 8) == 0) {
			w = strstr(s + 10, "?=");
			if (w == NULL || w + 2 - s > 75)
				fail_msg("%s: encoded word too long", label);
			n = (size_t)(w + 2 - s);
		}
		if (memchr(s, '\n', n) != NULL || (col += n) > 78)
			fail_msg("%s: line too long or bare LF", label);
		s += n;
	}
}

static const char *const enc_cases[] = {
	"Hello",
	"caf\xc3\xa9",
	"a fairly long subject line made of plain ASCII words that needs "
	    "folding before it reaches the right margin of the screen",
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5"
	    "\x90\x8d\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\xe6\x97\xa5\xe6\x9c"
	    "\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d\xe3\x81\xa7"
	    "\xe3\x81\x99\xe3\x80\x82\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	"Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen, wo die Sonne scheint und "
	    "die Bierg\xc3\xa4rten voll sind, und noch ein bisschen mehr Text",
	"a_literal =?utf-8?q?word?= stays literal",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	"",
};

static void
test_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		struct buf b = BUF_INIT, in = BUF_INIT;
		struct msg *m;
		char *back;

		msg_encode_header_text(enc_cases[i], 7, &b);
		buf_puts(&b, "");
		check_folded(enc_cases[i], b.data, 9);
		/* Round trip through the decoder. */
		buf_printf(&in, HDR "Subject: %s\r\n\r\n", b.data);
		m = parse_ok(in.data);
		back = msg_subject(m);
		if (strcmp(back, enc_cases[i]) != 0)
			fail_msg("round trip: [%s] -> [%s] -> [%s]",
			    enc_cases[i], b.data, back);
		free(back);
		msg_free(&m);
		buf_free(&in);
		buf_free(&b);
	}
}

/* ---- golden files ----------------------------------------------------- */

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	buf_puts(&b, "");
	return buf_steal(&b, len_r);
}

/* The decorated copy must be valid MIME, with the original intact. */
static void
check_mime(const char *name, const char *in, size_t inlen, const char *out,
    size_t outlen)
{
	struct mailmime *mime = NULL;
	size_t idx = 0, body;
	const char *b;
	int r;

	r = mailmime_parse(out, outlen, &idx, &mime);
	if (r != MAILIMF_NO_ERROR || mime == NULL)
		fail_msg("%s: output does not parse as MIME", name);
	/* The original body (its closing delimiter aside) is still there. */
	b = strstr(in, "\r\n\r\n");
	assert_non_null(b);
	body = (size_t)(b + 4 - in);
	b = in + body;
	if (strstr(name, "mixed") != NULL)
		inlen = (size_t)(strstr(b, "\r\n--outer--") - in);
	if (memmem(out, outlen, b, inlen - body) == NULL)
		fail_msg("%s: original body not intact", name);
	if (mime->mm_type == MAILMIME_MESSAGE &&
	    mime->mm_data.mm_message.mm_msg_mime != NULL &&
	    mime->mm_data.mm_message.mm_msg_mime->mm_type == MAILMIME_MULTIPLE) {
		struct mailmime *mp = mime->mm_data.mm_message.mm_msg_mime;
		clist *l = mp->mm_data.mm_multipart.mm_mp_list;
		struct mailmime *last = clist_content(clist_end(l));

		if (clist_count(l) < 2 || last->mm_body == NULL ||
		    memmem(last->mm_body->dt_data.dt_text.dt_data,
		    last->mm_body->dt_data.dt_text.dt_length,
		    "To leave:", 9) == NULL)
			fail_msg("%s: no footer part at the end", name);
	}
	mailmime_free(mime);
}

static void
golden_one(const char *name, int regen)
{
	char path[256];
	char *in, *want, *got;
	size_t inlen, wantlen, gotlen;
	struct msg *m = NULL;
	struct buf out = BUF_INIT;
	const char *err = NULL;

	snprintf(path, sizeof(path), "tests/data/%s.eml", name);
	in = slurp(path, &inlen);
	if (in == NULL)
		fail_msg("%s: cannot read (run from the repository root)", path);
	if (msg_parse(in, inlen, &m, &err) < 0)
		fail_msg("%s: %s", path, err);
	assert_int_equal(msg_decorate(m, &team, &out, &err), 0);
	got = buf_steal(&out, &gotlen);
	snprintf(path, sizeof(path), "tests/data/%s.out", name);
	if (regen) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fwrite(got, 1, gotlen, f);
		fclose(f);
	}
	want = slurp(path, &wantlen);
	if (want == NULL || wantlen != gotlen || memcmp(want, got, gotlen) != 0)
		fail_msg("%s differs (REGEN=1 rewrites it; review the diff)",
		    path);
	check_mime(name, in, inlen, got, gotlen);
	free(want);
	free(got);
	msg_free(&m);
	free(in);
}

static void
test_golden(void **state)
{
	static const char *const names[] = { "plain", "plain-ascii", "qp",
	    "base64", "mixed", "alternative", "signed", "html", "latin1",
	    "inject", "8bit-header", NULL };
	const char *regen = getenv("REGEN");
	size_t i;

	(void)state;
	for (i = 0; names[i] != NULL; i++)
		golden_one(names[i], regen != NULL && strcmp(regen, "1") == 0);
}

/* ---- msg_text -------------------------------------------------------- */

#define HTMLCT	"Content-Type: text/html; charset=utf-8\r\n"

static const struct {
	const char	*label;
	const char	*input;
	const char	*want;	/* NULL: no text (-1) */
} text_cases[] = {
	{ "plain, CRLF to LF", HDR "\r\na\r\nb\r\n", "a\nb\n" },
	{ "no body", HDR, "" },
	{ "controls", HDR "\r\na\x01" "b\tc\r\n", "a b\tc\n" },
	{ "invalid UTF-8", HDR "\r\na\xff\xc3z\r\n", "a??z\n" },
	{ "unknown charset keeps bytes",
	    HDR "Content-Type: text/plain; charset=x-nonesuch\r\n\r\n"
	    "caf\xc3\xa9 \xe9\r\n", "caf\xc3\xa9 ?\n" },
	{ "charset name with a path is not looked up",
	    HDR "Content-Type: text/plain; charset=\"../x//TRANSLIT\"\r\n\r\n"
	    "ok\r\n", "ok\n" },
	{ "latin-1", HDR "Content-Type: text/plain; charset=ISO-8859-1\r\n"
	    "\r\n\xe8\r\n", "\xc3\xa8\n" },
	{ "QP soft breaks", HDR "Content-Transfer-Encoding: quoted-printable"
	    "\r\n\r\nab=\r\ncd=3D=C3=A8\r\n", "abcd=\xc3\xa8\n" },
	{ "QP ending in =X, no CRLF (libetpan over-read)",
	    HDR "Content-Transfer-Encoding: quoted-printable\r\n\r\nab=A",
	    "ab?\n" },
	{ "QP part ending in =X before the delimiter",
	    HDR "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\nab=A\r\n"
	    "--b--\r\n", "ab?\n" },
	{ "base64 with junk", HDR "Content-Transfer-Encoding: base64\r\n\r\n"
	    "aGVs!!bG8=\r\n", "hello\n" },
	{ "not text", HDR "Content-Type: application/pdf\r\n\r\nx\r\n", NULL },
	{ "HTML entities",
	    HDR HTMLCT "\r\n<p>a&amp;b &lt;c&gt; &quot;d&quot; &#39;e&#39;"
	    "&nbsp;&#233;&#xE8;&#0;&#55296;&bogus; & &#x110000;</p>\r\n",
	    "a&b <c> \"d\" 'e' \xc3\xa9\xc3\xa8\xef\xbf\xbd?&bogus; & ?\n" },
	{ "HTML structure",
	    HDR HTMLCT "\r\n<html><head><title>t</title><style>x{}</style>"
	    "</head><body><script>alert(1)</script><!-- c --><p>one  \r\n"
	    "two</p><div>three<br>four</div><ul><li>five</li></ul>"
	    "<table><tr><td>six</td><td>seven</td></tr></table>"
	    "<a href='x>y' title=it's>eight</a></body></html>\r\n",
	    "one two\nthree\nfour\nfive\nsix seven\neight\n" },
	{ "HTML blockquote quoted",
	    HDR HTMLCT "\r\n<div>help</div><blockquote><p>unsubscribe</p>"
	    "<blockquote>deeper</blockquote>back</blockquote>after\r\n",
	    "help\n> unsubscribe\n> > deeper\n> back\nafter\n" },
	{ "HTML head without end", HDR HTMLCT
	    "\r\n<head><meta x=1><body>text\r\n", "text\n" },
	{ "HTML pre", HDR HTMLCT "\r\n<pre>a\r\nb</pre>\r\n", "a\nb\n" },
	{ "HTML unterminated", HDR HTMLCT "\r\na <b class=\"x\r\n", "a\n" },
	{ "nested multipart",
	    HDR "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "preamble\r\n--o\r\n"
	    "Content-Type: multipart/alternative; boundary=\"i\"\r\n\r\n"
	    "--i\r\n" HTMLCT "\r\n<p>html</p>\r\n"
	    "--i\r\nContent-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\ncGxhaW4=\r\n--i--\r\n"
	    "--o\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--o--\r\n",
	    "plain\n" },
	{ "HTML when no plain",
	    HDR "Content-Type: multipart/alternative; boundary=i\r\n\r\n"
	    "--i\r\n" HTMLCT "\r\n<p>html</p>\r\n--i--\r\n", "html\n" },
	{ "attachments skipped",
	    HDR "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
	    "Content-Type: multipart/alternative; boundary=i\r\n"
	    "Content-Disposition: attachment\r\n\r\n--i\r\n\r\nhidden\r\n"
	    "--i--\r\n--o\r\nContent-Disposition: ATTACHMENT; filename=x\r\n"
	    "\r\nhidden too\r\n--o\r\n\r\nshown\r\n--o--\r\n", "shown\n" },
};

static void
test_text(void **state)
{
	struct buf b = BUF_INIT;
	struct msg *m;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		m = parse_ok(text_cases[i].input);
		buf_reset(&b);
		r = msg_text(m, 4096, &b);
		if (text_cases[i].want == NULL) {
			if (r != -1)
				fail_msg("%s: text found", text_cases[i].label);
		} else if (r != 0 || strcmp(b.data, text_cases[i].want) != 0)
			fail_msg("%s: got %d '%s'", text_cases[i].label, r,
			    r == 0 ? b.data : "");
		msg_free(&m);
	}
	buf_free(&b);
}

/* max bytes at most, cut on a character boundary; linear on big input. */
static void
test_text_limits(void **state)
{
	struct buf in = BUF_INIT, b = BUF_INIT;
	struct msg *m;
	int i;

	(void)state;
	buf_puts(&in, HDR "\r\n");
	for (i = 0; i < 100000; i++)
		buf_puts(&in, "\xc3\xa8");
	buf_puts(&in, "\r\n");
	m = parse_ok(in.data);
	assert_int_equal(msg_text(m, 101, &b), 0);
	assert_int_equal(b.len, 101);	/* 50 characters and the LF */
	assert_int_equal(b.data[100], '\n');
	buf_reset(&b);
	assert_int_equal(msg_text(m, 100, &b), 0);
	assert_int_equal(b.len, 100);	/* 50 characters, no room left */
	msg_free(&m);
	buf_reset(&in);
	buf_reset(&b);
	buf_puts(&in, HDR HTMLCT "\r\n");
	for (i = 0; i < 200000; i++)
		buf_puts(&in, "<blockquote><a b='");
	buf_puts(&in, "\r\n");
	m = parse_ok(in.data);
	assert_int_equal(msg_text(m, 1000, &b), 0);
	assert_true(b.len <= 1000);
	msg_free(&m);
	buf_free(&in);
	buf_free(&b);
}

/* ---- msg_thread ------------------------------------------------------ */

static const struct {
	const char	*label;
	const char	*input;
	const char	*want;
} thread_cases[] = {
	{ "References, several ids", HDR "Message-ID: <own@x>\r\n"
	    "In-Reply-To: <parent@x>\r\nReferences: <root@x>\r\n"
	    " <mid@x> <parent@x>\r\n\r\n", "root@x" },
	{ "References with comments and junk", HDR
	    "References: (c) junk <root@x> <b@x>\r\n\r\n", "root@x" },
	{ "only In-Reply-To", HDR "Message-ID: <own@x>\r\n"
	    "In-Reply-To: Bob's message <parent@x> (sent Monday)\r\n\r\n",
	    "parent@x" },
	{ "neither", HDR "Message-ID: <own@x>\r\n\r\n", "own@x" },
	{ "nothing at all", HDR "\r\n", "" },
	{ "malformed References", HDR "Message-ID: <own@x>\r\n"
	    "References: not an id\r\nIn-Reply-To: <parent@x>\r\n\r\n",
	    "parent@x" },
	{ "unterminated References", HDR "Message-ID: <own@x>\r\n"
	    "References: <root@x\r\nX-Other: <victim@y>\r\n\r\n", "own@x" },
	{ "empty References", HDR "References:\r\n\r\n", "" },
};

static void
test_thread(void **state)
{
	struct msg *m;
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(thread_cases) / sizeof(thread_cases[0]); i++) {
		m = parse_ok(thread_cases[i].input);
		t = msg_thread(m);
		if (strcmp(t, thread_cases[i].want) != 0)
			fail_msg("%s: got '%s'", thread_cases[i].label, t);
		free(t);
		msg_free(&m);
	}
}

/* 100k ids are over the header limit; the largest accepted References
 * (thousands of ids) is read only as far as its first ids. */
static void
test_thread_bound(void **state)
{
	struct buf in = BUF_INIT;
	struct msg *m = NULL;
	const char *err = NULL;
	char *t;
	int i;

	(void)state;
	buf_puts(&in, HDR "References: <root@x>");
	for (i = 0; i < 100000; i++)
		buf_printf(&in, "\r\n <id%d@example.org>", i);
	buf_puts(&in, "\r\n\r\n");
	assert_int_equal(msg_parse(in.data, in.len, &m, &err), -1);
	assert_string_equal(err, "header field too long");
	buf_reset(&in);
	buf_puts(&in, HDR "References: <root@x>");
	for (i = 0; i < 3000; i++)
		buf_printf(&in, "\r\n <id%d@ex.org>", i);
	buf_puts(&in, "\r\n\r\n");
	m = parse_ok(in.data);
	for (i = 0; i < 1000; i++) {
		t = msg_thread(m);
		assert_string_equal(t, "root@x");
		free(t);
	}
	msg_free(&m);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_from),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_subject_decode),
		cmocka_unit_test(test_is_auto),
		cmocka_unit_test(test_is_loop),
		cmocka_unit_test(test_subject_prefix),
		cmocka_unit_test(test_subject_8bit_long),
		cmocka_unit_test(test_no_prefix_no_footer),
		cmocka_unit_test(test_list_name_encoded),
		cmocka_unit_test(test_decorate_bad_config),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_thread_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
