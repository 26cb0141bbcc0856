/*
 * test_cmdaddr.c — the command address table: which extensions of a
 * list exist (the router refuses every other one at RCPT time), what
 * each names, and its token.
 *
 * Each row is {label, extension, want}; want is "word" or "word token"
 * (the row's word and what cmdaddr_parse took as the token), or NULL
 * when the extension is no address of ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmdaddr.h"
#include "personal.h"

#define ID	"aaaaaaab"		/* member 1 */
#define POST	"aaaaaaac"		/* post 2 */
#define MAC	"abcdefgh23456777"	/* the shape of a MAC */
#define TOK	"abcdefghijklmnopqrstuvwx23"

static const struct {
	const char	*label;
	const char	*ext;
	const char	*want;
} cases[] = {
	/* README, "For members: everything by mail" */
	{ "subscribe", "subscribe", "subscribe" },
	{ "unsubscribe", "unsubscribe", "unsubscribe" },
	{ "digest", "digest", "digest" },
	{ "nomail", "nomail", "nomail" },
	{ "each", "each", "each" },
	{ "digest-plain", "digest-plain", "digest-plain" },
	{ "digest-mime", "digest-mime", "digest-mime" },
	{ "follow", "follow", "follow" },
	{ "mute", "mute", "mute" },
	{ "help", "help", "help" },
	{ "owner", "owner", "owner" },
	{ "rules", "rules", "rules" },
	{ "log", "log", "log" },
	{ "request (LIST-request@ and LIST+request@)", "request", "request" },
	/* synonyms, any case */
	{ "join", "join", "subscribe" },
	{ "leave", "leave", "unsubscribe" },
	{ "signoff", "signoff", "unsubscribe" },
	{ "remove", "remove", "unsubscribe" },
	{ "info", "info", "help" },
	{ "upper case", "SUBSCRIBE", "subscribe" },
	/* tokens */
	{ "confirm-TOKEN", "confirm-" TOK, "confirm " TOK },
	{ "approve-TOKEN", "approve-" TOK, "approve " TOK },
	{ "reject-TOKEN", "reject-" TOK, "reject " TOK },
	{ "appeal-TOKEN", "appeal-" TOK, "appeal " TOK },
	{ "uphold-TOKEN", "uphold-" TOK, "uphold " TOK },
	{ "overturn-TOKEN", "overturn-" TOK, "overturn " TOK },
	{ "post-TOKEN (an owner's post confirmed)", "post-" TOK, "post " TOK },
	{ "a wrong token is the handler's to answer", "confirm-x1",
	    "confirm x1" },
	{ "a token with a dash", "confirm-ab-cd", "confirm ab-cd" },
	/* bounces: never refused, whatever follows */
	{ "bounces", "bounces", "bounces" },
	{ "bounces-ID-MAC", "bounces-" ID "-" MAC, "bounces " ID "-" MAC },
	{ "bounces-anything", "bounces-abc-def", "bounces abc-def" },
	/* personal links */
	{ "leave link", "u-" ID "-" MAC, "u " ID "-" MAC },
	{ "digest link", "d-" ID "-" MAC, "d " ID "-" MAC },
	{ "mute link", "m-" ID "-" POST "-" MAC, "m " ID "-" POST "-" MAC },
	/* refused at RCPT time */
	{ "nonsense", "nonsense", NULL },
	{ "empty", "", NULL },
	{ "dash alone", "-", NULL },
	{ "confirm without a token", "confirm", NULL },
	{ "confirm with an empty token", "confirm-", NULL },
	{ "approve without a token", "approve", NULL },
	{ "post without a token", "post", NULL },
	{ "post with an empty token", "post-", NULL },
	{ "a word with a token it does not take", "subscribe-" TOK, NULL },
	{ "request with a token", "request-x", NULL },
	{ "-request only: set", "set", NULL },
	{ "-request only: end", "end", NULL },
	{ "-request only: stop", "stop", NULL },
	{ "an unknown digest format", "digest-foo", NULL },
	{ "bounces run on", "bouncesx", NULL },
	{ "bounces with an empty rest", "bounces-", NULL },
	{ "link of the wrong shape", "u-garbage", NULL },
	{ "link without a MAC", "u-" ID, NULL },
	{ "link with a short MAC", "u-" ID "-abc", NULL },
	{ "mute link without its post", "m-" ID "-" MAC, NULL },
	{ "leave link with a post", "u-" ID "-" POST "-" MAC, NULL },
	{ "an unknown link letter", "x-" ID "-" MAC, NULL },
};

static void
test_parse(void **state)
{
	struct cmdaddr ca;
	char got[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = cmdaddr_parse(cases[i].ext, &ca);
		if (rc == 1)
			snprintf(got, sizeof(got), "%s%s%s", ca.row->word,
			    *ca.arg ? " " : "", ca.arg);
		if (cases[i].want == NULL && rc != 0)
			fail_msg("%s: '%s' read as '%s', want refused",
			    cases[i].label, cases[i].ext, got);
		if (cases[i].want != NULL && (rc != 1 ||
		    strcmp(got, cases[i].want) != 0))
			fail_msg("%s: '%s' %s, want '%s'", cases[i].label,
			    cases[i].ext, rc == 1 ? got : "refused",
			    cases[i].want);
	}
}

/* A link's parts are read once, for the handler. */
static void
test_link_parts(void **state)
{
	struct cmdaddr ca;

	(void)state;
	assert_int_equal(cmdaddr_parse("m-" ID "-" POST "-" MAC, &ca), 1);
	assert_int_equal(ca.row->action, CA_LINK);
	assert_int_equal(ca.row->word[0], PERSONAL_MUTE);
	assert_int_equal(ca.member, 1);
	assert_int_equal(ca.post, 2);
	assert_string_equal(ca.mac, MAC);
	assert_int_equal(cmdaddr_parse("u-" ID "-" MAC, &ca), 1);
	assert_int_equal(ca.row->word[0], PERSONAL_LEAVE);
	assert_int_equal(ca.post, 0);
}

/* Words by place: -request lines, LIST-word@ suffixes. */
static void
test_word(void **state)
{
	const struct cmdaddr_row *r;

	(void)state;
	assert_non_null(r = cmdaddr_word("SET", 3, CA_REQ));
	assert_int_equal(r->action, CA_SET);
	assert_int_equal(r->arg, CA_ARG_MODE);
	assert_non_null(r = cmdaddr_word("stop", 4, CA_REQ));
	assert_int_equal(r->action, CA_END);
	assert_non_null(r = cmdaddr_word("confirm", 7, CA_REQ));
	assert_int_equal(r->arg, CA_ARG_TOKEN);
	assert_non_null(r = cmdaddr_word("join", 4, CA_REQ));
	assert_string_equal(r->word, "subscribe");
	assert_null(cmdaddr_word("rules", 5, CA_REQ));
	assert_null(cmdaddr_word("approve", 7, CA_REQ));
	assert_null(cmdaddr_word("subscribex", 10, CA_REQ));
	assert_null(cmdaddr_word("subscribe", 8, CA_REQ));	/* a prefix */
	assert_non_null(cmdaddr_word("request", 7, CA_SUFFIX));
	assert_non_null(cmdaddr_word("owner", 5, CA_SUFFIX));
	assert_null(cmdaddr_word("subscribe", 9, CA_SUFFIX));
	assert_null(cmdaddr_word("bounces", 7, CA_SUFFIX));
}

/* Every row reads back as itself, every synonym as its row, and every
 * action has a row: the table is consistent with its reader. */
static void
test_every_row(void **state)
{
	const struct cmdaddr_row *r;
	struct cmdaddr ca;
	char ext[64];
	int seen[CA_NACTIONS];
	size_t i, k;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (i = 0; (r = cmdaddr_row(i)) != NULL; i++) {
		seen[r->action] = 1;
		assert_true(r->where != 0);
		assert_true(r->token == CA_TOK_NONE || r->purpose != NULL);
		if ((r->where & CA_EXT) == 0)
			continue;
		if (r->token == CA_TOK_LINK)
			snprintf(ext, sizeof(ext), "%s-%s%s-%s", r->word, ID,
			    r->word[0] == PERSONAL_MUTE ? "-" POST : "", MAC);
		else if (r->token == CA_TOK_NEEDED)
			snprintf(ext, sizeof(ext), "%s-%s", r->word, TOK);
		else
			snprintf(ext, sizeof(ext), "%s", r->word);
		assert_int_equal(cmdaddr_parse(ext, &ca), 1);
		assert_ptr_equal(ca.row, r);
		for (k = 0; r->synonyms[k] != NULL; k++)
			assert_ptr_equal(cmdaddr_word(r->synonyms[k],
			    strlen(r->synonyms[k]), r->where), r);
	}
	for (i = 0; i < CA_NACTIONS; i++)
		if (!seen[i])
			fail_msg("action %zu has no row", i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_link_parts),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_every_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
