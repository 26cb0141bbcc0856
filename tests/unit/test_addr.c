/*
 * test_addr.c — SMTP paths and addresses (reliability.md §4.A.6, 4.A.17,
 * §4.D).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"

struct path_case {
	const char	*label;
	const char	*in;
	int		 allow_null;
	int		 ok;
	const char	*want;		/* normalised, when ok */
	const char	*params;	/* what follows, when ok */
};

static const struct path_case path_cases[] = {
	{ "plain", "<a@example.org>", 0, 1, "a@example.org", "" },
	{ "space before", " <a@example.org>", 0, 1, "a@example.org", "" },
	{ "domain lower-cased", "<Bob@EXAMPLE.Org>", 0, 1, "Bob@example.org",
	    "" },
	{ "trailing dot", "<u@example.com.>", 0, 1, "u@example.com", "" },
	{ "params", "<a@b.c> SIZE=100 BODY=8BITMIME", 0, 1, "a@b.c",
	    "SIZE=100 BODY=8BITMIME" },
	{ "null allowed", "<>", 1, 1, "", "" },
	{ "null refused", "<>", 0, 0, NULL, NULL },
	{ "source route", "<@a.example,@b.example:u@c.example>", 0, 1,
	    "u@c.example", "" },
	{ "quoted local", "<\"a b\"@example.org>", 0, 1, "\"a b\"@example.org",
	    "" },
	{ "quoted @", "<\"a@b\"@c.example>", 0, 1, "\"a@b\"@c.example", "" },
	{ "plus", "<u+a+b@x.example>", 0, 1, "u+a+b@x.example", "" },
	{ "ip literal", "<u@[127.0.0.1]>", 0, 1, "u@[127.0.0.1]", "" },
	{ "ipv6 literal", "<u@[IPv6:::1]>", 0, 1, "u@[ipv6:::1]", "" },
	{ "no brackets", "a@example.org", 0, 0, NULL, NULL },
	{ "no closing", "<a@example.org", 0, 0, NULL, NULL },
	{ "empty local", "<@example.org>", 0, 0, NULL, NULL },
	{ "empty quoted", "<\"\"@example.org>", 0, 0, NULL, NULL },
	{ "no domain", "<user>", 0, 0, NULL, NULL },
	{ "local 65", "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@x.example>", 0, 0, NULL, NULL },
	{ "space inside", "<a b@example.org>", 0, 0, NULL, NULL },
	{ "garbage after", "<a@b.c>x", 0, 0, NULL, NULL },
	{ "CR inside", "<a\r@b.c>", 0, 0, NULL, NULL },
	{ "angle inside", "<a<b@c.d>", 0, 0, NULL, NULL },
	{ "shell chars", "<`id`@x.example>", 0, 1, "`id`@x.example", "" },
	{ "dots", "<a..b@x.example>", 0, 0, NULL, NULL },
	{ "path", "<../../x@y.example>", 0, 0, NULL, NULL },
	{ "8-bit", "<us\xc3\xa9r@x.example>", 0, 0, NULL, NULL },
	{ "idn", "<u@b\xc3\xbc" "cher.example>", 0, 0, NULL, NULL },
	{ "empty label", "<u@a..b>", 0, 0, NULL, NULL },
};

static void
test_parse_path(void **state)
{
	char out[ADDR_MAX];
	const char *params, *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];

		rc = addr_parse_path(c->in, c->allow_null, out, &params, &error);
		if (c->ok != (rc == 0))
			fail_msg("%s: got %d (%s)", c->label, rc,
			    rc ? error : out);
		if (c->ok) {
			assert_string_equal(out, c->want);
			assert_string_equal(params, c->params);
		}
	}
}

static void
test_long_domain(void **state)
{
	char in[600], out[ADDR_MAX];
	const char *error, *params;

	(void)state;
	memset(in, 'a', sizeof(in));
	memcpy(in, "<u@", 3);
	strcpy(in + 3 + 256, ">");
	assert_int_equal(addr_parse_path(in, 0, out, &params, &error), -1);
	memset(in, 'a', sizeof(in) - 1);
	in[0] = '<';
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(addr_parse_path(in, 0, out, &params, &error), -1);
}

static void
test_normalize_and_key(void **state)
{
	char out[ADDR_MAX], key[ADDR_MAX];
	const char *error;
	size_t llen;

	(void)state;
	assert_int_equal(addr_normalize("  <User@Example.COM> ", out, &error), 0);
	assert_string_equal(out, "User@example.com");
	addr_key(out, key);
	assert_string_equal(key, "user@example.com");
	assert_string_equal(addr_domain(out, &llen), "example.com");
	assert_int_equal(llen, 4);
	assert_int_equal(addr_normalize("no-at-sign", out, &error), -1);
	assert_string_equal(error, "address has no domain");
	assert_int_equal(addr_normalize("a@b@c", out, &error), -1);
}

/* reliability.md §4.D.42: both spellings of an IDN are one address. */
static void
test_idn(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;		/* NULL: refused */
	} cases[] = {
		{ "user@b\xc3\xbc" "cher.example", "user@xn--bcher-kva.example" },
		{ "user@B\xc3\x9c" "CHER.example", "user@xn--bcher-kva.example" },
		{ "user@xn--bcher-kva.example", "user@xn--bcher-kva.example" },
		{ "User@XN--BCHER-KVA.example", "User@xn--bcher-kva.example" },
		{ "us\xc3\xa9r@example.org", NULL },	/* needs SMTPUTF8 */
		{ "u@\xff\xfe.example", NULL },		/* not UTF-8 */
	};
	char out[ADDR_MAX];
	const char *error, *params;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = addr_normalize(cases[i].in, out, &error);

		if (cases[i].want == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", cases[i].in, error);
		assert_string_equal(out, cases[i].want);
	}
	/* An SMTP path without SMTPUTF8 stays ASCII-only. */
	assert_int_equal(addr_parse_path("<user@b\xc3\xbc" "cher.example>", 0,
	    out, &params, &error), -1);
}

/* Mailboxes as typed: display names kept, bad ones named precisely. */
static const struct {
	const char	*in;
	const char	*name;		/* NULL: refused */
	const char	*addr;		/* or the error */
} mailbox_cases[] = {
	{ "a@example.org", "", "a@example.org" },
	{ " <A@Example.ORG> ", "", "A@example.org" },
	{ "Alice Example <alice@example.org>", "Alice Example",
	    "alice@example.org" },
	{ "  Alice \t  Example   <alice@example.org>", "Alice Example",
	    "alice@example.org" },
	{ "\"Doe, Jane\" <jane@example.org>", "Doe, Jane",
	    "jane@example.org" },
	{ "\"A \\\"Q\\\" \\\\ B\" <q@x.org>", "A \"Q\" \\ B", "q@x.org" },
	{ "\"\" <e@x.org>", "", "e@x.org" },
	{ "Jos\xc3\xa9 \"Caf\xc3\xa8\" <j@x.org>", "Jos\xc3\xa9 Caf\xc3\xa8",
	    "j@x.org" },
	{ "\"\xe5\xb1\xb1\xe7\x94\xb0\"<y@x.org>", "\xe5\xb1\xb1\xe7\x94\xb0",
	    "y@x.org" },
	{ "Doe, Jane <jane@x.org>", "Doe, Jane", "jane@x.org" },
	{ "\"a<b\"@x.org", "", "\"a<b\"@x.org" },
	{ "\"Alice <alice@example.org>", NULL, "unbalanced quotes" },
	{ "Al\"ice <alice@example.org>", NULL, "unbalanced quotes" },
	{ "Eve\r\nBcc: all@x.org <e@x.org>", NULL,
	    "line break in the mailbox" },
	{ "\"Eve\x01\" <e@x.org>", NULL, "control character in the display name" },
	{ "Eve\x7f <e@x.org>", NULL, "control character in the display name" },
	{ "\xff\xfe <e@x.org>", NULL, "the display name is not UTF-8" },
	{ "\"\\\xc3\" <e@x.org>", NULL, "the display name is not UTF-8" },
	{ "Eve <e@x.org", NULL, "'<' without a closing '>'" },
	{ "Eve <e@x.org> x", NULL, "text after the '>' that closes the address" },
	{ "Eve > <e@x.org>", NULL, "'<' or '>' in the display name" },
	{ "Eve <e@x.org <f@x.org>>", NULL,
	    "text after the '>' that closes the address" },
	{ "Eve <>", NULL, "address has no domain" },
	{ "Eve <not-an-address>", NULL, "address has no domain" },
};

static void
test_mailbox(void **state)
{
	char name[ADDR_NAME_MAX], addr[ADDR_MAX], big[400];
	const char *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(mailbox_cases) / sizeof(mailbox_cases[0]);
	    i++) {
		const char *in = mailbox_cases[i].in;

		error = "";
		rc = addr_mailbox_parse(in, strlen(in), name, addr, &error);
		if (mailbox_cases[i].name == NULL) {
			if (rc != -1 || strcmp(error, mailbox_cases[i].addr))
				fail_msg("%s: rc %d, error '%s'", in, rc,
				    error);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", in, error);
		assert_string_equal(name, mailbox_cases[i].name);
		assert_string_equal(addr, mailbox_cases[i].addr);
	}
	/* 200 bytes of name are fine, 201 are not. */
	memset(big, 'n', 200);
	strcpy(big + 200, " <b@x.org>");
	assert_int_equal(addr_mailbox_parse(big, strlen(big), name, addr,
	    &error), 0);
	assert_int_equal(strlen(name), 200);
	memset(big, 'n', 201);
	strcpy(big + 201, " <b@x.org>");
	assert_int_equal(addr_mailbox_parse(big, strlen(big), name, addr,
	    &error), -1);
	assert_string_equal(error, "display name longer than 200 bytes");
	assert_int_equal(addr_name_literal("", 0, name, &error), 0);
	assert_string_equal(name, "");
	assert_int_equal(addr_name_literal(" A \"Al\"\tE ", 10, name, &error),
	    0);
	assert_string_equal(name, "A \"Al\" E");
	assert_int_equal(addr_name_literal("A\nB", 3, name, &error), -1);
	assert_string_equal(error, "line break in the display name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_long_domain),
		cmocka_unit_test(test_normalize_and_key),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_mailbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
