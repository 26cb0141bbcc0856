/*
 * test_scheduler.c — the scheduler's table logic on an empty SQLite store
 * (where the cluster lock is always free; test_db_pgsql.c holds it on
 * PostgreSQL from a second node): which
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

#include "scheduler.h"
#include "store.h"

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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
