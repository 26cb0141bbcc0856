/*
 * test_scheduler.c — the scheduler's table logic on an empty SQLite store
 * (where the cluster lock is always free; test_db_pgsql.c holds it on
 * PostgreSQL from a second node), and the claims of several nodes that
 * its "leases" task renews (store_cluster.h), played by one process that
 * changes its node name between calls (the SQL is the same on
 * PostgreSQL, where {FOR_UPDATE_SKIP_LOCKED} also keeps two claims apart
 * while they run): an inbox row claimed by node a is not node b's while
 * a's lease lives, is b's once it expired (and then no longer a's), is
 * never quarantined under another node's live lease, is renewed by its
 * node only, and is free again when its node starts again.
 *
 * The table logic: which
 * task runs when (first run at once, then a period later, again at once
 * when the clock goes back), a failing task retried a period later and
 * stopping none of the others, and when the delivery is to be woken.
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

#include "../../src/store_int.h"
#include "scheduler.h"
#include "store_cluster.h"

static char		 dir[] = "/tmp/postino-test-sched-XXXXXX";
static char		 path[96];
static struct store	*store;

#define T_A	0x1	/* every second, may queue mail: 1 at even seconds */
#define T_B	0x2	/* every 3 s: fails at 99 and 103, else 2 */
#define T_C	0x4	/* hourly: nothing to do */

static unsigned ran;		/* T_* run since the last row */

static int
task_a(struct store *st, const struct config *cfg, time_t now)
{
	(void)st;
	(void)cfg;
	ran |= T_A;
	return now % 2 == 0;
}

static int
task_b(struct store *st, const struct config *cfg, time_t now)
{
	(void)st;
	(void)cfg;
	ran |= T_B;
	return now == 99 || now == 103 ? -1 : 2;
}

static int
task_c(struct store *st, const struct config *cfg, time_t now)
{
	(void)st;
	(void)cfg;
	(void)now;
	ran |= T_C;
	return 0;
}

static const struct scheduler_task tasks[] = {
	{ "a", 1, SCHEDULER_MAIL, task_a, "thing(s)" },
	{ "b", 3, 0, task_b, "thing(s)" },
	{ "c", 3600, 0, task_c, "thing(s)" },
};

/* One scheduler, these calls in this order. */
static const struct {
	const char	*label;
	time_t		 now;
	unsigned	 want;		/* T_* that run */
	int		 mail;		/* scheduler_run's answer */
} run_rows[] = {
	{ "first call: all due", 100, T_A | T_B | T_C, 1 },
	{ "same second: none", 100, 0, 0 },
	{ "a second on", 101, T_A, 0 },
	{ "b's period: b fails", 103, T_A | T_B, 0 },
	{ "b waits its period", 104, T_A, 1 },
	{ "b works again", 106, T_A | T_B, 1 },
	{ "a gap: each once", 200, T_A | T_B, 1 },
	{ "clock back: all due, b fails, c runs", 99, T_A | T_B | T_C, 0 },
	{ "a second on, again", 100, T_A, 1 },
	{ "an hour after c", 3699, T_A | T_B | T_C, 0 },
	{ "a second after that", 3700, T_A, 1 },
};

static void
test_run(void **state)
{
	struct scheduler *s;
	size_t i;
	int mail;

	(void)state;
	s = scheduler_new(tasks, sizeof(tasks) / sizeof(tasks[0]));
	for (i = 0; i < sizeof(run_rows) / sizeof(run_rows[0]); i++) {
		ran = 0;
		mail = scheduler_run(s, store, NULL, run_rows[i].now);
		if (ran != run_rows[i].want || mail != run_rows[i].mail)
			fail_msg("%s: ran %#x mail %d, want %#x mail %d",
			    run_rows[i].label, ran, mail, run_rows[i].want,
			    run_rows[i].mail);
	}
	scheduler_free(&s);
	assert_null(s);
}

/* Task b (period 3) after a run at 100: when it is due again. */
static const struct {
	time_t	 now;
	int	 want;
} due_rows[] = {
	{ 100, 0 }, { 101, 0 }, { 102, 0 }, { 103, 1 }, { 5000, 1 },
	{ 99, 1 }, { 0, 1 },
};

static void
test_due(void **state)
{
	struct scheduler *s;
	size_t i;

	(void)state;
	s = scheduler_new(tasks, sizeof(tasks) / sizeof(tasks[0]));
	for (i = 0; i < sizeof(tasks) / sizeof(tasks[0]); i++)
		assert_true(scheduler_due(s, i, 100));
	(void)scheduler_run(s, store, NULL, 100);
	for (i = 0; i < sizeof(due_rows) / sizeof(due_rows[0]); i++)
		if (scheduler_due(s, 1, due_rows[i].now) != due_rows[i].want)
			fail_msg("b at %lld: want %d",
			    (long long)due_rows[i].now, due_rows[i].want);
	scheduler_free(&s);
}

static const struct scheduler_task *
find(const char *name)
{
	size_t i;

	for (i = 0; i < scheduler_ntasks; i++)
		if (strcmp(scheduler_tasks[i].name, name) == 0)
			return &scheduler_tasks[i];
	fail_msg("no task '%s'", name);
	return NULL;
}

/* postino's own table: the periods the daemon has always kept. */
static void
test_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < scheduler_ntasks; i++) {
		assert_non_null(scheduler_tasks[i].run);
		assert_non_null(scheduler_tasks[i].done);
		assert_true(scheduler_tasks[i].period > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(scheduler_tasks[i].name,
			    scheduler_tasks[j].name);
	}
	assert_int_equal(find("holds")->period, 1);
	assert_int_equal(find("holds")->flags, SCHEDULER_MAIL);
	assert_int_equal(find("digests")->period, 1);
	assert_int_equal(find("digests")->flags, SCHEDULER_MAIL);
	assert_int_equal(find("purge")->period, 3600);
	assert_int_equal(find("purge")->flags, 0);
	/* At start-up the purge comes first, as it always did. */
	assert_string_equal(scheduler_tasks[0].name, "purge");
}

/* n inbox rows of one message, nobody's. */
static void
inbox_rows(int n)
{
	int64_t msg;
	int i;

	assert_true(db_run(store->db, "DELETE FROM inbox", NULL) >= 0);
	assert_true(db_run(store->db, "DELETE FROM quarantine", NULL) >= 0);
	assert_true(db_run(store->db, "DELETE FROM messages", NULL) >= 0);
	assert_int_equal(db_run(store->db, "INSERT INTO messages (id, received,"
	    " sender, size, body) VALUES (1, 0, 'a@x.org', 1, 'x')", NULL), 1);
	msg = 1;
	for (i = 0; i < n; i++)
		assert_int_equal(db_run(store->db, "INSERT INTO inbox (message_id,"
		    " list_id, rcpt, created) VALUES (?1, 1, 'team@x.org', 0)",
		    "i", msg), 1);
}

static int
claim(const char *node, int64_t *ids)
{
	int attempts[8];

	store_cluster_node(node, 60);
	return store_inbox_claim(store, 3, 8, ids, attempts);
}

static void
expire_all(void)
{
	assert_true(db_run(store->db, "UPDATE inbox SET lease_until = 1",
	    NULL) >= 0);
}

static int64_t
one(const char *sql)
{
	struct db_stmt *s = db_query(store->db, sql, NULL);
	int64_t v;

	assert_non_null(s);
	assert_int_equal(db_step(s), DB_ROW);
	v = db_col_int64(s, 0);
	db_reset(s);
	return v;
}

static void
test_inbox_leases(void **state)
{
	int64_t ids[8];

	(void)state;
	inbox_rows(2);
	assert_int_equal(claim("a", ids), 2);
	/* a's lease lives: nothing for b, a takes its own again. */
	assert_int_equal(claim("b", ids), 0);
	assert_int_equal(claim("a", ids), 2);
	/* a stopped renewing: b takes over, and a no longer has them. */
	expire_all();
	assert_int_equal(claim("b", ids), 2);
	assert_int_equal(claim("a", ids), 0);
	/* At its third attempt b holds them: a quarantines none of them
	 * while b's lease lives, both once it expired. */
	assert_int_equal(claim("b", ids), 0);	/* attempts are 3 */
	store_cluster_node("a", 60);
	assert_int_equal(store_inbox_quarantine(store, 3), 0);
	assert_int_equal(one("SELECT count(*) FROM inbox"), 2);
	expire_all();
	assert_int_equal(store_inbox_quarantine(store, 3), 0);
	assert_int_equal(one("SELECT count(*) FROM inbox"), 0);
	assert_int_equal(one("SELECT count(*) FROM quarantine"), 2);
}

static void
test_renew_and_recover(void **state)
{
	int64_t ids[8];

	(void)state;
	inbox_rows(3);
	assert_int_equal(claim("a", ids), 3);
	expire_all();
	/* b renews nothing of a's; a renews its own. */
	store_cluster_node("b", 60);
	assert_int_equal(store_cluster_renew(store, 1000), 0);
	store_cluster_node("a", 60);
	assert_int_equal(store_cluster_renew(store, 1000), 3);
	assert_int_equal(one("SELECT min(lease_until) FROM inbox"), 1060);
	/* a starts again: its rows are free at once, for anyone. */
	assert_int_equal(store_cluster_recover(store), 0);
	assert_int_equal(one("SELECT max(lease_until) FROM inbox"), 0);
	assert_int_equal(claim("b", ids), 3);
	assert_int_equal(one("SELECT count(*) FROM inbox WHERE node = 'b'"),
	    3);
}

static int
group_setup(void **state)
{
	const char *error;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	return store_open(path, STORE_DURABLE, &store, &error);
}

static int
group_teardown(void **state)
{
	static const char *const files[] = { "-wal", "-shm", "" };
	char p[128];
	size_t i;

	(void)state;
	store_close(&store);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, files[i]);
		(void)unlink(p);
	}
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_inbox_leases),
		cmocka_unit_test(test_renew_and_recover),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
