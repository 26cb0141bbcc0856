/*
 * test_modlog.c — the moderation log (modlog.c, store_modlog.c): the
 * hash chain over two lists, every kind of tampering done directly in
 * SQLite and the first broken entry it must name, reading newest first,
 * the summary's counts and median, moderators' pseudonyms, and the
 * LIST+log@ report's placeholders.
 *
 * Each test opens a fresh database and master key in its own temporary
 * directory.  Tampering goes through the raw handle (store_int.h), as an
 * attacker with the database file would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/store_int.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "modlog.h"
#include "modlog_report.h"
#include "store.h"
#include "token.h"

#define NA	60	/* entries of list a */
#define NB	40	/* entries of list b */

struct fixture {
	char		 dir[64];
	char		 db[96];
	char		 key[96];
	struct store	*st;
	int64_t		 a, b;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error = NULL;
	char *kerr = NULL;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/postino-test-modlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/key", f->dir);
	if (token_init(f->key, &kerr) < 0)
		fail_msg("token_init: %s", kerr);
	assert_int_equal(store_open(f->db, STORE_DURABLE, &f->st, &error), 0);
	assert_int_equal(store_list_create(f->st, "a@example.org", &f->a), 0);
	assert_int_equal(store_list_create(f->st, "b@example.org", &f->b), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(&f->st);
	token_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

static void
sql(struct store *st, const char *fmt, ...)
{
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (db_exec(st->db, q) < 0)
		fail_msg("%s: %s", q, db_errmsg(st->db));
}

/* The single integer a query returns. */
static int64_t
q_int(struct store *st, const char *q)
{
	struct db_stmt *stmt = db_query(st->db, q, "");
	int64_t v;

	assert_non_null(stmt);
	assert_int_equal(db_step(stmt), DB_ROW);
	v = db_col_int64(stmt, 0);
	db_reset(stmt);
	return v;
}

static void
append(struct store *st, int64_t list, time_t t, const char *action,
    int64_t post, const char *moderator, int64_t want_seq)
{
	struct modlog_entry e;
	char msgid[64], subject[64];

	memset(&e, 0, sizeof(e));
	snprintf(msgid, sizeof(msgid), "<%lld.%lld@example.org>",
	    (long long)list, (long long)post);
	snprintf(subject, sizeof(subject), "Post n. %lld — è", (long long)post);
	e.time = t;
	e.action = action;
	e.post_id = post;
	e.msgid = msgid;
	e.subject = subject;
	e.rule = post % 3 == 0 ? "links" : "";
	e.reason = strcmp(action, MODLOG_REJECTED) == 0 ? "off topic" : "";
	e.moderator = moderator;
	assert_int_equal(modlog_append(st, list, &e), 0);
	assert_int_equal(e.seq, want_seq);
}

/* 60 entries in list a and 40 in b, interleaved, 10 per transaction. */
static void
fill(struct fixture *f)
{
	static const char *const actions[] = { MODLOG_HELD, MODLOG_APPROVED,
	    MODLOG_REJECTED, MODLOG_DISCARDED };
	int i, na = 0, nb = 0;

	for (i = 0; i < NA + NB; i++) {
		if (i % 10 == 0)
			assert_int_equal(store_begin(f->st), 0);
		if (i % 5 < 3 || nb == NB)
			append(f->st, f->a, 1000 + i, actions[i % 4], i / 2,
			    i % 2 ? "Mod@Example.org" : "", ++na);
		else
			append(f->st, f->b, 1000 + i, actions[i % 4], i / 2,
			    "other@example.org", ++nb);
		if (i % 10 == 9)
			assert_int_equal(store_commit(f->st), 0);
	}
	assert_int_equal(na, NA);
	assert_int_equal(nb, NB);
}

static void
expect_intact(struct store *st, int64_t list, int64_t n)
{
	struct modlog_check c;
	int64_t bad = -1;

	assert_int_equal(modlog_verify(st, list, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(modlog_check(st, list, &c), 0);
	assert_int_equal(c.entries, n);
	assert_int_equal(c.head_seq, n);
	assert_null(c.what);
}

/* ---- the chain ------------------------------------------------------ */

static void
test_intact(void **state)
{
	struct fixture *f = *state;
	struct modlog_check c;
	uint8_t zero[MODLOG_HASH] = { 0 };

	expect_intact(f->st, f->a, 0);
	assert_int_equal(modlog_check(f->st, f->a, &c), 0);
	assert_memory_equal(c.head, zero, MODLOG_HASH);
	fill(f);
	expect_intact(f->st, f->a, NA);
	expect_intact(f->st, f->b, NB);
	/* The first entry links to 32 zero bytes, each next to the last. */
	assert_int_equal(q_int(f->st, "SELECT count(*) FROM modlog WHERE"
	    " seq = 1 AND prev = zeroblob(32)"), 2);
}

/* Each row: what an attacker did to list a, the entry verify must name
 * (in a), and in b (0: b stays intact). */
static const struct tamper {
	const char	*label;
	const char	*sql;		/* %1$lld is list a, %2$lld list b */
	int64_t		 want_a, want_b;
} tampers[] = {
	{ "reason changed",
	    "UPDATE modlog SET reason = 'spam' WHERE list_id = %1$lld"
	    " AND seq = 17", 17, 0 },
	{ "middle row deleted",
	    "DELETE FROM modlog WHERE list_id = %1$lld AND seq = 30", 30, 0 },
	{ "first row deleted",
	    "DELETE FROM modlog WHERE list_id = %1$lld AND seq = 1", 1, 0 },
	{ "two hashes swapped",
	    "UPDATE modlog SET hash = CASE seq"
	    " WHEN 10 THEN (SELECT hash FROM modlog WHERE list_id = %1$lld"
	    "  AND seq = 20)"
	    " ELSE (SELECT hash FROM modlog WHERE list_id = %1$lld"
	    "  AND seq = 10) END"
	    " WHERE list_id = %1$lld AND seq IN (10, 20)", 10, 0 },
	{ "seq changed",
	    "UPDATE modlog SET seq = 1000 WHERE list_id = %1$lld AND seq = 45",
	    45, 0 },
	{ "seq of the last changed",
	    "UPDATE modlog SET seq = 61 WHERE list_id = %1$lld AND seq = 60",
	    60, 0 },
	{ "prev zeroed",
	    "UPDATE modlog SET prev = zeroblob(32) WHERE list_id = %1$lld"
	    " AND seq = 5", 5, 0 },
	{ "hash truncated",
	    "UPDATE modlog SET hash = substr(hash, 1, 16)"
	    " WHERE list_id = %1$lld AND seq = 60", 60, 0 },
	{ "time moved",
	    "UPDATE modlog SET time = time + 1 WHERE list_id = %1$lld"
	    " AND seq = 3", 3, 0 },
	/* Form 2 hashes the pseudonym, which ignores case (as addresses
	 * do): another address must be caught. */
	{ "moderator changed",
	    "UPDATE modlog SET moderator = 'x' || moderator"
	    " WHERE list_id = %1$lld AND seq = 2", 2, 0 },
	{ "subject emptied",
	    "UPDATE modlog SET subject = '' WHERE list_id = %1$lld"
	    " AND seq = 59", 59, 0 },
	{ "row moved to the other list",
	    "UPDATE modlog SET list_id = %2$lld, seq = 41"
	    " WHERE list_id = %1$lld AND seq = 33", 33, 41 },
	{ "hash recomputed with prev kept",	/* a copy of another row */
	    "UPDATE modlog SET (action, reason, hash) = (SELECT action,"
	    " reason, hash FROM modlog WHERE list_id = %1$lld AND seq = 12)"
	    " WHERE list_id = %1$lld AND seq = 13", 13, 0 },
};

static void
test_tamper(void **state)
{
	struct fixture *f = *state;
	int64_t bad;
	size_t i;

	fill(f);
	for (i = 0; i < sizeof(tampers) / sizeof(tampers[0]); i++) {
		const struct tamper *t = &tampers[i];

		sql(f->st, "SAVEPOINT t");
		sql(f->st, t->sql, (long long)f->a, (long long)f->b);
		bad = -1;
		if (modlog_verify(f->st, f->a, &bad) != 1 || bad != t->want_a)
			fail_msg("%s: list a: bad %lld, want %lld", t->label,
			    (long long)bad, (long long)t->want_a);
		bad = -1;
		if (modlog_verify(f->st, f->b, &bad) != (t->want_b != 0) ||
		    bad != t->want_b)
			fail_msg("%s: list b: bad %lld, want %lld", t->label,
			    (long long)bad, (long long)t->want_b);
		sql(f->st, "ROLLBACK TO t");
		sql(f->st, "RELEASE t");
		expect_intact(f->st, f->a, NA);
	}
}

/* ---- reading -------------------------------------------------------- */

struct seen {
	int64_t	 seqs[8];
	size_t	 n;
};

static int
see(const struct modlog_entry *e, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	s->seqs[s->n++] = e->seq;
	return s->n == 7;	/* stop early */
}

static void
test_each(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	fill(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(modlog_each(f->st, f->a, 5, see, &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.seqs[0], NA);
	assert_int_equal(s.seqs[4], NA - 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(modlog_each(f->st, f->b, 0, see, &s), 0);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.seqs[6], NB - 6);
}

/* ---- summaries ------------------------------------------------------ */

static void
test_summary(void **state)
{
	struct fixture *f = *state;
	struct modlog_summary s;
	struct modlog_check c;

	/* Decisions after 60 s, 600 s, 120 s, 300 s; post 4 still held; a
	 * second decision on post 1 does not count again. */
	append(f->st, f->a, 1000, MODLOG_HELD, 1, "", 1);
	append(f->st, f->a, 1060, MODLOG_APPROVED, 1, "m@x.org", 2);
	append(f->st, f->a, 2000, MODLOG_HELD, 2, "", 3);
	append(f->st, f->a, 2600, MODLOG_REJECTED, 2, "m@x.org", 4);
	append(f->st, f->a, 3000, MODLOG_HELD, 3, "", 5);
	append(f->st, f->a, 3120, MODLOG_APPROVED, 3, "m@x.org", 6);
	append(f->st, f->a, 3500, MODLOG_HELD, 4, "", 7);
	append(f->st, f->a, 3600, MODLOG_DISCARDED, 9, "", 8);
	append(f->st, f->a, 4000, MODLOG_HELD, 5, "", 9);
	append(f->st, f->a, 4300, MODLOG_APPROVED, 5, "n@x.org", 10);
	append(f->st, f->a, 4400, MODLOG_OVERTURNED, 1, "o@x.org", 11);
	append(f->st, f->a, 4500, MODLOG_REJECTED, 1, "o@x.org", 12);

	assert_int_equal(modlog_summarize(f->st, f->a, 0, &s), 0);
	assert_int_equal(s.entries, 12);
	assert_int_equal(s.held, 5);
	assert_int_equal(s.approved, 3);
	assert_int_equal(s.rejected, 2);
	assert_int_equal(s.discarded, 1);
	assert_int_equal(s.overturned, 1);
	assert_int_equal(s.expired, 0);
	assert_true(s.median_decision_s == 210.0);	/* (120 + 300) / 2 */
	assert_int_equal(s.head_seq, 12);
	assert_int_equal(modlog_check(f->st, f->a, &c), 0);
	assert_memory_equal(s.head, c.head, MODLOG_HASH);

	assert_int_equal(modlog_summarize(f->st, f->a, 3500, &s), 0);
	assert_int_equal(s.entries, 6);
	assert_int_equal(s.held, 2);
	assert_int_equal(s.approved, 1);
	assert_int_equal(s.rejected, 1);
	assert_true(s.median_decision_s == 300.0);
	assert_int_equal(s.head_seq, 12);

	assert_int_equal(modlog_summarize(f->st, f->b, 0, &s), 0);
	assert_int_equal(s.entries, 0);
	assert_true(s.median_decision_s == 0.0);
	assert_int_equal(s.head_seq, 0);
}

/* ---- display -------------------------------------------------------- */

static char *
shown(const char *list, const char *moderator, int pseudonym)
{
	struct buf b = BUF_INIT;

	modlog_display_moderator(list, moderator, pseudonym, &b);
	return buf_steal(&b, NULL);
}

static void
test_pseudonym(void **state)
{
	char *a1, *a2, *b1, *a3, *p;

	(void)state;
	a1 = shown("a@example.org", "Mod@Example.ORG", 1);
	a2 = shown("a@example.org", "mod@example.org", 1);
	b1 = shown("b@example.org", "mod@example.org", 1);
	a3 = shown("a@example.org", "other@example.org", 1);
	assert_int_equal(strlen(a1), strlen("moderator-") + 6);
	assert_memory_equal(a1, "moderator-", 10);
	assert_string_equal(a1, a2);		/* stable, case-blind */
	assert_string_not_equal(a1, b1);	/* per list */
	assert_string_not_equal(a1, a3);	/* per moderator */
	assert_null(strstr(a1, "mod@"));
	free(a2);
	a2 = shown("a@example.org", "mod@example.org", 1);
	assert_string_equal(a1, a2);
	p = shown("a@example.org", "", 1);
	assert_string_equal(p, "postino");
	free(p);
	p = shown("a@example.org", "Mod@Example.ORG", 0);
	assert_string_equal(p, "Mod@Example.ORG");
	free(p);
	p = shown("a@example.org", "", 0);
	assert_string_equal(p, "postino");
	free(p);
	free(a1);
	free(a2);
	free(b1);
	free(a3);
}

/* ---- the report ----------------------------------------------------- */

static const char *
var(const struct modlog_report *r, const char *name)
{
	size_t i;

	for (i = 0; i < MODLOG_REPORT_VARS; i++)
		if (strcmp(r->vars[i].name, name) == 0)
			return r->vars[i].value;
	fail_msg("no variable %s", name);
	return NULL;
}

static void
test_report(void **state)
{
	struct fixture *f = *state;
	struct modlog_report r;
	struct modlog_check c;
	struct config cfg;
	char hex[MODLOG_HEX], *error = NULL, *pseudo;
	const char *entries;

	fill(f);
	config_defaults(&cfg);
	free(cfg.templates);
	cfg.templates = xstrdup("templates");
	assert_int_equal(modlog_check(f->st, f->a, &c), 0);
	modlog_hex(c.head, hex);
	if (modlog_report(f->st, &cfg, "en", NULL, f->a, "a@example.org", 1,
	    3, 0, &r, &error) < 0)
		fail_msg("modlog_report: %s", error);
	entries = var(&r, "entries");
	assert_non_null(strstr(entries, "#60  1970-01-01T00:"));
	assert_true(strstr(entries, "#60 ") < strstr(entries, "#59 "));
	assert_non_null(strstr(entries, "#58 "));
	assert_null(strstr(entries, "#57 "));
	assert_null(strstr(entries, "Mod@Example.org"));
	pseudo = shown("a@example.org", "mod@example.org", 1);
	assert_non_null(strstr(entries, pseudo));
	assert_non_null(strstr(entries, "by postino"));
	free(pseudo);
	assert_string_equal(var(&r, "head_hash"), hex);
	assert_string_equal(var(&r, "head_seq"), "60");
	assert_string_equal(var(&r, "since"), "1970-01-01T00:00:00Z");
	assert_non_null(strstr(var(&r, "summary"), "held"));
	assert_non_null(strstr(var(&r, "summary"), "rule \"links\""));
	modlog_report_clear(&r);

	if (modlog_report(f->st, &cfg, "it", NULL, f->b, "b@example.org", 0,
	    0, 0, &r, &error) < 0)
		fail_msg("modlog_report: %s", error);
	assert_non_null(strstr(var(&r, "entries"), "da parte di other@"));
	assert_non_null(strstr(var(&r, "entries"), "#1 "));
	modlog_report_clear(&r);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_intact),
		T(test_tamper),
		T(test_each),
		T(test_summary),
		T(test_pseudonym),
		T(test_report),
#undef T
	};

	log_init("test_modlog", LOG_L_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
