/*
 * digest_schedule.c — digest schedules: "daily HH:MM" and "weekly DAY HH:MM",
 * parsed, and the next instant one fires in a list's time zone.
 *
 * Owns nothing.  Parsing fails with a static text that shows the expected
 * form (it ends up after "list set ... digest_schedule: ").  The arithmetic
 * cannot fail: local times become instants through tz_mktime, which
 * settles DST gaps (moved forward) and repeats (the first one).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "digest_schedule.h"
#include "tz.h"

#define WORDS_MAX	3

struct word {
	const char	*p;
	size_t		 len;
};

static const char *const day_names[7] = { "sunday", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday" };

static int
word_is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && strncasecmp(w->p, s, w->len) == 0;
}

/* Words separated by exactly one space or tab: how many, or -1. */
static int
split_words(const char *s, struct word w[WORDS_MAX],
    const char **error_r)
{
	int n = 0;
	size_t len;

	for (;;) {
		len = strcspn(s, " \t");
		if (len == 0) {
			*error_r = "words must be separated by one space or"
			    " tab, with none before or after";
			return -1;
		}
		if (n == WORDS_MAX) {
			*error_r = "too many words: expected 'daily HH:MM' or"
			    " 'weekly DAY HH:MM'";
			return -1;
		}
		w[n].p = s;
		w[n++].len = len;
		s += len;
		if (*s++ == '\0')
			return n;
	}
}

static int
parse_day(const struct word *w, int *wday_r, const char **error_r)
{
	int i;

	for (i = 0; i < 7; i++)
		if ((w->len == 3 && strncasecmp(w->p, day_names[i], 3) == 0) ||
		    word_is(w, day_names[i])) {
			*wday_r = i;
			return 0;
		}
	*error_r = "unknown day: expected mon..sun or monday..sunday";
	return -1;
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
parse_time(const struct word *w, int *hour_r, int *min_r,
    const char **error_r)
{
	const char *p = w->p;

	if (w->len != 5 || !digit(p[0]) || !digit(p[1]) || p[2] != ':' ||
	    !digit(p[3]) || !digit(p[4])) {
		*error_r = "time must be HH:MM, two digits each, e.g. 06:00";
		return -1;
	}
	*hour_r = (p[0] - '0') * 10 + p[1] - '0';
	*min_r = (p[3] - '0') * 10 + p[4] - '0';
	if (*hour_r > 23) {
		*error_r = "hour must be 00 to 23";
		return -1;
	}
	if (*min_r > 59) {
		*error_r = "minute must be 00 to 59";
		return -1;
	}
	return 0;
}

int
digest_schedule_parse(const char *s, struct digest_schedule *sc,
    const char **error_r)
{
	struct word w[WORDS_MAX];
	int n;

	*error_r = "expected 'daily HH:MM' or 'weekly DAY HH:MM'";
	if (*s == '\0' || (n = split_words(s, w, error_r)) < 0)
		return -1;
	if (word_is(&w[0], "daily")) {
		sc->kind = DIGEST_DAILY;
		sc->wday = 0;
		if (n == 2)
			return parse_time(&w[1], &sc->hour, &sc->min, error_r);
		*error_r = "expected 'daily HH:MM', e.g. 'daily 06:00'";
		return -1;
	}
	if (word_is(&w[0], "weekly")) {
		sc->kind = DIGEST_WEEKLY;
		if (n == 3 && parse_day(&w[1], &sc->wday, error_r) == 0)
			return parse_time(&w[2], &sc->hour, &sc->min, error_r);
		if (n != 3)
			*error_r = "expected 'weekly DAY HH:MM', e.g."
			    " 'weekly mon 06:00'";
		return -1;
	}
	*error_r = "expected 'daily HH:MM' or 'weekly DAY HH:MM'";
	return -1;
}

/*
 * Try the schedule on each local day from the one before `after` to eight
 * after it and keep the earliest instant past `after`.  The day before
 * counts because a time moved forward by a gap can cross midnight; eight
 * days always hold one weekly slot past `after`.
 */
time_t
digest_schedule_next(const struct digest_schedule *sc, const struct tz *tz,
    time_t after)
{
	struct tm now, tm;
	time_t t, best = after;
	int k, found = 0;

	tz_localtime(tz, after, &now);
	for (k = -1; k <= 8; k++) {
		if (sc->kind == DIGEST_WEEKLY &&
		    (now.tm_wday + k + 7) % 7 != sc->wday)
			continue;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = now.tm_year;
		tm.tm_mon = now.tm_mon;
		tm.tm_mday = now.tm_mday + k;
		tm.tm_hour = sc->hour;
		tm.tm_min = sc->min;
		t = tz_mktime(tz, &tm);
		if (t > after && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	/* Not found only past the years a struct tz can handle. */
	return best;
}
