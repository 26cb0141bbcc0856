/*
 * test_queue.c — the delivery queue in the store: fan-out cursors,
 * in-flight ranges, retries with back-off, bounces, recovery after a
 * crash, and late joiners.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct store	*st;
	int64_t		 list;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *error;
	char addr[64];
	int i;

	strcpy(f->dir, "/tmp/postino-test-queue-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/q.db", f->dir);
	assert_int_equal(store_open(f->path, STORE_RELAXED, &f->st, &error), 0);
	assert_int_equal(store_list_create(f->st, "team@example.org",
	    &f->list), 0);
	for (i = 0; i < 250; i++) {
		snprintf(addr, sizeof(addr), "m%03d@example.org", i);
		assert_int_equal(store_member_add(f->st, f->list, addr,
		    i % 50 == 7 ? MODE_DIGEST : MODE_EACH, NULL), 0);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int64_t
make_job(struct fixture *f)
{
	int64_t job;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_job_fanout(f->st, f->list, 0,
	    "team+bounces@example.org", "Subject: x\r\n\r\nhi\r\n", 19,
	    store_member_max_id(f->st), 0, "", &job), 0);
	assert_int_equal(store_commit(f->st), 0);
	return job;
}

static void
set_all(struct store_batch *b, enum outcome o)
{
	size_t i;

	for (i = 0; i < b->nrcpts; i++) {
		b->rcpts[i].outcome = o;
		b->rcpts[i].code = o == OUT_OK ? 250 : o == OUT_TEMP ? 450 : 550;
		strcpy(b->rcpts[i].text, "test");
	}
}

/* Every "each" member exactly once, in batches of at most 100. */
static void
test_fanout_covers_each_member_once(void **state)
{
	struct fixture *f = *state;
	struct store_batch b;
	struct store_job j;
	time_t due;
	size_t total = 0, batches = 0;
	int64_t job = make_job(f);

	while (store_batch_claim(f->st, 100, 1000, &b, &due) == 1) {
		assert_int_equal(b.job_id, job);
		assert_true(b.nrcpts <= 100);
		total += b.nrcpts;
		batches++;
		set_all(&b, OUT_OK);
		assert_int_equal(store_batch_finish(f->st, &b, 1000, 60, 600,
		    86400), 0);
		store_batch_clear(&b);
	}
	assert_int_equal(total, 245);	/* 5 members are in digest mode */
	assert_int_equal(batches, 3);
	assert_int_equal(store_job_get(f->st, job, &j), 1);
	assert_string_equal(j.state, "done");
	assert_int_equal(j.sent, 245);
	store_job_clear(&j);
}

/* Claimed, not finished, then "crash": the range comes back once. */
static void
test_recover_resends_only_inflight(void **state)
{
	struct fixture *f = *state;
	struct store_batch b1, b2, b;
	time_t due;
	size_t total = 0;

	make_job(f);
	assert_int_equal(store_batch_claim(f->st, 100, 1000, &b1, &due), 1);
	assert_int_equal(store_batch_claim(f->st, 100, 1000, &b2, &due), 1);
	set_all(&b1, OUT_OK);
	assert_int_equal(store_batch_finish(f->st, &b1, 1000, 60, 600, 86400),
	    0);
	/* b2 was in flight at the crash. */
	assert_int_equal(store_queue_recover(f->st), 0);
	assert_int_equal(store_batch_claim(f->st, 100, 1000, &b, &due), 1);
	assert_int_equal(b.lo, b2.lo);
	assert_int_equal(b.hi, b2.hi);
	assert_int_equal(b.nrcpts, b2.nrcpts);
	assert_string_equal(b.rcpts[0].addr, b2.rcpts[0].addr);
	store_batch_clear(&b2);
	do {
		total += b.nrcpts;
		set_all(&b, OUT_OK);
		assert_int_equal(store_batch_finish(f->st, &b, 1000, 60, 600,
		    86400), 0);
		store_batch_clear(&b);
	} while (store_batch_claim(f->st, 100, 1000, &b, &due) == 1);
	assert_int_equal(total + b1.nrcpts, 245);
	store_batch_clear(&b1);
}

/* 4xx goes to the retry set with back-off; 5xx is a bounce. */
static void
test_temp_and_perm_failures(void **state)
{
	struct fixture *f = *state;
	struct store_batch b;
	time_t due;
	int64_t job = make_job(f);
	struct store_job j;

	assert_int_equal(store_batch_claim(f->st, 100, 1000, &b, &due), 1);
	set_all(&b, OUT_OK);
	b.rcpts[0].outcome = OUT_TEMP;
	b.rcpts[1].outcome = OUT_PERM;
	b.rcpts[1].code = 550;
	assert_int_equal(store_batch_finish(f->st, &b, 1000, 60, 600, 86400),
	    0);
	store_batch_clear(&b);
	/* Drain the rest of the fan-out. */
	while (store_batch_claim(f->st, 100, 1000, &b, &due) == 1) {
		set_all(&b, OUT_OK);
		store_batch_finish(f->st, &b, 1000, 60, 600, 86400);
		store_batch_clear(&b);
	}
	/* The retry is not due before 1000 + 60 (plus spread). */
	assert_true(due >= 1060 && due <= 1060 + 8);
	assert_int_equal(store_job_get(f->st, job, &j), 1);
	assert_string_equal(j.state, "active");
	assert_int_equal(j.deferred, 1);
	assert_int_equal(j.failed, 1);
	store_job_clear(&j);
	/* Due: claimed, deferred again with a doubled delay. */
	assert_int_equal(store_batch_claim(f->st, 100, due, &b, &due), 1);
	assert_int_equal(b.nrcpts, 1);
	assert_int_equal(b.rcpts[0].attempts, 1);
	set_all(&b, OUT_TEMP);
	store_batch_finish(f->st, &b, 2000, 60, 600, 86400);
	store_batch_clear(&b);
	assert_int_equal(store_batch_claim(f->st, 100, 2000, &b, &due), 0);
	assert_true(due >= 2120 && due <= 2120 + 15);
	/* Past the lifetime it bounces and the job completes. */
	assert_int_equal(store_batch_claim(f->st, 100, 1000 + 86400, &b, &due),
	    1);
	set_all(&b, OUT_TEMP);
	store_batch_finish(f->st, &b, 1000 + 86400, 60, 600, 86400);
	store_batch_clear(&b);
	assert_int_equal(store_job_get(f->st, job, &j), 1);
	assert_string_equal(j.state, "done");
	assert_int_equal(j.failed, 2);
	assert_int_equal(j.sent, 243);
	store_job_clear(&j);
}

/* Members who joined after the post was accepted do not get it. */
static void
test_late_joiners_excluded(void **state)
{
	struct fixture *f = *state;
	struct store_batch b;
	time_t due;
	size_t total = 0, i;

	make_job(f);
	assert_int_equal(store_member_add(f->st, f->list, "late@example.org",
	    MODE_EACH, NULL), 0);
	while (store_batch_claim(f->st, 100, 1000, &b, &due) == 1) {
		for (i = 0; i < b.nrcpts; i++)
			assert_string_not_equal(b.rcpts[i].addr,
			    "late@example.org");
		total += b.nrcpts;
		set_all(&b, OUT_OK);
		store_batch_finish(f->st, &b, 1000, 60, 600, 86400);
		store_batch_clear(&b);
	}
	assert_int_equal(total, 245);
}

/* Direct jobs go through the retry set. */
static void
test_direct_job(void **state)
{
	struct fixture *f = *state;
	const char *rcpts[] = { "x@example.org", "y@example.org" };
	struct store_batch b;
	struct store_job j;
	int64_t job;
	time_t due;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_job_direct(f->st, "", rcpts, 2,
	    "Subject: n\r\n\r\nx\r\n", 18, &job), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_batch_claim(f->st, 100, 1000, &b, &due), 1);
	assert_int_equal(b.job_id, job);
	assert_int_equal(b.nrcpts, 2);
	set_all(&b, OUT_OK);
	assert_int_equal(store_batch_finish(f->st, &b, 1000, 60, 600, 86400),
	    0);
	store_batch_clear(&b);
	assert_int_equal(store_job_get(f->st, job, &j), 1);
	assert_string_equal(j.state, "done");
	assert_string_equal(j.env_from, "");
	store_job_clear(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_fanout_covers_each_member_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_recover_resends_only_inflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_and_perm_failures,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_joiners_excluded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_job, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
