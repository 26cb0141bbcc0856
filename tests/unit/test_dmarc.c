/*
 * test_dmarc.c — the DMARC record parser (RFC 7489 §6.3, §6.6.3), the
 * TTL reader of DNS answers, the organizational domain, and the copies
 * msg_decorate writes for munge and wrap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "dmarc.h"
#include "msg.h"

#define BAD	-1

struct parse_case {
	const char		*label;
	const char		*in;
	int			 p;	/* enum dmarc_policy, or BAD */
	int			 sp;
};

static const struct parse_case parse_cases[] = {
	{ "reject", "v=DMARC1; p=reject", DMARC_REJECT, DMARC_REJECT },
	{ "quarantine", "v=DMARC1;p=quarantine", DMARC_QUARANTINE,
	    DMARC_QUARANTINE },
	{ "none", "v=DMARC1; p=none; rua=mailto:d@example.org", DMARC_NONE,
	    DMARC_NONE },
	{ "sp", "v=DMARC1; p=reject; sp=none", DMARC_REJECT, DMARC_NONE },
	{ "sp first", "v=DMARC1; sp=quarantine; p=none", DMARC_NONE,
	    DMARC_QUARANTINE },
	{ "blanks", "  v = DMARC1 ;\tp = Reject ; ", DMARC_REJECT,
	    DMARC_REJECT },
	{ "empty tags", "v=DMARC1;;p=reject;;", DMARC_REJECT, DMARC_REJECT },
	{ "unknown tags", "v=DMARC1; p=reject; pct=20; adkim=s; fo=1",
	    DMARC_REJECT, DMARC_REJECT },
	{ "first p wins", "v=DMARC1; p=none; p=reject", DMARC_NONE,
	    DMARC_NONE },
	{ "bad sp ignored", "v=DMARC1; p=reject; sp=maybe", DMARC_REJECT,
	    DMARC_REJECT },
	{ "bad p with rua", "v=DMARC1; p=maybe; rua=mailto:a@b.c", DMARC_NONE,
	    DMARC_NONE },
	{ "no p with rua", "v=DMARC1; rua=mailto:a@b.c", DMARC_NONE,
	    DMARC_NONE },
	{ "no p", "v=DMARC1; sp=reject", BAD, 0 },
	{ "bad p", "v=DMARC1; p=rejected", BAD, 0 },
	{ "empty rua", "v=DMARC1; rua=", BAD, 0 },
	{ "v not first", "p=reject; v=DMARC1", BAD, 0 },
	{ "v lower case", "v=dmarc1; p=reject", BAD, 0 },
	{ "v2", "v=DMARC2; p=reject", BAD, 0 },
	{ "spf", "v=spf1 -all", BAD, 0 },
	{ "empty", "", BAD, 0 },
	{ "only v", "v=DMARC1", BAD, 0 },
	{ "tag without =", "v=DMARC1; reject", BAD, 0 },
	{ "only semicolons", ";;;", BAD, 0 },
	{ "NUL inside", "v=DMARC1; p=re\0ject", BAD, 0 },
};

static void
test_parse(void **state)
{
	const struct parse_case *c;
	struct dmarc_record r;
	const char *why;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		c = &parse_cases[i];
		n = strlen(c->in);
		if (strcmp(c->label, "NUL inside") == 0)
			n = 19;
		why = NULL;
		rc = dmarc_parse(c->in, n, &r, &why);
		if (c->p == BAD) {
			if (rc != -1 || why == NULL)
				fail_msg("%s: accepted", c->label);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: refused: %s", c->label, why);
		if ((int)r.p != c->p || (int)r.sp != c->sp)
			fail_msg("%s: p %d sp %d, want %d %d", c->label, r.p,
			    r.sp, c->p, c->sp);
	}
}

static void
test_names(void **state)
{
	enum dmarc_policy p, back;

	(void)state;
	for (p = DMARC_ABSENT; p <= DMARC_FAIL; p++) {
		assert_int_equal(dmarc_policy_from_name(dmarc_policy_name(p),
		    &back), 0);
		assert_int_equal(back, p);
	}
	assert_int_equal(dmarc_policy_from_name("REJECT", &back), -1);
	assert_false(dmarc_must_mitigate(DMARC_ABSENT));
	assert_false(dmarc_must_mitigate(DMARC_NONE));
	assert_true(dmarc_must_mitigate(DMARC_QUARANTINE));
	assert_true(dmarc_must_mitigate(DMARC_REJECT));
	assert_true(dmarc_must_mitigate(DMARC_FAIL));
}

static void
test_org_domain(void **state)
{
	static const char *const cases[][2] = {
		{ "example.org", "example.org" },
		{ "mail.example.org", "example.org" },
		{ "a.b.example.co.uk", "example.co.uk" },
		{ "sub.example.test", "example.test" },
		{ "co.uk", "" },
		{ "com", "" },
	};
	char org[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dmarc_org_domain(cases[i][0], org,
		    sizeof(org)), 0);
		assert_string_equal(org, cases[i][1]);
	}
	assert_int_equal(dmarc_org_domain("mail.example.org", org, 5), -1);
}

/* A TXT answer for _dmarc.a.b with TTL ttl (compressed name). */
static size_t
answer(unsigned char *a, unsigned long ttl)
{
	static const unsigned char hdr[] = { 0x12, 0x34, 0x81, 0x80, 0, 1,
	    0, 1, 0, 0, 0, 0, 6, '_', 'd', 'm', 'a', 'r', 'c', 1, 'a', 1, 'b',
	    0, 0, 16, 0, 1, 0xc0, 12, 0, 16, 0, 1 };
	size_t n = sizeof(hdr);

	memcpy(a, hdr, n);
	a[n++] = (unsigned char)(ttl >> 24);
	a[n++] = (unsigned char)(ttl >> 16);
	a[n++] = (unsigned char)(ttl >> 8);
	a[n++] = (unsigned char)ttl;
	a[n++] = 0;
	a[n++] = 4;
	memcpy(a + n, "\003v=D", 4);
	return n + 4;
}

static void
test_answer_ttl(void **state)
{
	unsigned char a[128];
	size_t n, cut;

	(void)state;
	n = answer(a, 600);
	assert_int_equal(dmarc_answer_ttl(a, n), 600);
	n = answer(a, 0xffffffffUL);
	assert_int_equal(dmarc_answer_ttl(a, n), 0x7fffffffL);
	/* Truncated anywhere: never read past the end, never a TTL made
	 * of missing bytes. */
	for (cut = 0; cut < n - 6; cut++)
		assert_int_equal(dmarc_answer_ttl(a, cut), -1);
	a[12] = 0xc0;	/* a pointer cut short in the question */
	assert_int_equal(dmarc_answer_ttl(a, 13), -1);
	a[12] = 0x80;	/* reserved label type */
	assert_int_equal(dmarc_answer_ttl(a, n), -1);
}

/* ---- the copies --------------------------------------------------------- */

static const char post[] =
    "From: =?utf-8?q?Jos=C3=A9?= <jose@reject.example>\r\n"
    "To: team@example.org\r\n"
    "Cc: other@example.net\r\n"
    "Subject: hello\r\n"
    "Message-ID: <1@x>\r\n"
    "DKIM-Signature: v=1; d=reject.example\r\n"
    "\r\n"
    "Body.\r\n";

static void
decorate(int how, int reply_list, struct buf *out)
{
	struct decorate d;
	struct msg *m = NULL;
	const char *why;

	memset(&d, 0, sizeof(d));
	d.list_addr = "team@example.org";
	d.list_id = "team.example.org";
	d.help_addr = "team+help@example.org";
	d.subscribe_addr = "team+subscribe@example.org";
	d.unsubscribe_addr = "team+unsubscribe@example.org";
	d.owner_addr = "team+owner@example.org";
	d.subject_prefix = "[team]";
	d.footer = "Leave: team+unsubscribe@example.org";
	d.dmarc = how;
	d.via = "team";
	d.reply_to_list = reply_list;
	assert_int_equal(msg_parse(post, sizeof(post) - 1, &m, &why), 0);
	assert_int_equal(msg_decorate(m, &d, out, &why), 0);
	buf_puts(out, "");
	msg_free(&m);
}

static void
test_munge(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	decorate(DECORATE_DMARC_MUNGE, 0, &out);
	assert_non_null(strstr(out.data, "\r\nFrom: =?utf-8?q?Jos=C3=A9_via_"
	    "team?= <team@example.org>\r\n"));
	assert_non_null(strstr(out.data, "\r\nX-Original-From: =?utf-8?q?"
	    "Jos=C3=A9?= <jose@reject.example>\r\n"));
	assert_non_null(strstr(out.data, "\r\nReply-To: =?utf-8?q?"
	    "Jos=C3=A9?= <jose@reject.example>\r\n"));
	assert_non_null(strstr(out.data, "\r\nCc: other@example.net\r\n"));
	assert_non_null(strstr(out.data, "Subject: [team] hello\r\n"));
	assert_null(strstr(out.data, "\nFrom: =?utf-8?q?Jos=C3=A9?="));
	assert_non_null(strstr(out.data, "Body.\r\n"));
	buf_free(&out);
	decorate(DECORATE_DMARC_MUNGE, 1, &out);
	assert_non_null(strstr(out.data, "\r\nReply-To: <team@example.org>"
	    "\r\n"));
	assert_non_null(strstr(out.data, "\r\nCc: other@example.net, "
	    "=?utf-8?q?Jos=C3=A9?= <jose@reject.example>\r\n"));
	buf_free(&out);
}

static void
test_wrap(void **state)
{
	struct buf out = BUF_INIT;
	const char *inner, *hdr_end, *dkim;

	(void)state;
	decorate(DECORATE_DMARC_WRAP, 0, &out);
	assert_non_null(strstr(out.data, "From: =?utf-8?q?Jos=C3=A9_via_"
	    "team?= <team@example.org>\r\n"));
	assert_non_null(strstr(out.data, "Content-Type: multipart/mixed;"));
	/* The author's signature stays inside, with what it signed. */
	hdr_end = strstr(out.data, "\r\n\r\n");
	assert_non_null(hdr_end);
	dkim = strstr(out.data, "DKIM-Signature");
	assert_true(dkim != NULL && dkim > hdr_end);
	inner = strstr(out.data, "Content-Type: message/rfc822\r\n");
	assert_non_null(inner);
	/* The original, byte for byte, then the footer part. */
	inner = strstr(inner, "\r\n\r\n");
	assert_non_null(inner);
	assert_memory_equal(inner + 4, post, sizeof(post) - 1);
	assert_non_null(strstr(inner, "Leave: team+unsubscribe@example.org"));
	buf_free(&out);
}

static void
test_plain_name_quoted(void **state)
{
	static const char ascii[] = "From: \"Doe, John\" <j@x.example>\r\n"
	    "Subject: s\r\n\r\nb\r\n";
	static const char bare[] = "From: j@x.example\r\nSubject: s\r\n\r\n"
	    "b\r\n";
	struct decorate d;
	struct buf out = BUF_INIT;
	struct msg *m = NULL;
	const char *why;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.list_addr = "team@example.org";
	d.list_id = "team.example.org";
	d.help_addr = d.subscribe_addr = d.unsubscribe_addr =
	    d.owner_addr = "team+help@example.org";
	d.subject_prefix = "";
	d.dmarc = DECORATE_DMARC_MUNGE;
	d.via = "team";
	assert_int_equal(msg_parse(ascii, sizeof(ascii) - 1, &m, &why), 0);
	assert_int_equal(msg_decorate(m, &d, &out, &why), 0);
	buf_puts(&out, "");
	assert_non_null(strstr(out.data, "From: \"Doe, John via team\" "
	    "<team@example.org>\r\n"));
	msg_free(&m);
	buf_reset(&out);
	assert_int_equal(msg_parse(bare, sizeof(bare) - 1, &m, &why), 0);
	assert_int_equal(msg_decorate(m, &d, &out, &why), 0);
	buf_puts(&out, "");
	assert_non_null(strstr(out.data, "From: \"j at x.example via team\" "
	    "<team@example.org>\r\n"));
	d.via = "bad\r\nvia";
	assert_int_equal(msg_decorate(m, &d, &out, &why), -1);
	msg_free(&m);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_org_domain),
		cmocka_unit_test(test_answer_ttl),
		cmocka_unit_test(test_munge),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_plain_name_quoted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
