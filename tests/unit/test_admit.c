/*
 * test_admit.c — session admission without sockets: the listener's
 * limit, the per-client cap (none on unix sockets), and stress mode with
 * its hysteresis and shorter idle timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admit.h"

static const struct {
	const char		*label;
	int			 max, per_client, n, nclient;
	enum admit_verdict	 want;
} check_rows[] = {
	{ "empty",		200, 50, 0, 0, ADMIT_OK },
	{ "client below cap",	200, 50, 49, 49, ADMIT_OK },
	{ "client at cap",	200, 50, 50, 50, ADMIT_CLIENT },
	{ "other clients",	200, 50, 199, 3, ADMIT_OK },
	{ "listener full",	200, 50, 200, 0, ADMIT_BUSY },
	{ "full beats cap",	200, 50, 200, 50, ADMIT_BUSY },
	{ "unix: no cap",	200, 0, 150, 150, ADMIT_OK },
	{ "unix: full",		200, 0, 200, 200, ADMIT_BUSY },
	{ "limit 1",		1, 50, 1, 0, ADMIT_BUSY },
};

static void
test_check(void **state)
{
	struct admit a = { .name = "smtp" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(check_rows) / sizeof(check_rows[0]); i++) {
		a.max = check_rows[i].max;
		a.per_client = check_rows[i].per_client;
		a.n = check_rows[i].n;
		if (admit_check(&a, check_rows[i].nclient) != check_rows[i].want)
			fail_msg("%s", check_rows[i].label);
	}
}

/* Counting up to the limit and back: on at 80%, off below 60%. */
static void
test_stress(void **state)
{
	struct admit a = { .name = "smtp", .max = 10, .stress_ms = 10000 };
	int i;

	(void)state;
	for (i = 1; i <= 10; i++) {
		admit_count(&a, 1);
		assert_int_equal(a.n, i);
		assert_int_equal(a.stress, i >= 8);
		assert_int_equal(admit_idle_ms(&a, 300000),
		    i >= 8 ? 10000 : 300000);
	}
	for (i = 9; i >= 0; i--) {
		admit_count(&a, -1);
		assert_int_equal(a.stress, i >= 6);
	}
	admit_count(&a, -1);		/* never below zero */
	assert_int_equal(a.n, 0);
	/* stress never lengthens a shorter idle timeout */
	a.stress = 1;
	assert_int_equal(admit_idle_ms(&a, 2000), 2000);
}

/* A limit of one is in stress with its one session. */
static void
test_stress_small(void **state)
{
	struct admit a = { .name = "lmtp", .max = 1, .stress_ms = 1000 };

	(void)state;
	admit_count(&a, 1);
	assert_int_equal(a.stress, 1);
	admit_count(&a, -1);
	assert_int_equal(a.stress, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_stress_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
