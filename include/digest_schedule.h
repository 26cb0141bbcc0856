/*
 * schedule.h — when digests go out: "daily HH:MM" or "weekly DAY HH:MM"
 * in a list's time zone.
 *
 * A struct schedule is a plain value; both functions are thread-safe.
 */
#ifndef POSTINO_SCHEDULE_H
#define POSTINO_SCHEDULE_H

#include <time.h>

struct tz;

enum sched_kind { SCHED_DAILY, SCHED_WEEKLY };

struct schedule {
	enum sched_kind	 kind;
	int		 wday;		/* 0 = Sunday; SCHED_WEEKLY only */
	int		 hour, min;
};

/*
 * "daily HH:MM" or "weekly DAY HH:MM": DAY is mon..sun or monday..sunday,
 * words are case-insensitive; HH 00-23, MM 00-59, two digits each; one
 * space or tab between words, none before or after.
 * 0, or -1 with *error_r a static text explaining the expected form.
 */
int	 schedule_parse(const char *s, struct schedule *, const char **error_r);

/*
 * The first scheduled instant strictly after `after`, in zone tz.  A
 * local time that a DST change skips fires at the moved-forward instant
 * (02:30 -> 03:30), once; one that happens twice fires at the first.
 */
time_t	 schedule_next(const struct schedule *, const struct tz *,
	    time_t after);

#endif
