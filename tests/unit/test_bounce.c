/*
 * test_bounce.c — delivery-status reports (msg_dsn.c) and their
 * classification (bounce.c): tests/data/dsn-*.eml written from the
 * published formats of Exim, Gmail and Exchange, the rules of
 * bounce_classify as a table, and the scoring rows (store_bounce.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounce.h"
#include "buf.h"
#include "msg.h"
#include "msg_dsn.h"
#include "store.h"

static const struct {
	const char		*file;
	int			 found;		/* a report at all */
	size_t			 n;		/* recipients read */
	const char		*final, *original, *action, *status;
	const char		*diag_prefix;
	enum bounce_kind	 kind;
} reports[] = {
	{ "dsn-exim", 1, 1, "bob@example.net", "", "failed", "5.0.0",
	    "550 5.1.1 <bob@example.net>", BOUNCE_HARD },
	{ "dsn-exim-delayed", 1, 1, "carol@example.net", "", "delayed",
	    "4.0.0", "451 4.3.0", BOUNCE_SOFT },
	{ "dsn-gmail", 1, 1, "Dave@gmail.example", "", "failed", "5.1.1",
	    "The email account that you tried to reach does not exist. Please"
	    " try double-checking", BOUNCE_HARD },
	{ "dsn-gmail-dmarc", 1, 1, "erin@gmail.example", "", "failed",
	    "5.7.26", "550-5.7.26 Unauthenticated", BOUNCE_EXEMPT },
	{ "dsn-exchange", 1, 1, "frank@contoso.example",
	    "Frank@contoso.example", "failed", "5.1.10",
	    "550 5.1.10 RESOLVER.ADR.RecipientNotFound", BOUNCE_HARD },
	{ "dsn-exchange-full", 1, 1, "grace@contoso.example", "", "failed",
	    "5.2.2", "554 5.2.2 mailbox full", BOUNCE_EXEMPT },
	{ "dsn-vacation", 0, 0, NULL, NULL, NULL, NULL, NULL, BOUNCE_NONE },
};

static char *
slurp(const char *name, size_t *len_r)
{
	char path[256];
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "tests/data/%s.eml", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b, len_r);
}

static void
test_reports(void **state)
{
	struct msg_dsn_rcpt v[MSG_DSN_MAX];
	const char *error;
	struct msg *m;
	size_t i, n, len;
	char *data;

	(void)state;
	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		print_message("%s\n", reports[i].file);
		data = slurp(reports[i].file, &len);
		assert_int_equal(msg_parse(data, len, &m, &error), 0);
		assert_int_equal(msg_dsn_parse(m, v, MSG_DSN_MAX, &n),
		    reports[i].found);
		assert_int_equal(n, reports[i].n);
		if (n > 0) {
			assert_string_equal(v[0].final, reports[i].final);
			assert_string_equal(v[0].original, reports[i].original);
			assert_string_equal(v[0].action, reports[i].action);
			assert_string_equal(v[0].status, reports[i].status);
			assert_memory_equal(v[0].diag, reports[i].diag_prefix,
			    strlen(reports[i].diag_prefix));
			assert_int_equal(bounce_classify(v[0].action,
			    v[0].status, v[0].diag), reports[i].kind);
		}
		msg_free(&m);
		free(data);
	}
}

static const struct {
	const char		*label, *action, *status, *diag;
	enum bounce_kind	 want;
} classes[] = {
	{ "unknown user", "failed", "5.1.1", "550 User unknown", BOUNCE_HARD },
	{ "failed, no status", "failed", "", "", BOUNCE_HARD },
	{ "delayed", "delayed", "4.4.1", "connection timed out", BOUNCE_SOFT },
	{ "delayed, 5.x status", "delayed", "5.0.0", "", BOUNCE_SOFT },
	{ "temporary", "failed", "4.3.0", "", BOUNCE_SOFT },
	{ "spam", "failed", "5.7.1", "550 5.7.1 message rejected as spam",
	    BOUNCE_EXEMPT },
	{ "dmarc", "failed", "5.7.26", "", BOUNCE_EXEMPT },
	{ "dmarc soft", "failed", "4.7.26", "", BOUNCE_EXEMPT },
	{ "mailbox full", "failed", "5.2.2", "", BOUNCE_EXEMPT },
	{ "quota in words", "failed", "5.0.0", "552 user is over quota",
	    BOUNCE_EXEMPT },
	{ "delivered", "delivered", "2.0.0", "", BOUNCE_NONE },
	{ "relayed", "relayed", "2.0.0", "", BOUNCE_NONE },
	{ "nonsense", "", "x.y.z", "", BOUNCE_NONE },
};

static void
test_classify(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		print_message("%s\n", classes[i].label);
		assert_int_equal(bounce_classify(classes[i].action,
		    classes[i].status, classes[i].diag), classes[i].want);
	}
}

/* A journal row classifies as the report it came from. */
static void
test_classify_text(void **state)
{
	(void)state;
	assert_int_equal(bounce_classify_text(550, "5.1.1 User unknown"),
	    BOUNCE_HARD);
	assert_int_equal(bounce_classify_text(450, "4.0.0 try later"),
	    BOUNCE_SOFT);
	assert_int_equal(bounce_classify_text(550, "5.7.26 DMARC"),
	    BOUNCE_EXEMPT);
	assert_int_equal(bounce_classify_text(550, "no status here"),
	    BOUNCE_HARD);
	assert_int_equal(bounce_classify_text(421, "Service unavailable"),
	    BOUNCE_SOFT);
	/* The relay's reply as recorded by the delivery engine. */
	assert_int_equal(bounce_classify_text(550, "550 5.7.1 policy"),
	    BOUNCE_EXEMPT);
	assert_int_equal(bounce_classify_text(550, "550 5.1.1 <a@b>: unknown"),
	    BOUNCE_HARD);
	assert_int_equal(bounce_classify_text(552, "552-5.2.2 over limit"),
	    BOUNCE_EXEMPT);
}

/*
 * Mailman's scoring in the store: {label, day, hour, weight, want
 * counted, want score}; the stale time is 7 days.
 */
#define DAY	86400
#define STALE	(7 * DAY)
static const struct {
	const char	*label;
	int		 day, hour;
	double		 weight;
	int		 counted;
	double		 score;
} scores[] = {
	{ "first hard bounce", 100, 1, 1.0, 1, 1.0 },
	{ "same day: not again", 100, 20, 1.0, 0, 1.0 },
	{ "next day: soft adds half", 101, 0, 0.5, 1, 1.5 },
	{ "a week later, fresh", 101 + 8, 0, 1.0, 1, 1.0 },
	{ "six days later adds", 109 + 6, 0, 1.0, 1, 2.0 },
};

static void
test_scoring(void **state)
{
	char dir[] = "/tmp/postino-test-bounce-XXXXXX", path[96], p2[128];
	struct store_bounce b;
	struct store *st;
	const char *error;
	int64_t list, member;
	double score;
	size_t i;
	time_t now;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, STORE_DURABLE, &st, &error), 0);
	assert_int_equal(store_list_create(st, "team@example.org", &list), 0);
	assert_int_equal(store_member_add(st, list, "bob@example.net",
	    MODE_EACH, &member), 0);
	for (i = 0; i < sizeof(scores) / sizeof(scores[0]); i++) {
		print_message("%s\n", scores[i].label);
		now = (time_t)scores[i].day * DAY + scores[i].hour * 3600;
		assert_int_equal(store_bounce_score(st, list, member, now,
		    scores[i].weight, "5.1.1 x", STALE, &score),
		    scores[i].counted);
		assert_true(score == scores[i].score);
	}
	/* Stale: reset by the hourly task after 7 days without bounces. */
	now = (time_t)(115 + 7) * DAY + 1;
	assert_int_equal(store_bounce_stale(st, list, now - STALE), 1);
	assert_int_equal(store_bounce_get(st, member, &b), 1);
	assert_true(b.score == 0 && b.disabled == 0);
	store_bounce_clear(&b);
	/* Disabled: due at once, then warned; reset enables again. */
	assert_int_equal(store_bounce_disable(st, member, now, "5.1.1 x", now),
	    0);
	assert_int_equal(store_bounce_pending(st, now), 1);
	assert_int_equal(store_bounce_warned(st, member, now + DAY), 0);
	assert_int_equal(store_bounce_pending(st, now), 0);
	assert_int_equal(store_bounce_get(st, member, &b), 1);
	assert_true(b.disabled == now && b.warnings == 1);
	store_bounce_clear(&b);
	assert_int_equal(store_bounce_reset(st, member), 1);
	assert_int_equal(store_bounce_get(st, member, &b), 1);
	assert_true(b.disabled == 0 && b.score == 0 && b.warnings == 0);
	store_bounce_clear(&b);
	store_close(&st);
	snprintf(p2, sizeof(p2), "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", path);
	unlink(p2);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_text),
		cmocka_unit_test(test_scoring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
