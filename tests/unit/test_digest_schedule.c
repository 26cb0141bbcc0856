/*
 * test_digest_schedule.c — digest schedules (digest_schedule.c): what
 * parses, with which error, and when a schedule fires next in zones with
 * DST changes, odd offsets and a skipped day.
 *
 * Expected instants are written as local time with its offset, so a row
 * says both when and at which wall-clock time; they were worked out with
 * Python's zoneinfo (fold=0: gaps moved forward, repeats at the first).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "digest_schedule.h"
#include "tz.h"

#define E_FORM	"expected 'daily HH:MM' or 'weekly DAY HH:MM'"
#define E_DAILY	"expected 'daily HH:MM', e.g. 'daily 06:00'"
#define E_WEEK	"expected 'weekly DAY HH:MM', e.g. 'weekly mon 06:00'"
#define E_SEP	"words must be separated by one space or tab, with none" \
		" before or after"
#define E_MANY	"too many words: expected 'daily HH:MM' or" \
		" 'weekly DAY HH:MM'"
#define E_DAY	"unknown day: expected mon..sun or monday..sunday"
#define E_TIME	"time must be HH:MM, two digits each, e.g. 06:00"
#define E_HOUR	"hour must be 00 to 23"
#define E_MIN	"minute must be 00 to 59"

static const struct {
	const char		*in;
	enum digest_sched_kind	 kind;
	int			 wday, hour, min;
} good[] = {
	{ "daily 06:00", DIGEST_DAILY, 0, 6, 0 },
	{ "daily 00:00", DIGEST_DAILY, 0, 0, 0 },
	{ "daily 23:59", DIGEST_DAILY, 0, 23, 59 },
	{ "DAILY 12:30", DIGEST_DAILY, 0, 12, 30 },
	{ "daily\t07:15", DIGEST_DAILY, 0, 7, 15 },
	{ "weekly sun 00:00", DIGEST_WEEKLY, 0, 0, 0 },
	{ "weekly mon 09:00", DIGEST_WEEKLY, 1, 9, 0 },
	{ "weekly tue 10:10", DIGEST_WEEKLY, 2, 10, 10 },
	{ "weekly wed 11:11", DIGEST_WEEKLY, 3, 11, 11 },
	{ "weekly thu 12:12", DIGEST_WEEKLY, 4, 12, 12 },
	{ "weekly fri 13:13", DIGEST_WEEKLY, 5, 13, 13 },
	{ "weekly sat 14:14", DIGEST_WEEKLY, 6, 14, 14 },
	{ "weekly Sunday 00:01", DIGEST_WEEKLY, 0, 0, 1 },
	{ "weekly MONDAY 01:00", DIGEST_WEEKLY, 1, 1, 0 },
	{ "weekly tuesday 02:00", DIGEST_WEEKLY, 2, 2, 0 },
	{ "weekly wednesday 03:00", DIGEST_WEEKLY, 3, 3, 0 },
	{ "weekly thursday 04:00", DIGEST_WEEKLY, 4, 4, 0 },
	{ "weekly friday 05:00", DIGEST_WEEKLY, 5, 5, 0 },
	{ "weekly saturday 23:59", DIGEST_WEEKLY, 6, 23, 59 },
	{ "Weekly\tSat\t18:45", DIGEST_WEEKLY, 6, 18, 45 },
};

static const struct {
	const char	*in;
	const char	*error;
} bad[] = {
	{ "", E_FORM },
	{ "monthly 1 06:00", E_FORM },
	{ "hourly", E_FORM },
	{ "daily\n06:00", E_FORM },
	{ " daily 06:00", E_SEP },
	{ "daily 06:00 ", E_SEP },
	{ "daily  06:00", E_SEP },
	{ "daily \t06:00", E_SEP },
	{ "weekly mon\t\t06:00", E_SEP },
	{ "daily", E_DAILY },
	{ "daily 06:00 07:00", E_DAILY },
	{ "daily mon 06:00", E_DAILY },
	{ "daily 06:00 x y", E_MANY },
	{ "weekly 06:00", E_WEEK },
	{ "weekly", E_WEEK },
	{ "weekly mo 06:00", E_DAY },
	{ "weekly mond 06:00", E_DAY },
	{ "weekly sundays 06:00", E_DAY },
	{ "weekly 1 06:00", E_DAY },
	{ "daily 6:00", E_TIME },
	{ "daily 06:0", E_TIME },
	{ "daily 0600", E_TIME },
	{ "daily 06.00", E_TIME },
	{ "daily 06:00pm", E_TIME },
	{ "daily -6:00", E_TIME },
	{ "daily 06:00\n", E_TIME },
	{ "weekly mon 6", E_TIME },
	{ "daily 24:00", E_HOUR },
	{ "daily 99:00", E_HOUR },
	{ "weekly fri 25:30", E_HOUR },
	{ "daily 23:60", E_MIN },
	{ "daily 00:99", E_MIN },
};

static void
test_parse_good(void **state)
{
	struct digest_schedule sc;
	const char *error = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&sc, 0xff, sizeof(sc));
		if (digest_schedule_parse(good[i].in, &sc, &error) != 0)
			fail_msg("'%s': %s", good[i].in, error);
		if (sc.kind != good[i].kind || sc.hour != good[i].hour ||
		    sc.min != good[i].min ||
		    (sc.kind == DIGEST_WEEKLY && sc.wday != good[i].wday))
			fail_msg("'%s': got %d %d %02d:%02d", good[i].in,
			    sc.kind, sc.wday, sc.hour, sc.min);
	}
}

static void
test_parse_bad(void **state)
{
	struct digest_schedule sc;
	const char *error;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		if (digest_schedule_parse(bad[i].in, &sc, &error) != -1)
			fail_msg("'%s' parsed", bad[i].in);
		if (error == NULL || strcmp(error, bad[i].error) != 0)
			fail_msg("'%s': got '%s', want '%s'", bad[i].in,
			    error ? error : "(null)", bad[i].error);
	}
}

static struct tz *
load(const char *name)
{
	struct tz *tz;
	const char *error;

	assert_int_equal(tz_load(name, &tz, &error), 0);
	return tz;
}

/* "2024-03-31 03:30:00+0200": the instant, and its fields in *tm_r. */
static time_t
instant(const char *s, struct tm *tm_r, long *off_r)
{
	char sign;
	int oh, om;

	memset(tm_r, 0, sizeof(*tm_r));
	if (sscanf(s, "%d-%d-%d %d:%d:%d%c%2d%2d", &tm_r->tm_year,
	    &tm_r->tm_mon, &tm_r->tm_mday, &tm_r->tm_hour, &tm_r->tm_min,
	    &tm_r->tm_sec, &sign, &oh, &om) != 9)
		fail_msg("bad test time '%s'", s);
	tm_r->tm_year -= 1900;
	tm_r->tm_mon--;
	*off_r = (sign == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	return timegm(tm_r) - *off_r;
}

static const struct {
	const char	*zone;
	const char	*sched;
	const char	*after;
	const char	*want;
} next_cases[] = {
	{ "UTC", "daily 06:00",
	    "2024-01-01 05:59:59+0000", "2024-01-01 06:00:00+0000" },
	{ "UTC", "daily 06:00",
	    "2024-01-01 06:00:00+0000", "2024-01-02 06:00:00+0000" },
	{ "UTC", "daily 06:00",
	    "2024-01-01 06:00:01+0000", "2024-01-02 06:00:00+0000" },
	/* month and year ends, leap days */
	{ "UTC", "daily 00:00",
	    "2024-01-31 12:00:00+0000", "2024-02-01 00:00:00+0000" },
	{ "UTC", "daily 23:30",
	    "2024-12-31 23:30:00+0000", "2025-01-01 23:30:00+0000" },
	{ "UTC", "daily 00:15",
	    "2024-12-31 23:59:00+0000", "2025-01-01 00:15:00+0000" },
	{ "UTC", "daily 12:00",
	    "2024-02-28 13:00:00+0000", "2024-02-29 12:00:00+0000" },
	{ "UTC", "daily 12:00",
	    "2023-02-28 13:00:00+0000", "2023-03-01 12:00:00+0000" },
	{ "UTC", "weekly thu 12:00",
	    "2024-02-26 00:00:00+0000", "2024-02-29 12:00:00+0000" },
	{ "UTC", "weekly wed 10:00",
	    "2024-12-30 00:00:00+0000", "2025-01-01 10:00:00+0000" },
	{ "UTC", "weekly sun 00:00",
	    "2024-12-29 00:00:00+0000", "2025-01-05 00:00:00+0000" },
	{ "UTC", "weekly sat 23:59",
	    "2023-12-30 23:59:00+0000", "2024-01-06 23:59:00+0000" },
	{ "Europe/Rome", "weekly mon 09:00",
	    "2024-06-03 09:00:00+0200", "2024-06-10 09:00:00+0200" },
	{ "Europe/Rome", "weekly mon 09:00",
	    "2024-06-03 00:00:00+0200", "2024-06-03 09:00:00+0200" },
	{ "Europe/Rome", "weekly mon 09:00",
	    "2024-06-02 23:59:59+0200", "2024-06-03 09:00:00+0200" },
	{ "Europe/Rome", "daily 00:00",
	    "2024-12-31 23:59:59+0100", "2025-01-01 00:00:00+0100" },
	{ "Europe/Rome", "daily 00:00",
	    "2025-01-01 00:00:00+0100", "2025-01-02 00:00:00+0100" },
	/* Europe/Rome: 02:00-03:00 skipped on 2024-03-31 */
	{ "Europe/Rome", "daily 02:30",
	    "2024-03-30 03:00:00+0100", "2024-03-31 03:30:00+0200" },
	{ "Europe/Rome", "daily 02:30",
	    "2024-03-31 03:30:00+0200", "2024-04-01 02:30:00+0200" },
	{ "Europe/Rome", "daily 02:00",
	    "2024-03-30 13:00:00+0100", "2024-03-31 03:00:00+0200" },
	{ "Europe/Rome", "daily 03:00",
	    "2024-03-30 13:00:00+0100", "2024-03-31 03:00:00+0200" },
	{ "Europe/Rome", "weekly sun 02:30",
	    "2024-03-25 01:00:00+0100", "2024-03-31 03:30:00+0200" },
	/* ... and 02:00-03:00 twice on 2024-10-27 */
	{ "Europe/Rome", "daily 02:30",
	    "2024-10-26 14:00:00+0200", "2024-10-27 02:30:00+0200" },
	{ "Europe/Rome", "daily 02:30",
	    "2024-10-27 02:30:00+0200", "2024-10-28 02:30:00+0100" },
	{ "Europe/Rome", "weekly sun 02:30",
	    "2024-10-21 02:00:00+0200", "2024-10-27 02:30:00+0200" },
	/* America/New_York: 2024-03-10 02:00-03:00 skipped, 2024-11-03
	 * 01:00-02:00 twice */
	{ "America/New_York", "daily 02:30",
	    "2024-03-09 07:00:00-0500", "2024-03-10 03:30:00-0400" },
	{ "America/New_York", "daily 06:00",
	    "2024-03-09 06:00:00-0500", "2024-03-10 06:00:00-0400" },
	{ "America/New_York", "daily 01:30",
	    "2024-11-02 08:00:00-0400", "2024-11-03 01:30:00-0400" },
	{ "America/New_York", "daily 01:30",
	    "2024-11-03 01:30:00-0400", "2024-11-04 01:30:00-0500" },
	{ "America/New_York", "weekly sun 01:30",
	    "2024-10-27 20:00:00-0400", "2024-11-03 01:30:00-0400" },
	{ "America/New_York", "daily 23:59",
	    "2024-12-31 07:00:00-0500", "2024-12-31 23:59:00-0500" },
	/* offsets of 30 and 45 minutes */
	{ "Asia/Kolkata", "daily 06:00",
	    "2024-01-01 05:30:00+0530", "2024-01-01 06:00:00+0530" },
	{ "Asia/Kolkata", "daily 06:00",
	    "2024-01-01 06:00:00+0530", "2024-01-02 06:00:00+0530" },
	{ "Asia/Kathmandu", "weekly fri 09:15",
	    "2024-02-27 05:45:00+0545", "2024-03-01 09:15:00+0545" },
	/* Pacific/Chatham: 02:45-03:45 skipped on 2024-09-29, twice on
	 * 2024-04-07 */
	{ "Pacific/Chatham", "daily 03:00",
	    "2024-09-28 12:45:00+1245", "2024-09-29 04:00:00+1345" },
	{ "Pacific/Chatham", "daily 02:50",
	    "2024-04-06 13:45:00+1345", "2024-04-07 02:50:00+1345" },
	{ "Pacific/Chatham", "daily 02:50",
	    "2024-04-07 02:50:00+1345", "2024-04-08 02:50:00+1245" },
	/* Australia/Lord_Howe: DST of half an hour */
	{ "Australia/Lord_Howe", "daily 02:15",
	    "2024-10-05 10:30:00+1030", "2024-10-06 02:45:00+1100" },
	{ "Australia/Lord_Howe", "daily 01:45",
	    "2024-04-07 01:45:00+1100", "2024-04-08 01:45:00+1030" },
	/* Pacific/Apia skipped 2011-12-30 */
	{ "Pacific/Apia", "daily 12:00",
	    "2011-12-29 12:00:00-1000", "2011-12-31 12:00:00+1400" },
	{ "Pacific/Apia", "daily 12:00",
	    "2011-12-31 12:00:00+1400", "2012-01-01 12:00:00+1400" },
	/* DST starting at midnight */
	{ "America/Sao_Paulo", "daily 00:30",
	    "2018-11-03 09:00:00-0300", "2018-11-04 01:30:00-0200" },
	{ "America/Santiago", "daily 00:30",
	    "2024-09-07 08:00:00-0400", "2024-09-08 01:30:00-0300" },
};

static void
test_next(void **state)
{
	struct digest_schedule sc;
	struct tm want_tm, got_tm;
	struct tz *tz;
	const char *error;
	time_t after, want, got;
	long off;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]); i++) {
		tz = load(next_cases[i].zone);
		assert_int_equal(digest_schedule_parse(next_cases[i].sched, &sc,
		    &error), 0);
		after = instant(next_cases[i].after, &want_tm, &off);
		want = instant(next_cases[i].want, &want_tm, &off);
		got = digest_schedule_next(&sc, tz, after);
		tz_localtime(tz, got, &got_tm);
		if (got != want || got_tm.tm_gmtoff != off ||
		    got_tm.tm_hour != want_tm.tm_hour ||
		    got_tm.tm_min != want_tm.tm_min ||
		    got_tm.tm_mday != want_tm.tm_mday)
			fail_msg("%s '%s' after %s: got %04d-%02d-%02d"
			    " %02d:%02d:%02d (UTC%+lds), want %s",
			    next_cases[i].zone, next_cases[i].sched,
			    next_cases[i].after,
			    got_tm.tm_year + 1900, got_tm.tm_mon + 1,
			    got_tm.tm_mday, got_tm.tm_hour, got_tm.tm_min,
			    got_tm.tm_sec, got_tm.tm_gmtoff,
			    next_cases[i].want);
		tz_free(&tz);
	}
}

/* Local days since 1970 of a local time. */
static long
local_day(const struct tm *tm)
{
	struct tm d = *tm;

	d.tm_hour = d.tm_min = d.tm_sec = 0;
	return (long)(timegm(&d) / 86400);
}

/*
 * Run a schedule for ten years: once each local day (or week), never
 * twice, at HH:MM or, on the day a gap swallows HH:MM, that much later.
 */
static void
check_run(const char *zone, const char *sched)
{
	const time_t from = 1577836800, to = 1893456000;  /* 2020 to 2030 */
	struct digest_schedule sc;
	struct tz *tz = load(zone);
	struct tm tm;
	const char *error;
	time_t t, prev = from;
	long day, prev_day = -1, shift, step;
	int n = 0;

	assert_int_equal(digest_schedule_parse(sched, &sc, &error), 0);
	step = sc.kind == DIGEST_DAILY ? 1 : 7;
	for (t = digest_schedule_next(&sc, tz, from); t < to;
	    prev = t, t = digest_schedule_next(&sc, tz, t), n++) {
		tz_localtime(tz, t, &tm);
		day = local_day(&tm);
		shift = ((tm.tm_hour - sc.hour) * 60L + tm.tm_min - sc.min) *
		    60 + tm.tm_sec;
		if (t <= prev || (prev_day >= 0 && day - prev_day != step) ||
		    (sc.kind == DIGEST_WEEKLY && tm.tm_wday != sc.wday) ||
		    (shift != 0 && (shift < 0 || shift !=
		    tz_offset(tz, t) - tz_offset(tz, t - 6 * 3600))))
			fail_msg("%s '%s': fired at %04d-%02d-%02d"
			    " %02d:%02d:%02d (UTC%+lds) after %lld", zone,
			    sched, tm.tm_year + 1900, tm.tm_mon + 1,
			    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			    tm.tm_gmtoff, (long long)prev);
		prev_day = day;
	}
	assert_true(n >= (to - from) / 86400 / step - 1);
	assert_true(n <= (to - from) / 86400 / step + 1);
	tz_free(&tz);
}

static void
test_runs(void **state)
{
	static const char *const zones[] = { "Europe/Rome",
	    "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
	    "Asia/Kathmandu", "Africa/Casablanca", "America/Santiago",
	    "Europe/Dublin", "UTC" };
	static const char *const scheds[] = { "daily 02:30", "daily 00:00",
	    "daily 00:30", "daily 23:45", "daily 01:30", "daily 03:00",
	    "weekly sun 02:30", "weekly sat 23:30", "weekly mon 00:00" };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		for (j = 0; j < sizeof(scheds) / sizeof(scheds[0]); j++)
			check_run(zones[i], scheds[j]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
