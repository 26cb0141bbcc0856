/*
 * tz.h — time zones without the process-wide TZ: a reader of TZif files
 * (RFC 8536) and of their POSIX TZ footers.
 *
 * The daemon is multi-threaded and each list has a zone of its own, so
 * setenv("TZ")/tzset()/localtime() are out.  A struct tz is immutable once
 * loaded: every function below may be called on one zone from any number
 * of threads at once.  Times are clamped to about +-1e9 years, so no input
 * overflows.
 */
#ifndef POSTINO_TZ_H
#define POSTINO_TZ_H

#include <time.h>

#define TZ_NAME_MAX	64

struct tz;

/*
 * name: "" or "localtime" = /etc/localtime (UTC when that file is absent);
 * "UTC" (built in, needs no file); or an IANA name ("Europe/Rome") read
 * from /usr/share/zoneinfo, or from $TZDIR when that is set at load time.
 * Names are checked first: letters, digits and "_+-./" only, no "..", no
 * leading '/', at most TZ_NAME_MAX characters.
 * 0 and *tz_r (free with tz_free), or -1 with *error_r a static text fit
 * for "list set ... timezone: <text>".
 */
int	 tz_load(const char *name, struct tz **tz_r, const char **error_r);
void	 tz_free(struct tz **);

/* Seconds east of UTC at t. */
long	 tz_offset(const struct tz *, time_t t);

/*
 * Local time at t: every field of *out, with tm_isdst, tm_gmtoff and
 * tm_zone (which points into the struct tz: valid while it lives).
 */
void	 tz_localtime(const struct tz *, time_t t, struct tm *out);

/*
 * Local wall-clock time (tm_year, tm_mon, tm_mday, tm_hour, tm_min,
 * tm_sec, normalised like mktime; tm_wday, tm_yday and tm_isdst ignored)
 * to UTC.  A time in a DST gap is moved forward by the gap (02:30 on the
 * spring-forward day of Europe/Rome is 03:30 CEST); an ambiguous
 * (repeated) time takes the first occurrence.
 */
time_t	 tz_mktime(const struct tz *, const struct tm *local);

#endif
