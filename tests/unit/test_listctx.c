/*
 * test_listctx.c — the one builder of a list's own addresses: split once,
 * then LIST+ext@ and LIST-word@ (issue 9, move 2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "listctx.h"

struct addr_case {
	const char	*label;
	const char	*list;
	const char	*delims;	/* recipient_delimiter */
	int		 dash;		/* list_addr_dash, else _ext */
	const char	*ext;
	int		 rc;
	const char	*want;		/* NULL: the split fails */
};

#define L63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"

static const struct addr_case cases[] = {
	{ "bounces", "team@example.org", "+", 0, "bounces", 0,
	    "team+bounces@example.org" },
	{ "request", "team@example.org", "+", 1, "request", 0,
	    "team-request@example.org" },
	{ "owner by dash", "team@example.org", "+", 1, "owner", 0,
	    "team-owner@example.org" },
	{ "first delimiter only", "team@example.org", "+-", 0, "help", 0,
	    "team+help@example.org" },
	{ "other delimiter", "team@example.org", "-", 0, "help", 0,
	    "team-help@example.org" },
	{ "empty delimiter is +", "team@example.org", "", 0, "help", 0,
	    "team+help@example.org" },
	{ "no delimiter is +", "team@example.org", NULL, 0, "help", 0,
	    "team+help@example.org" },
	{ "token", "t@x.example", "+", 0, "approve-abc", 0,
	    "t+approve-abc@x.example" },
	{ "too long, appended", L63 "@x.example", "+", 0, "help", -1,
	    L63 "+help@x.example" },
	{ "no at", "team", "+", 0, "help", 0, NULL },
	{ "empty local part", "@x.example", "+", 0, "help", 0, NULL },
	{ "no domain", "team@", "+", 0, "help", 0, NULL },
};

static void
test_addrs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *c = &cases[i];
		struct list_name ln;
		struct buf out = BUF_INIT;
		int rc;

		print_message("%s\n", c->label);
		if (c->want == NULL) {
			assert_int_equal(list_name_split(c->list, c->delims,
			    &ln), -1);
			continue;
		}
		assert_int_equal(list_name_split(c->list, c->delims, &ln), 0);
		rc = c->dash ? list_addr_dash(&ln, c->ext, &out) :
		    list_addr_ext(&ln, c->ext, &out);
		assert_int_equal(rc, c->rc);
		assert_string_equal(out.data, c->want);
		buf_free(&out);
	}
}

static void
test_override_dir(void **state)
{
	struct config cfg;
	char *dir;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.database = "/var/lib/postino/postino.db";
	dir = list_override_dir(&cfg, "team@example.org");
	assert_string_equal(dir, "/var/lib/postino/lists/team@example.org");
	free(dir);
	cfg.database = "postino.db";
	dir = list_override_dir(&cfg, "team@example.org");
	assert_string_equal(dir, "lists/team@example.org");
	free(dir);
	/* A PostgreSQL URI names no directory: the key file's. */
	cfg.database = "postgresql:///postino?host=/run/postgresql";
	cfg.secret_file = "/var/lib/postino/postino.key";
	dir = list_override_dir(&cfg, "team@example.org");
	assert_string_equal(dir, "/var/lib/postino/lists/team@example.org");
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_override_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
