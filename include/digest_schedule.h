/*
 * digest_schedule.h — when digests go out: "daily HH:MM" or
 * "weekly DAY HH:MM" in a list's time zone.
 *
 * A struct digest_schedule is a plain value; both functions are
 * thread-safe.
 */
#ifndef POSTINO_DIGEST_SCHEDULE_H
#define POSTINO_DIGEST_SCHEDULE_H

#include <time.h>

struct tz;

enum digest_sched_kind { DIGEST_DAILY, DIGEST_WEEKLY };

struct digest_schedule {
	enum digest_sched_kind	 kind;
	int			 wday;	/* 0 = Sunday; DIGEST_WEEKLY only */
	int			 hour, min;
};

/*
 * "daily HH:MM" or "weekly DAY HH:MM": DAY is mon..sun or monday..sunday,
 * words are case-insensitive; HH 00-23, MM 00-59, two digits each; one
 * space or tab between words, none before or after.
 * 0, or -1 with *error_r a static text explaining the expected form.
 */
int	 digest_schedule_parse(const char *s, struct digest_schedule *,
	    const char **error_r);

/*
 * The first scheduled instant strictly after `after`, in zone tz.  A
 * local time that a DST change skips fires at the moved-forward instant
 * (02:30 -> 03:30), once; one that happens twice fires at the first.
 */
time_t	 digest_schedule_next(const struct digest_schedule *,
	    const struct tz *, time_t after);

#endif
