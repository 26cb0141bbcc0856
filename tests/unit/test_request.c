/*
 * test_request.c — commands read from a mail to LIST-request@
 * (reliability.md §4.E case 49): Subject and body, quoted text and quote
 * headers, signatures, HTML-only, base64, QP and latin-1 bodies, long
 * replies, greetings, unknown words, token case, duplicates, limits.
 *
 * Each row is {label, raw message, want}; want lists the commands found
 * as "word arg|word arg", in order ("" for none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "request.h"
#include "msg.h"

#define FROM	"From: Bob <bob@example.net>\r\n"
#define TOKEN	"abcdefghijklmnopqrstuvwx23"
#define TOKUP	"ABCDEFGHIJKLMNOPQRSTUVWX23"
#define B64	"Content-Transfer-Encoding: base64\r\n"
#define QP	"Content-Transfer-Encoding: quoted-printable\r\n"
#define PLAIN	"Content-Type: text/plain; charset=utf-8\r\n"
#define HTML	"Content-Type: text/html; charset=utf-8\r\n"

static const struct {
	const char	*label;
	const char	*input;
	const char	*want;
} cases[] = {
	{ "subject only", FROM "Subject: subscribe\r\n\r\n", "subscribe" },
	{ "subject alias, any case", FROM "Subject: JOIN\r\n\r\n",
	    "subscribe" },
	{ "body only", FROM "\r\nunsubscribe\r\n", "unsubscribe" },
	{ "body alias", FROM "\r\nsignoff\r\n", "unsubscribe" },
	{ "subject and body, same command once",
	    FROM "Subject: subscribe\r\n\r\nsubscribe\r\n", "subscribe" },
	{ "subject and body, two commands",
	    FROM "Subject: subscribe\r\n\r\nset digest\r\n",
	    "subscribe|set digest" },
	{ "Re: confirm TOKEN, upper case",
	    FROM "Subject: Re: confirm " TOKUP "\r\n\r\n",
	    "confirm " TOKEN },
	{ "confirm TOKEN inside a longer Subject",
	    FROM "Subject: AW: [team] Please confirm " TOKEN " now\r\n\r\n",
	    "confirm " TOKEN },
	{ "our own confirmation subject is not a command",
	    FROM "Subject: Re: Confirm your subscription to team@example.org"
	    "\r\n\r\n", "" },
	{ "prefixes and tag stripped",
	    FROM "Subject: RIF: R: Fwd: [team] help\r\n\r\n", "help" },
	{ "Re[2]: prefix", FROM "Subject: Re[2]: info\r\n\r\n", "help" },
	{ "quoted old confirm ignored",
	    FROM "Subject: Re: hello\r\n\r\nsubscribe\r\n\r\n"
	    "On Mon, 1 Jan 2024, List wrote:\r\n> confirm " TOKEN "\r\n",
	    "subscribe" },
	{ "quoted lines only", FROM "\r\n> unsubscribe\r\n> help\r\n", "" },
	{ "quote header wrapped over two lines",
	    FROM "\r\nhelp\r\nOn Mon, 1 Jan 2024 at 10:00, Team List\r\n"
	    "<team@example.org> wrote:\r\n> unsubscribe\r\n", "help" },
	{ "Italian quote header",
	    FROM "\r\nIl giorno lun 1 gen 2024 Team ha scritto:\r\n"
	    "> subscribe\r\n", "" },
	{ "signature stops",
	    FROM "\r\nhelp\r\n-- \r\nunsubscribe\r\nsubscribe\r\n", "help" },
	{ "signature first",
	    FROM "\r\n--\r\nunsubscribe\r\n", "" },
	{ "original message separator stops",
	    FROM "\r\nhelp\r\n-----Original Message-----\r\nsubscribe\r\n",
	    "help" },
	{ "HTML only, blockquote ignored",
	    FROM HTML "\r\n<html><head><style>p {}</style><title>subscribe"
	    "</title></head><body><p>subscribe</p><div>On Mon, List wrote:"
	    "</div><blockquote type=cite><p>unsubscribe</p></blockquote>"
	    "</body></html>\r\n", "subscribe" },
	{ "HTML entities and inline tags",
	    FROM HTML "\r\n<div>set&nbsp;<b>dig</b>est</div>"
	    "<div>confirm&#32;&#x41;BC</div>\r\n", "set digest|confirm abc" },
	{ "base64 body",
	    FROM PLAIN B64 "\r\nSGksDQpzdWJzY3JpYmUNCnNldCBkaWdlc3QNCg==\r\n",
	    "subscribe|set digest" },
	{ "base64 HTML body",
	    FROM HTML B64
	    "\r\nPGh0bWw+PGJvZHk+PHA+aGVscDwvcD48L2JvZHk+PC9odG1sPg==\r\n",
	    "help" },
	{ "QP body",
	    FROM PLAIN QP "\r\nunsub=\r\nscribe\r\nset=20nomail\r\n",
	    "unsubscribe|set nomail" },
	{ "latin-1 body",
	    FROM "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "\r\nCiao \xe8 tutto,\r\nhelp\r\n", "help" },
	{ "latin-1 unknown word converted, ASCII lower-cased",
	    FROM "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "\r\n\xc8SCI\r\n", "\xc3\x88sci" },
	{ "multipart/alternative: text/plain chosen",
	    FROM "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\n" PLAIN "\r\nsubscribe\r\n"
	    "--b1\r\n" HTML "\r\n<p>unsubscribe</p>\r\n--b1--\r\n",
	    "subscribe" },
	{ "attachment text not read",
	    FROM "Content-Type: multipart/mixed; boundary=b2\r\n\r\n"
	    "--b2\r\nContent-Type: text/plain\r\n"
	    "Content-Disposition: attachment; filename=a.txt\r\n\r\n"
	    "unsubscribe\r\n--b2\r\nContent-Type: text/plain\r\n\r\n"
	    "help\r\n--b2--\r\n", "help" },
	{ "forwarded message not read",
	    FROM "Content-Type: multipart/mixed; boundary=b3\r\n\r\n"
	    "--b3\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: x@y.z\r\n\r\nunsubscribe\r\n--b3--\r\n", "" },
	{ "several commands in one mail",
	    FROM "\r\nsubscribe\r\nset mode digest\r\nmute\r\nhelp\r\n",
	    "subscribe|set digest|mute|help" },
	{ "unknown command", FROM "\r\nsubscrbe me\r\nhelp\r\n",
	    "subscrbe me|help" },
	{ "slash and hash are not special", FROM "\r\n/subscribe\r\n",
	    "/subscribe" },
	{ "greeting then commands",
	    FROM "\r\n\r\nHi,\r\nHello list!\r\nsubscribe\r\nThanks,\r\nBob\r\n",
	    "subscribe" },
	{ "prose after a Subject command is not an unknown command",
	    FROM "Subject: subscribe\r\n\r\nPlease add me.\r\nhelp\r\n",
	    "subscribe" },
	{ "set digest", FROM "\r\nset digest\r\n", "set digest" },
	{ "set mode, upper case", FROM "\r\nSET MODE NoMail\r\n",
	    "set nomail" },
	{ "token case and separators",
	    FROM "\r\nconfirm ABCD-EFGH-2345-0189\r\n", "confirm abcdefgh2345" },
	{ "trailing punctuation", FROM "\r\nUnsubscribe.\r\n", "unsubscribe" },
	{ "end stops", FROM "\r\nhelp\r\nend\r\nsubscribe\r\n", "help" },
	{ "stop stops", FROM "\r\nstop\r\nsubscribe\r\n", "" },
	{ "prose ends commands", FROM "\r\nhelp\r\nthanks a lot\r\nmute\r\n",
	    "help" },
	{ "blank lines between commands",
	    FROM "\r\nhelp\r\n\r\n\r\nmute\r\n", "help|mute" },
	{ "empty message", FROM "\r\n", "" },
	{ "headers only", FROM, "" },
	{ "no text part", FROM "Content-Type: image/png\r\n"
	    "\r\nsubscribe\r\n", "" },
};

/* "word arg|word arg" for the commands of raw. */
static char *
parse_all(const char *raw, size_t len, size_t max)
{
	struct request_cmd cmds[REQUEST_MAX];
	struct buf b = BUF_INIT;
	struct msg *m = NULL;
	const char *err = NULL;
	size_t n, i;

	if (msg_parse(raw, len, &m, &err) < 0)
		fail_msg("parse failed: %s", err);
	n = request_parse(m, cmds, max);
	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s%s%s%s", i ? "|" : "", cmds[i].word,
		    cmds[i].arg[0] ? " " : "", cmds[i].arg);
		assert_true(cmds[i].line[0] != '\0');
	}
	buf_puts(&b, "");
	msg_free(&m);
	return buf_steal(&b, NULL);
}

static void
test_table(void **state)
{
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = parse_all(cases[i].input, strlen(cases[i].input),
		    REQUEST_MAX);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].label, got,
			    cases[i].want);
		free(got);
	}
}

/* A 200-line reply: only the first REQUEST_MAX_LINES lines count. */
static void
test_long_reply(void **state)
{
	struct buf b = BUF_INIT;
	char *got;
	int i;

	(void)state;
	buf_puts(&b, FROM "\r\n");
	for (i = 0; i < 200; i++)
		buf_puts(&b, i == 0 ? "help\r\n" : i == 150 ?
		    "unsubscribe\r\n" : "> quoted line of the old mail\r\n");
	got = parse_all(b.data, b.len, REQUEST_MAX);
	assert_string_equal(got, "help");
	free(got);
	buf_reset(&b);
	buf_puts(&b, FROM "\r\n");
	for (i = 0; i < 200; i++)
		buf_puts(&b, i < REQUEST_MAX_LINES ? "> quoted\r\n" :
		    "subscribe\r\n");
	got = parse_all(b.data, b.len, REQUEST_MAX);
	assert_string_equal(got, "");
	free(got);
	buf_free(&b);
}

/* At most max commands, and the command fields stay terminated. */
static void
test_limits(void **state)
{
	struct buf b = BUF_INIT;
	char *got;
	int i;

	(void)state;
	got = parse_all(FROM "\r\nsubscribe\r\nset digest\r\nhelp\r\n",
	    strlen(FROM) + 31, 2);
	assert_string_equal(got, "subscribe|set digest");
	free(got);
	buf_puts(&b, FROM "\r\nconfirm ");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "Ab2");
	buf_puts(&b, "\r\n");
	got = parse_all(b.data, b.len, REQUEST_MAX);
	assert_int_equal(strlen(got), strlen("confirm ") + REQUEST_ARG_MAX - 1);
	free(got);
	buf_reset(&b);
	buf_puts(&b, FROM "\r\n");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "X");
	buf_puts(&b, " y\r\n");
	got = parse_all(b.data, b.len, REQUEST_MAX);
	assert_int_equal(strlen(got), REQUEST_WORD_MAX - 1 + 2);
	assert_int_equal(got[0], 'x');
	free(got);
	buf_free(&b);
}

static void
test_known(void **state)
{
	(void)state;
	assert_int_equal(request_known("subscribe"), 1);
	assert_int_equal(request_known("LEAVE"), 1);
	assert_int_equal(request_known("info"), 1);
	assert_int_equal(request_known("hello"), 0);
	assert_int_equal(request_known(""), 0);
}

/* The token tag of a notice's Subject, as replies bring it back. */
static void
test_subject_token(void **state)
{
	static const struct {
		const char	*subject;
		const char	*want;	/* NULL: none */
	} t[] = {
		{ "Re: Held for team@example.org: buy [postino:" TOKEN "]",
		    TOKEN },
		{ "AW: Confirm [POSTINO:" TOKUP "]", TOKEN },
		{ "Re: x [ postino: " TOKEN " ]", TOKEN },
		{ "Re: [team] [postino:" TOKEN "] tail", TOKEN },
		/* the last tag wins: a held post's own tag comes first */
		{ "Held: [postino:aaaaaaaaaaaaaaaaaaaaaaaaaa] x [postino:"
		    TOKEN "]", TOKEN },
		{ "[postino:" TOKEN "] [postino:short]", TOKEN },
		{ "Re: confirm " TOKEN, NULL },
		{ "[postino:" TOKEN, NULL },
		{ "[postino:" TOKEN "x]", NULL },
		{ "[postino:abcdefghijklmnopqrstuvwx18]", NULL },
		{ "[postino:" TOKEN "a]", NULL },
		{ "[mailman:" TOKEN "]", NULL },
		{ "[postino:]", NULL },
		{ "[", NULL },
		{ "", NULL },
	};
	char tok[REQUEST_TOKEN_LEN + 1];
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(tok, 'z', sizeof(tok));
		got = request_subject_token(t[i].subject, tok);
		if (got != (t[i].want != NULL))
			fail_msg("%s: got %d", t[i].subject, got);
		if (got)
			assert_string_equal(tok, t[i].want);
	}
}

/* The decision in a moderator's reply: its first own line. */
static void
test_decision(void **state)
{
	static const struct {
		const char		*text;
		enum request_decision	 want;
		const char		*reason;
		const char		*line;
	} t[] = {
		{ "approve\n", REQUEST_APPROVE, "", "approve" },
		{ "Approve.\n\n> held\n", REQUEST_APPROVE, "", "Approve." },
		{ "approve fine by me\n", REQUEST_APPROVE, "fine by me", NULL },
		{ "\n\n  reject because it is an ad  \n", REQUEST_REJECT,
		    "because it is an ad", NULL },
		{ "Reject: off topic\n", REQUEST_REJECT, "off topic", NULL },
		{ "REJECT\n", REQUEST_REJECT, "", NULL },
		{ "discard\r\n", REQUEST_DISCARD, "", NULL },
		{ "rifiuta fuori tema\n", REQUEST_REJECT, "fuori tema", NULL },
		{ "approva\n", REQUEST_APPROVE, "", NULL },
		{ "scarta\n", REQUEST_DISCARD, "", NULL },
		/* quotes and their headers come first in bottom-posts */
		{ "On Mon, 1 Jan 2024, team wrote:\n> approve\n> x\n\n"
		    "discard\n", REQUEST_DISCARD, "", NULL },
		{ "Il giorno lun 1 gen 2024 alle 10:00 team\n"
		    "<team@example.org> ha scritto:\n> x\napprove ok\n",
		    REQUEST_APPROVE, "ok", NULL },
		/* nothing of his own, or words that decide nothing */
		{ "", REQUEST_UNDECIDED, "", "" },
		{ "\n\n> approve\n> reject spam\n", REQUEST_UNDECIDED, "",
		    "" },
		{ "-- \napprove\n", REQUEST_UNDECIDED, "", "" },
		{ "-----Original Message-----\napprove\n",
		    REQUEST_UNDECIDED, "", "" },
		{ "Hi,\napprove\n", REQUEST_UNDECIDED, "", "Hi," },
		{ "approved\n", REQUEST_UNDECIDED, "", "approved" },
		{ "I approve\n", REQUEST_UNDECIDED, "", "I approve" },
		{ "approvex\n", REQUEST_UNDECIDED, "", "approvex" },
	};
	struct request_decided d;
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (request_decision(t[i].text, strlen(t[i].text), &d) !=
		    t[i].want || d.what != t[i].want)
			fail_msg("%s: got %d", t[i].text, (int)d.what);
		assert_string_equal(d.reason, t[i].reason);
		if (t[i].line != NULL)
			assert_string_equal(d.line, t[i].line);
	}
	/* Long lines are cut, never overrun; the text need not end in a
	 * NUL or a newline. */
	buf_puts(&b, "reject ");
	for (i = 0; i < 2000; i++)
		buf_puts(&b, "x");
	assert_int_equal(request_decision(b.data, b.len, &d), REQUEST_REJECT);
	assert_int_equal(strlen(d.reason), REQUEST_REASON_MAX - 1);
	assert_int_equal(strlen(d.line), REQUEST_ARG_MAX - 1);
	assert_int_equal(request_decision("discard!!", 7, &d),
	    REQUEST_DISCARD);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_reply),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_subject_token),
		cmocka_unit_test(test_decision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
