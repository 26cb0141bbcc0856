/*
 * test_tz.c — the TZif reader (tz.c) against glibc's own, which may use
 * setenv("TZ") in this single-threaded program.
 *
 * Zones from /usr/share/zoneinfo are compared field by field at instants
 * from 1900 to 2040 and hour by hour around every change glibc sees.  Files
 * written here (into a temporary $TZDIR) cover what the system's files may
 * not: "slim" files that rely on their footer, version 1 files, files that
 * are all footer, every form of TZ string, and corrupt files of each kind,
 * truncated at every length and mutated at random.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tz.h"

#define T_1900		((time_t)-2208988800LL)
#define T_1950		((time_t)-631152000LL)
#define T_2041		((time_t)2240611200LL)
#define HOUR		3600
#define STEP		(3 * 86400 + 3607)	/* walks through the hours */
#define SCAN		(6 * HOUR)
#define W_TRANS_MAX	600
#define W_TYPES_MAX	16
#define W_FILE_MAX	32768

static char tmpdir[64];

/* ---- glibc, the reference -------------------------------------------- */

/* ":Europe/Rome", or a POSIX TZ string as it is. */
static void
glibc_zone(const char *tzenv)
{
	setenv("TZ", tzenv, 1);
	tzset();
}

static int
same_type(const struct tm *a, const struct tm *b)
{
	return a->tm_gmtoff == b->tm_gmtoff && a->tm_isdst == b->tm_isdst &&
	    strcmp(a->tm_zone, b->tm_zone) == 0;
}

static int
same_wall(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon &&
	    a->tm_mday == b->tm_mday && a->tm_hour == b->tm_hour &&
	    a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/* The first instant after t (up to `to`) where glibc's type changes. */
static time_t
glibc_next_change(time_t t, time_t to)
{
	struct tm a, b;
	time_t lo = t, hi, mid;

	localtime_r(&t, &a);
	for (hi = t + SCAN;; lo = hi, hi += SCAN) {
		if (hi > to)
			return to + 1;
		localtime_r(&hi, &b);
		if (!same_type(&a, &b))
			break;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		localtime_r(&mid, &b);
		if (same_type(&a, &b))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * tz_localtime and tz_offset agree with glibc at t, and tz_mktime takes
 * the local time back to t, or to an earlier instant with the same wall
 * clock (t is the second occurrence of a repeated hour).
 */
static void
check_instant(const struct tz *tz, const char *label, time_t t)
{
	struct tm g, m, back;
	time_t r;

	localtime_r(&t, &g);
	tz_localtime(tz, t, &m);
	if (!same_wall(&g, &m) || !same_type(&g, &m) ||
	    g.tm_wday != m.tm_wday || g.tm_yday != m.tm_yday ||
	    tz_offset(tz, t) != g.tm_gmtoff)
		fail_msg("%s at %lld: glibc %d-%02d-%02d %02d:%02d:%02d %+ld %s"
		    " dst %d wday %d yday %d; tz %d-%02d-%02d %02d:%02d:%02d"
		    " %+ld %s dst %d wday %d yday %d", label, (long long)t,
		    g.tm_year + 1900, g.tm_mon + 1, g.tm_mday, g.tm_hour,
		    g.tm_min, g.tm_sec, g.tm_gmtoff, g.tm_zone, g.tm_isdst,
		    g.tm_wday, g.tm_yday, m.tm_year + 1900, m.tm_mon + 1,
		    m.tm_mday, m.tm_hour, m.tm_min, m.tm_sec, m.tm_gmtoff,
		    m.tm_zone, m.tm_isdst, m.tm_wday, m.tm_yday);
	r = tz_mktime(tz, &m);
	if (r == t)
		return;
	tz_localtime(tz, r, &back);
	if (r > t || t - r > 3 * HOUR || !same_wall(&m, &back))
		fail_msg("%s: tz_mktime of the local time at %lld gave %lld",
		    label, (long long)t, (long long)r);
}

/* A grid of instants, then hour by hour around each change of glibc's. */
static int
check_zone(const struct tz *tz, const char *label, time_t from, time_t to)
{
	time_t t, c, d;
	int changes = 0;

	for (t = from; t < to; t += STEP)
		check_instant(tz, label, t);
	for (t = from < T_1950 ? T_1950 : from;
	    (c = glibc_next_change(t, to)) <= to; t = c, changes++) {
		check_instant(tz, label, c - 1);
		for (d = -36 * HOUR; d <= 36 * HOUR; d += HOUR)
			check_instant(tz, label, c + d);
		for (d = -3 * HOUR; d <= 3 * HOUR; d += 900)
			check_instant(tz, label, c + d);
	}
	return changes;
}

static struct tz *
load(const char *name)
{
	struct tz *tz = NULL;
	const char *error = NULL;

	if (tz_load(name, &tz, &error) < 0)
		fail_msg("tz_load(%s): %s", name, error);
	return tz;
}

static const struct {
	const char	*name;
	int		 changes;	/* from 1950, at least */
} zones[] = {
	{ "Europe/Rome", 140 },
	{ "America/New_York", 170 },
	{ "Australia/Lord_Howe", 110 },
	{ "Asia/Kolkata", 0 },
	{ "Pacific/Chatham", 120 },
	{ "America/Sao_Paulo", 80 },
	{ "UTC", 0 },
	{ "Africa/Casablanca", 90 },
	{ "Europe/Dublin", 160 },	/* negative DST in winter */
	{ "Asia/Jerusalem", 120 },	/* footer time 26:00 */
	{ "America/Nuuk", 110 },	/* footer times -1:00 */
	{ "America/Santiago", 130 },	/* footer times 24:00 */
	{ "Pacific/Apia", 20 },		/* 2011-12-30 never happened */
	{ "Antarctica/Troll", 65 },	/* DST of two hours */
	{ "Asia/Kathmandu", 1 },
	{ "Asia/Tehran", 60 },
	{ "America/St_Johns", 170 },
};

static void
test_system_zones(void **state)
{
	char env[80];
	struct tz *tz;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		tz = load(zones[i].name);
		snprintf(env, sizeof(env), ":%s", zones[i].name);
		glibc_zone(env);
		n = check_zone(tz, zones[i].name, T_1900, T_2041);
		if (n < zones[i].changes)
			fail_msg("%s: only %d changes", zones[i].name, n);
		tz_free(&tz);
		assert_null(tz);
	}
}

static void
test_localtime_file(void **state)
{
	struct tz *tz;

	(void)state;
	glibc_zone(":/etc/localtime");
	tz = load("");
	check_zone(tz, "''", T_1950, T_2041);
	tz_free(&tz);
	tz = load("localtime");
	check_zone(tz, "localtime", T_1950, T_2041);
	tz_free(&tz);
}

/* ---- gaps and repeats in tz_mktime (expected values from Python's
 * zoneinfo, fold=0, which resolves both as tz.h says) -------------- */

static const struct {
	const char	*zone;
	int		 y, mon, d, h, min;
	long long	 want;
} mktime_cases[] = {
	{ "Europe/Rome", 2024, 3, 31, 1, 59, 1711846740 },
	{ "Europe/Rome", 2024, 3, 31, 2, 30, 1711848600 },	/* gap */
	{ "Europe/Rome", 2024, 3, 31, 3, 0, 1711846800 },
	{ "Europe/Rome", 2024, 10, 27, 2, 30, 1729989000 },	/* repeat */
	{ "America/New_York", 2024, 3, 10, 2, 30, 1710055800 },
	{ "America/New_York", 2024, 11, 3, 1, 30, 1730611800 },
	{ "America/New_York", 2024, 11, 3, 2, 0, 1730617200 },
	{ "Australia/Lord_Howe", 2024, 10, 6, 2, 15, 1728143100 },
	{ "Australia/Lord_Howe", 2024, 4, 7, 1, 45, 1712414700 },
	{ "Pacific/Chatham", 2024, 9, 29, 3, 0, 1727532900 },
	{ "Pacific/Chatham", 2024, 4, 7, 3, 0, 1712409300 },
	{ "Africa/Casablanca", 2024, 3, 10, 2, 30, 1710034200 },
	{ "Africa/Casablanca", 2024, 4, 14, 2, 30, 1713061800 },
	{ "America/Santiago", 2024, 9, 8, 0, 30, 1725769800 },
	{ "Pacific/Apia", 2011, 12, 30, 12, 0, 1325282400 },	/* a day */
	{ "Europe/Dublin", 2024, 3, 31, 1, 30, 1711848600 },
	{ "Europe/Dublin", 2024, 10, 27, 1, 30, 1729989000 },
	{ "Asia/Kolkata", 2024, 1, 1, 0, 0, 1704047400 },
	{ "America/Sao_Paulo", 2018, 11, 4, 0, 30, 1541302200 },
	{ "UTC", 2024, 2, 29, 12, 0, 1709208000 },
};

static void
test_mktime_gaps(void **state)
{
	struct tm tm;
	struct tz *tz;
	size_t i;
	time_t got;

	(void)state;
	for (i = 0; i < sizeof(mktime_cases) / sizeof(mktime_cases[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = mktime_cases[i].y - 1900;
		tm.tm_mon = mktime_cases[i].mon - 1;
		tm.tm_mday = mktime_cases[i].d;
		tm.tm_hour = mktime_cases[i].h;
		tm.tm_min = mktime_cases[i].min;
		tm.tm_isdst = 1;	/* ignored */
		tm.tm_wday = 9;
		tz = load(mktime_cases[i].zone);
		got = tz_mktime(tz, &tm);
		tz_free(&tz);
		if (got != mktime_cases[i].want)
			fail_msg("%s %d-%02d-%02d %02d:%02d: got %lld,"
			    " want %lld",
			    mktime_cases[i].zone, mktime_cases[i].y,
			    mktime_cases[i].mon, mktime_cases[i].d,
			    mktime_cases[i].h, mktime_cases[i].min,
			    (long long)got, mktime_cases[i].want);
	}
}

/* Fields out of range are normalised as mktime does (timegm for UTC). */
static void
test_mktime_normalise(void **state)
{
	static const int rows[][6] = {	/* year-1900 mon mday hour min sec */
		{ 124, 0, 1, 0, 0, 0 }, { 124, 13, 1, 0, 0, 0 },
		{ 124, -1, 1, 0, 0, 0 }, { 124, -13, 0, 0, 0, 0 },
		{ 124, 1, 30, 0, 0, 0 }, { 123, 1, 29, 0, 0, 0 },
		{ 124, 0, 0, 0, 0, 0 }, { 124, 0, 1, -1, 0, 0 },
		{ 124, 0, 1, 23, 59, 60 }, { 124, 5, 400, 100, -7000, 12 },
		{ 0, 0, 1, 0, 0, 0 }, { -2000, 0, 1, 0, 0, 0 },
		{ 8099, 11, 31, 23, 59, 59 }, { 70, 0, 1, 0, 0, -1 },
	};
	struct tm a, b;
	struct tz *utc = load("UTC"), *rome = load("Europe/Rome");
	size_t i;

	(void)state;
	glibc_zone(":Europe/Rome");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.tm_year = rows[i][0];
		a.tm_mon = rows[i][1];
		a.tm_mday = rows[i][2];
		a.tm_hour = rows[i][3];
		a.tm_min = rows[i][4];
		a.tm_sec = rows[i][5];
		b = a;
		assert_int_equal(tz_mktime(utc, &a), timegm(&b));
		b = a;
		b.tm_isdst = -1;
		if (rows[i][0] >= 0 && rows[i][0] < 1000)
			assert_int_equal(tz_mktime(rome, &a), mktime(&b));
	}
	tz_free(&utc);
	tz_free(&rome);
}

/* Nothing overflows, whatever the input. */
static void
test_extremes(void **state)
{
	static const time_t ts[] = { INT64_MIN, INT64_MIN + 1, -(1LL << 55),
	    INT64_MAX, INT64_MAX - 1, (time_t)1 << 55, 0, -1 };
	static const int ints[] = { INT32_MIN, INT32_MAX, 0, -1 };
	struct tm tm;
	struct tz *tz = load("America/New_York");
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		tz_localtime(tz, ts[i], &tm);
		assert_true(tz_offset(tz, ts[i]) >= -5 * HOUR);
		assert_true(tz_offset(tz, ts[i]) <= -4 * HOUR);
		(void)tz_mktime(tz, &tm);
	}
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = tm.tm_mon = tm.tm_mday = ints[i];
			tm.tm_hour = tm.tm_min = tm.tm_sec = ints[j];
			(void)tz_mktime(tz, &tm);
		}
	tz_free(&tz);
}

/* ---- names ------------------------------------------------------------ */

static const struct {
	const char	*name;
	const char	*error;		/* NULL: loads */
} name_cases[] = {
	{ "../etc/passwd", "time zone name must not contain '..'" },
	{ "Europe/../../etc/passwd", "time zone name must not contain '..'" },
	{ "/etc/passwd", "time zone name must not start with '/'" },
	{ "/usr/share/zoneinfo/UTC", "time zone name must not start with '/'" },
	{ "a..b", "time zone name must not contain '..'" },
	{ "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa65",
	    "time zone name too long (at most 64 characters)" },
	{ "Europe/Rome;id", "time zone names contain only letters, digits"
	    " and '_', '+', '-', '.', '/'" },
	{ "Europe/Rome ", "time zone names contain only letters, digits"
	    " and '_', '+', '-', '.', '/'" },
	{ "Europe/Rome\n", "time zone names contain only letters, digits"
	    " and '_', '+', '-', '.', '/'" },
	{ "Europe/R\xc3\xb6me", "time zone names contain only letters, digits"
	    " and '_', '+', '-', '.', '/'" },
	{ "Nowhere/Atlantis", "unknown time zone (expected a name such as"
	    " Europe/Rome, or UTC)" },
	{ "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa64",
	    "unknown time zone (expected a name such as Europe/Rome, or UTC)" },
	{ "Europe", "unknown time zone (expected a name such as"
	    " Europe/Rome, or UTC)" },
	{ "Europe/Rome/x", "unknown time zone (expected a name such as"
	    " Europe/Rome, or UTC)" },
	{ "europe/rome", "unknown time zone (expected a name such as"
	    " Europe/Rome, or UTC)" },
	{ "Europe/Rome", NULL },
	{ "Etc/GMT+5", NULL },
	{ "America/Port-au-Prince", NULL },
	{ "America/Argentina/Buenos_Aires", NULL },
	{ "UTC", NULL },
	{ "", NULL },
	{ "localtime", NULL },
};

static void
test_names(void **state)
{
	struct tz *tz;
	const char *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		error = NULL;
		tz = (struct tz *)&error;	/* must be reset */
		rc = tz_load(name_cases[i].name, &tz, &error);
		if (name_cases[i].error == NULL) {
			if (rc != 0)
				fail_msg("'%s': %s", name_cases[i].name, error);
			tz_free(&tz);
			continue;
		}
		if (rc != -1 || tz != NULL)
			fail_msg("'%s' loaded", name_cases[i].name);
		if (strcmp(error, name_cases[i].error) != 0)
			fail_msg("'%s': got '%s'", name_cases[i].name, error);
	}
}

/* ---- files written here ---------------------------------------------- */

struct w_type {
	int32_t		 off;
	int		 isdst;
	char		 abbr[16];
};

struct w_zone {
	size_t		 ntrans, ntypes;
	int64_t		 trans[W_TRANS_MAX];
	unsigned char	 idx[W_TRANS_MAX];
	struct w_type	 types[W_TYPES_MAX];
	const char	*footer;	/* NULL: a version 1 file */
};

static unsigned char *
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return p + 4;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A header and data block; tsize 4 keeps the transitions that fit. */
static unsigned char *
w_block(unsigned char *p, const struct w_zone *z, int tsize)
{
	char chars[W_TYPES_MAX * 16];
	uint32_t desig[W_TYPES_MAX], nchars = 0, n = 0;
	size_t i, first = z->ntrans;

	for (i = 0; i < z->ntypes; i++) {
		desig[i] = nchars;
		memcpy(chars + nchars, z->types[i].abbr,
		    strlen(z->types[i].abbr) + 1);
		nchars += strlen(z->types[i].abbr) + 1;
	}
	for (i = z->ntrans; i-- > 0;)
		if (tsize == 8 || (z->trans[i] >= INT32_MIN &&
		    z->trans[i] <= INT32_MAX)) {
			first = i;
			n++;
		}
	memcpy(p, "TZif", 4);
	p[4] = z->footer == NULL ? 0 : '2';
	memset(p + 5, 0, 15);
	p = put32(put32(put32(p + 20, 0), 0), 0);
	p = put32(put32(put32(p, n), (uint32_t)z->ntypes), nchars);
	for (i = first; i < first + n; i++)
		p = tsize == 8 ? put32(put32(p, (uint64_t)z->trans[i] >> 32),
		    (uint32_t)z->trans[i]) : put32(p, (uint32_t)z->trans[i]);
	for (i = first; i < first + n; i++)
		*p++ = z->idx[i];
	for (i = 0; i < z->ntypes; i++) {
		p = put32(p, (uint32_t)z->types[i].off);
		*p++ = z->types[i].isdst;
		*p++ = desig[i];
	}
	memcpy(p, chars, nchars);
	return p + nchars;
}

static size_t
w_build(const struct w_zone *z, unsigned char *out)
{
	unsigned char *p = w_block(out, z, 4);

	if (z->footer != NULL) {
		p = w_block(p, z, 8);
		p += sprintf((char *)p, "\n%s\n", z->footer);
	}
	return (size_t)(p - out);
}

static void
w_write(const char *name, const void *data, size_t len)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int
load_tmp(const char *name, struct tz **tz_r, const char **error_r)
{
	int rc;

	setenv("TZDIR", tmpdir, 1);
	rc = tz_load(name, tz_r, error_r);
	unsetenv("TZDIR");
	return rc;
}

static size_t
w_type_of(struct w_zone *z, const struct tm *tm)
{
	size_t i;

	for (i = 0; i < z->ntypes; i++)
		if (z->types[i].off == tm->tm_gmtoff &&
		    z->types[i].isdst == tm->tm_isdst &&
		    strcmp(z->types[i].abbr, tm->tm_zone) == 0)
			return i;
	assert_true(z->ntypes < W_TYPES_MAX);
	z->types[i].off = (int32_t)tm->tm_gmtoff;
	z->types[i].isdst = tm->tm_isdst;
	snprintf(z->types[i].abbr, sizeof(z->types[i].abbr), "%s", tm->tm_zone);
	z->ntypes++;
	return i;
}

/* The changes glibc sees in [from, to] as a table, and a footer. */
static void
w_from_glibc(struct w_zone *z, time_t from, time_t to, const char *footer)
{
	struct tm tm;
	time_t t;

	memset(z, 0, sizeof(*z));
	z->footer = footer;
	localtime_r(&from, &tm);
	w_type_of(z, &tm);
	for (t = from; (t = glibc_next_change(t, to)) <= to; z->ntrans++) {
		assert_true(z->ntrans < W_TRANS_MAX);
		localtime_r(&t, &tm);
		z->trans[z->ntrans] = t;
		z->idx[z->ntrans] = (unsigned char)w_type_of(z, &tm);
	}
}

/* Slim files: the table stops at the last change of rules. */
static const struct {
	const char	*zone;
	time_t		 until;
	const char	*footer;
} slim_cases[] = {
	{ "Europe/Rome", 852076800, "CET-1CEST,M3.5.0,M10.5.0/3" },
	{ "America/New_York", 1199145600, "EST5EDT,M3.2.0,M11.1.0" },
	{ "Australia/Lord_Howe", 1230768000,
	    "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0" },
	{ "Pacific/Chatham", 1230768000,
	    "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45" },
	{ "Asia/Kolkata", 0, "IST-5:30" },
	{ "America/Sao_Paulo", 1577836800, "<-03>3" },
};

static void
test_slim_files(void **state)
{
	static unsigned char buf[W_FILE_MAX];
	static struct w_zone z;
	char env[80];
	struct tz *tz;
	const char *error;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(slim_cases) / sizeof(slim_cases[0]); i++) {
		snprintf(env, sizeof(env), ":%s", slim_cases[i].zone);
		glibc_zone(env);
		w_from_glibc(&z, T_1950, slim_cases[i].until,
		    slim_cases[i].footer);
		w_write("slim", buf, w_build(&z, buf));
		if (load_tmp("slim", &tz, &error) < 0)
			fail_msg("%s: %s", slim_cases[i].zone, error);
		check_zone(tz, slim_cases[i].zone, T_1950, T_2041);
		tz_free(&tz);
	}
}

/* Version 1: 32-bit times, no footer; the last type stays. */
static void
test_v1_file(void **state)
{
	static unsigned char buf[W_FILE_MAX];
	static struct w_zone z;
	struct tz *tz;
	const char *error;

	(void)state;
	glibc_zone(":America/New_York");
	w_from_glibc(&z, T_1950, INT32_MAX, NULL);
	w_write("v1", buf, w_build(&z, buf));
	assert_int_equal(load_tmp("v1", &tz, &error), 0);
	check_zone(tz, "v1", T_1950, INT32_MAX);
	assert_int_equal(tz_offset(tz, (time_t)1 << 40), -5 * HOUR);
	tz_free(&tz);
}

/* A file with no transitions, only a TZ string. */
static struct tz *
footer_only(const char *footer)
{
	static unsigned char buf[4096];
	static struct w_zone z;
	struct tz *tz;
	const char *error;

	memset(&z, 0, sizeof(z));
	z.ntypes = 1;
	strcpy(z.types[0].abbr, "ZZZ");
	z.footer = footer;
	w_write("footer", buf, w_build(&z, buf));
	if (load_tmp("footer", &tz, &error) < 0)
		fail_msg("'%s': %s", footer, error);
	return tz;
}

static const char *const footers[] = {
	"CET-1CEST,M3.5.0,M10.5.0/3",
	"EST5EDT,M3.2.0,M11.1.0",
	"<+0330>-3:30",
	"<-0130>+1:30<-0030>,M3.5.0/2:30:15,M10.5.0/3",
	"IST-2IDT,M3.4.4/26,M10.5.0",
	"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
	"<-04>4<-03>,M9.1.6/24,M4.1.6/24",
	"XXX3YYY,J60/1,J300/3",
	"AAA-10BBB-11,280/2,100/3",
	"ZZZ0YYY,59/0,300/0",
	"NZST-12NZDT,M9.5.0,M4.1.0/3",
	"IST-1GMT0,M10.5.0,M3.5.0/1",
	"<+00>0<+02>-2,M3.5.0/1,M10.5.0/3",
	"<-24>24<-23>23,M3.5.0/-167,M10.5.0/167",
};

/* From 1970: glibc counts the years of a rule from there. */
static void
test_footers(void **state)
{
	struct tz *tz;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		tz = footer_only(footers[i]);
		glibc_zone(footers[i]);
		check_zone(tz, footers[i], 0, T_2041);
		tz_free(&tz);
	}
}

/*
 * What glibc does otherwise: DST all year (RFC 8536 3.3.1; glibc picks
 * the year by UTC and so leaves DST for hours around each new year), and
 * a DST without dates, which glibc takes from its posixrules file.
 */
static void
test_footer_specials(void **state)
{
	struct tz *tz;
	time_t t;

	(void)state;
	tz = footer_only("EST5EDT4,0/0,J365/25");
	for (t = T_1950; t < T_2041; t += 7 * HOUR + 1)
		assert_int_equal(tz_offset(tz, t), -4 * HOUR);
	tz_free(&tz);
	tz = footer_only("EST5EDT");
	assert_int_equal(tz_offset(tz, 1710054000 - 1), -5 * HOUR);
	assert_int_equal(tz_offset(tz, 1710054000), -4 * HOUR);
	assert_int_equal(tz_offset(tz, 1730613600 - 1), -4 * HOUR);
	assert_int_equal(tz_offset(tz, 1730613600), -5 * HOUR);
	tz_free(&tz);
}

/* ---- corrupt files --------------------------------------------------- */

#define E_TRUNC	"corrupt time zone file (truncated)"
#define E_COUNT	"corrupt time zone file (bad counts)"
#define E_DATA	"corrupt time zone file (bad transition or type)"
#define E_FOOT	"corrupt time zone file (bad TZ string footer)"
#define E_MAGIC	"not a time zone file (no TZif header)"

/* A small valid version 2 file: Rome's table from 1990 to 2000. */
static size_t
w_sample(unsigned char *buf, const char *footer)
{
	static struct w_zone z;

	glibc_zone(":Europe/Rome");
	w_from_glibc(&z, 631152000, 946684800, footer);
	return w_build(&z, buf);
}

static void
expect_error(const char *label, const void *data, size_t len,
    const char *want)
{
	struct tz *tz;
	const char *error = NULL;

	w_write("bad", data, len);
	if (load_tmp("bad", &tz, &error) == 0)
		fail_msg("%s: loaded", label);
	assert_null(tz);
	if (want != NULL && strcmp(error, want) != 0)
		fail_msg("%s: got '%s', want '%s'", label, error, want);
}

/* Offsets of the counts in a header. */
enum { H_VERSION = 4, H_ISUT = 20, H_ISSTD = 24, H_LEAP = 28, H_TIME = 32,
    H_TYPE = 36, H_CHAR = 40 };

/* Set a count, or add to it when delta is not 0. */
static const struct {
	const char	*label;
	int		 second;	/* in the 64-bit header */
	int		 at;
	uint32_t	 value;
	int		 delta;
	const char	*want;
} poke_cases[] = {
	{ "v1 timecnt huge", 0, H_TIME, 0xffffffff, 0, E_TRUNC },
	{ "v1 typecnt huge", 0, H_TYPE, 0xffffffff, 0, E_TRUNC },
	{ "v1 charcnt huge", 0, H_CHAR, 0x7fffffff, 0, E_TRUNC },
	{ "v1 leapcnt huge", 0, H_LEAP, 0xffffffff, 0, E_TRUNC },
	{ "v1 timecnt + 1", 0, H_TIME, 0, 1, E_MAGIC },
	{ "v1 version 0", 0, H_VERSION, 0, 0,
	    "corrupt time zone file (trailing data)" },
	{ "timecnt huge", 1, H_TIME, 0xffffffff, 0, E_TRUNC },
	{ "timecnt + 1", 1, H_TIME, 0, 1, NULL },
	{ "timecnt - 1", 1, H_TIME, 0, -1, NULL },
	{ "typecnt huge", 1, H_TYPE, 0xffffffff, 0, E_COUNT },
	{ "typecnt 0", 1, H_TYPE, 0, 0, E_COUNT },
	{ "typecnt 257", 1, H_TYPE, 257, 0, E_COUNT },
	{ "charcnt 0", 1, H_CHAR, 0, 0, E_COUNT },
	{ "charcnt huge", 1, H_CHAR, 0xffffffff, 0, E_TRUNC },
	{ "isutcnt 1", 1, H_ISUT, 1, 0, E_COUNT },
	{ "isstdcnt huge", 1, H_ISSTD, 0xffffffff, 0, E_COUNT },
	{ "leapcnt 1", 1, H_LEAP, 1, 0,
	    "time zone files with leap seconds are not supported" },
	{ "version 5", 1, H_VERSION, '5', 0,
	    "unsupported time zone file version" },
	{ "version 1", 1, H_VERSION, '1', 0,
	    "unsupported time zone file version" },
};

static unsigned char *
second_header(unsigned char *buf, size_t len)
{
	unsigned char *p = memmem(buf + 4, len - 4, "TZif", 4);

	assert_non_null(p);
	return p;
}

static void
test_corrupt_counts(void **state)
{
	static unsigned char good[W_FILE_MAX], buf[W_FILE_MAX];
	size_t len = w_sample(good, "CET-1CEST,M3.5.0,M10.5.0/3"), i;
	unsigned char *h;

	(void)state;
	for (i = 0; i < sizeof(poke_cases) / sizeof(poke_cases[0]); i++) {
		memcpy(buf, good, len);
		h = poke_cases[i].second ? second_header(buf, len) : buf;
		if (poke_cases[i].at == H_VERSION)
			h[H_VERSION] = (unsigned char)poke_cases[i].value;
		else if (poke_cases[i].delta != 0)
			put32(h + poke_cases[i].at, be32(h + poke_cases[i].at) +
			    (uint32_t)poke_cases[i].delta);
		else
			put32(h + poke_cases[i].at, poke_cases[i].value);
		expect_error(poke_cases[i].label, buf, len, poke_cases[i].want);
	}
}

static void
test_corrupt_data(void **state)
{
	static unsigned char good[W_FILE_MAX], buf[W_FILE_MAX];
	size_t len = w_sample(good, "CET-1CEST,M3.5.0,M10.5.0/3"), types;
	unsigned char *h, *trans, *idx, *ttinfo;

	(void)state;
	h = second_header(good, len);
	trans = h + 44;
	idx = trans + 8 * (size_t)h[H_TIME + 3];
	ttinfo = idx + h[H_TIME + 3];
	types = h[H_TYPE + 3];

	memcpy(buf, good, len);
	buf[idx - good + 3] = (unsigned char)types;
	expect_error("type index out of range", buf, len, E_DATA);
	memcpy(buf, good, len);
	memcpy(buf + (trans - good) + 8, buf + (trans - good), 8);
	expect_error("transitions not ascending", buf, len, E_DATA);
	memcpy(buf, good, len);
	put32(buf + (ttinfo - good), 0x80000000);
	expect_error("offset -2^31", buf, len, E_DATA);
	memcpy(buf, good, len);
	put32(buf + (ttinfo - good), 26 * HOUR);
	expect_error("offset 26 hours", buf, len, E_DATA);
	memcpy(buf, good, len);
	buf[ttinfo - good + 4] = 2;
	expect_error("isdst 2", buf, len, E_DATA);
	memcpy(buf, good, len);
	buf[ttinfo - good + 5] = h[H_CHAR + 3];
	expect_error("abbreviation out of range", buf, len, E_DATA);
	memcpy(buf, good, len);
	buf[ttinfo - good + 6 * types + h[H_CHAR + 3] - 1] = 'X';
	expect_error("abbreviations not terminated", buf, len, NULL);
	memcpy(buf, good, len);
	buf[0] = 'X';
	expect_error("bad magic", buf, len, E_MAGIC);
	expect_error("empty", buf, 0, E_MAGIC);
	memcpy(buf, good, len);
	buf[len++] = 'x';
	expect_error("trailing garbage", buf, len, E_FOOT);
}

static const char *const bad_footers[] = {
	"CET", "CET-", "CET-25", "CE-1", "<AB>1", "<A B>1", "<ABC1",
	"CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
	"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
	"CET-1CEST,M0.5.0,M10.5.0", "CET-1CEST,J0,J100", "CET-1CEST,366,1",
	"CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0/3:60",
	"CET-1CEST,M3.5.0,M10.5.0x", "CET-1CEST-25", "CET-1:2345",
	"CET-1CEST,M3.5.0,,M10.5.0", "CET-0001", "ABCDEFGHIJKLMNOPQ-1",
	"CET\001-1",
};

static void
test_corrupt_footers(void **state)
{
	static unsigned char buf[W_FILE_MAX];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_footers) / sizeof(bad_footers[0]); i++) {
		len = w_sample(buf, bad_footers[i]);
		expect_error(bad_footers[i], buf, len, E_FOOT);
	}
	len = w_sample(buf, "CET-1CEST,M3.5.0,M10.5.0/3");
	expect_error("no final newline", buf, len - 1, E_FOOT);
	buf[len - 3] = '\n';
	expect_error("newline inside", buf, len, E_FOOT);
	buf[len - 3] = '\0';
	expect_error("NUL inside", buf, len, E_FOOT);
}

/* Every prefix of a valid file is an error, never a crash. */
static void
test_truncated(void **state)
{
	static unsigned char buf[W_FILE_MAX];
	size_t len, n;
	int pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		len = w_sample(buf, pass ? "CET-1CEST,M3.5.0,M10.5.0/3" : NULL);
		for (n = 0; n < len; n++)
			expect_error("truncated", buf, n, NULL);
	}
}

/* Random bytes changed: loads or not, but every answer stays sane. */
static void
test_mutated(void **state)
{
	static unsigned char good[W_FILE_MAX], buf[W_FILE_MAX];
	size_t len = w_sample(good, "CET-1CEST,M3.5.0,M10.5.0/3"), n;
	unsigned seed = 12345, loaded = 0;
	struct tz *tz;
	struct tm tm;
	const char *error;
	time_t t;
	int i, k;

	(void)state;
	for (i = 0; i < 3000; i++) {
		memcpy(buf, good, len);
		n = len;
		for (k = rand_r(&seed) % 4; k >= 0; k--)
			buf[(size_t)rand_r(&seed) % len] =
			    (unsigned char)rand_r(&seed);
		if (rand_r(&seed) % 8 == 0)
			n = (size_t)rand_r(&seed) % len;
		w_write("mutant", buf, n);
		if (load_tmp("mutant", &tz, &error) < 0)
			continue;
		loaded++;
		for (t = -(1LL << 40); t < (1LL << 40); t += (1LL << 36) + 7) {
			tz_localtime(tz, t, &tm);
			assert_true(labs(tz_offset(tz, t)) < 26 * HOUR);
			assert_non_null(tm.tm_zone);
			(void)tz_mktime(tz, &tm);
		}
		tz_free(&tz);
	}
	assert_true(loaded > 0);
}

static void
test_not_files(void **state)
{
	static unsigned char big[1024 * 1024 + 1];
	char path[128];
	struct tz *tz;
	const char *error;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load_tmp("fifo", &tz, &error), -1);
	assert_string_equal(error, "not a time zone file");
	memcpy(big, "TZif2", 5);
	w_write("big", big, sizeof(big));
	assert_int_equal(load_tmp("big", &tz, &error), -1);
	assert_string_equal(error, "not a time zone file");
	/* UTC needs no file. */
	assert_int_equal(load_tmp("UTC", &tz, &error), 0);
	assert_int_equal(tz_offset(tz, 1700000000), 0);
	tz_free(&tz);
	tz_free(&tz);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	strcpy(tmpdir, "/tmp/test_tz.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_zones),
		cmocka_unit_test(test_localtime_file),
		cmocka_unit_test(test_mktime_gaps),
		cmocka_unit_test(test_mktime_normalise),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_slim_files),
		cmocka_unit_test(test_v1_file),
		cmocka_unit_test(test_footers),
		cmocka_unit_test(test_footer_specials),
		cmocka_unit_test(test_corrupt_counts),
		cmocka_unit_test(test_corrupt_data),
		cmocka_unit_test(test_corrupt_footers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutated),
		cmocka_unit_test(test_not_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
