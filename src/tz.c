/*
 * tz.c — TZif files (RFC 8536, versions 1 to 4) and POSIX TZ strings,
 * read into an immutable struct tz that any thread may use at once.
 *
 * A zone is a sorted table of transitions, each naming a local time type
 * {offset, isdst, abbreviation}; for instants after the last transition
 * (or in a file with none) the footer's TZ string ("CET-1CEST,M3.5.0,
 * M10.5.0/3") says what applies, since "slim" files stop at the last
 * change of rules.  Version 1 files have only 32-bit times and no footer;
 * for version 2 and later the 64-bit block is used and the first one is
 * only skipped.
 *
 * Owns: each struct tz and its arrays (tz_free).  Fails: tz_load returns
 * -1 with a static reason; I/O errors other than a missing file are also
 * logged with their path.  Every count and offset read from a file is
 * checked against what was read, so a hostile or truncated file is an
 * error, never a crash.  Files with leap seconds ("right/" zones) are
 * refused: their time_t is not POSIX time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "tz.h"

#define TZDIR_DEFAULT	"/usr/share/zoneinfo"
#define LOCALTIME_PATH	"/etc/localtime"
#define FILE_MAX	(1024 * 1024)	/* real ones are under 10 KiB */
#define HDR_LEN		44
#define TYPES_MAX	256		/* a type index is one byte */
#define OFF_MAX		93599		/* |UT offset| <= 25:59:59 */
#define ABBR_MAX	16
#define FOOTER_MAX	256
#define DST_HOURS_MAX	24		/* offsets in a TZ string */
#define RULE_HOURS_MAX	167		/* rule times, RFC 8536 3.3.1 */
#define T_LIMIT		(INT64_C(1) << 55)	/* about 1.1e9 years */
#define T_NONE		INT64_MAX
#define DAY		86400

struct tz_type {
	long		 utoff;
	int		 isdst;
	const char	*abbr;
};

/* The forms Jn, n and Mm.w.d of a date in a TZ string. */
enum tz_date_kind { DATE_JULIAN, DATE_ZERO, DATE_MONTH };

struct tz_date {
	enum tz_date_kind kind;
	int		 n;		/* Jn: 1-365, n: 0-365 */
	int		 mon, week, wday;
	long		 secs;		/* local time of the change */
};

/* A TZ string: std only, or std and dst with the dates they start. */
struct tz_rule {
	struct tz_type	 std, dst;
	int		 has_dst;
	struct tz_date	 start, end;
	char		 abbr[2][ABBR_MAX + 1];
};

struct tz {
	int64_t		*trans;		/* ascending */
	unsigned char	*idx;		/* type of each transition */
	size_t		 ntrans;
	struct tz_type	*types;		/* types[0] applies before trans[0] */
	char		*chars;		/* the abbreviations, NUL-separated */
	int		 has_rule;
	struct tz_rule	 rule;
};

/* The counts of a TZif header, in file order. */
struct tz_hdr {
	int		 version;
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

struct tz_rd {
	const unsigned char *p;
	size_t		 len, off;
};

/* Calendar arithmetic (proleptic Gregorian), after H. Hinnant. */

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days since 1970-01-01 of y-m-d, m 1-12. */
static int64_t
days_from_civil(int64_t y, int m, int64_t d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = era * 400 + yoe + (*m_r <= 2);
}

static int64_t
clamp_t(int64_t t)
{
	return t < -T_LIMIT ? -T_LIMIT : t > T_LIMIT ? T_LIMIT : t;
}

static int64_t
year_of(int64_t t)
{
	int64_t y;
	int m, d;

	civil_from_days(floor_div(t, DAY), &y, &m, &d);
	return y;
}

/* The TZ string rules: when DST starts and ends in a given year. */

static int64_t
rule_day(const struct tz_date *dt, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), first, next, d;

	switch (dt->kind) {
	case DATE_JULIAN:	/* Feb 29 is never counted */
		return jan1 + dt->n - 1 + (is_leap(y) && dt->n >= 60);
	case DATE_ZERO:
		return jan1 + dt->n;
	case DATE_MONTH:
	default:
		first = days_from_civil(y, dt->mon, 1);
		next = dt->mon == 12 ? days_from_civil(y + 1, 1, 1) :
		    days_from_civil(y, dt->mon + 1, 1);
		d = first + floor_mod(dt->wday - floor_mod(first + 4, 7), 7) +
		    7 * (dt->week - 1);
		while (d >= next)	/* week 5: the last one */
			d -= 7;
		return d;
	}
}

/* ev[0]: DST starts (given in standard time); ev[1]: it ends (in DST). */
static void
rule_events(const struct tz_rule *r, int64_t y, int64_t ev[2])
{
	ev[0] = rule_day(&r->start, y) * DAY + r->start.secs - r->std.utoff;
	ev[1] = rule_day(&r->end, y) * DAY + r->end.secs - r->dst.utoff;
}

/*
 * The latest change at or before t decides.  Years are visited in order
 * and a later event wins a tie, so DST all year ("EST5EDT4,0/0,J365/25",
 * where one year's end is the next one's start) stays DST.
 */
static const struct tz_type *
rule_type_at(const struct tz_rule *r, int64_t t)
{
	const struct tz_type *type = &r->std;
	int64_t y, yy, best = INT64_MIN, ev[2];

	if (!r->has_dst)
		return type;
	y = year_of(t + r->std.utoff);
	for (yy = y - 1; yy <= y + 1; yy++) {
		rule_events(r, yy, ev);
		if (ev[0] <= t && ev[0] >= best) {
			best = ev[0];
			type = &r->dst;
		}
		if (ev[1] <= t && ev[1] >= best) {
			best = ev[1];
			type = &r->std;
		}
	}
	return type;
}

static int64_t
rule_next(const struct tz_rule *r, int64_t t)
{
	int64_t y, yy, next = T_NONE, ev[2];
	int i;

	if (!r->has_dst)
		return T_NONE;
	y = year_of(t + r->std.utoff);
	for (yy = y - 1; yy <= y + 2; yy++) {
		rule_events(r, yy, ev);
		for (i = 0; i < 2; i++)
			if (ev[i] > t && ev[i] < next)
				next = ev[i];
	}
	return next;
}

/* Lookups: the table, then the footer after its last transition. */

/* How many transitions are at or before t. */
static size_t
trans_upto(const struct tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->ntrans, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct tz_type *
type_at(const struct tz *tz, int64_t t)
{
	size_t n = trans_upto(tz, t);

	if (tz->has_rule && n == tz->ntrans &&
	    (n == 0 || t > tz->trans[n - 1]))
		return rule_type_at(&tz->rule, t);
	if (n == 0)
		return &tz->types[0];
	return &tz->types[tz->idx[n - 1]];
}

/* The first instant after t at which the type may change, or T_NONE. */
static int64_t
next_change(const struct tz *tz, int64_t t)
{
	size_t n = trans_upto(tz, t);

	if (n < tz->ntrans)
		return tz->trans[n];
	return tz->has_rule ? rule_next(&tz->rule, t) : T_NONE;
}

long
tz_offset(const struct tz *tz, time_t t)
{
	return type_at(tz, clamp_t(t))->utoff;
}

void
tz_localtime(const struct tz *tz, time_t t, struct tm *out)
{
	const struct tz_type *type;
	int64_t local, days, secs, y;
	int m, d;

	t = clamp_t(t);
	type = type_at(tz, t);
	local = (int64_t)t + type->utoff;
	days = floor_div(local, DAY);
	secs = local - days * DAY;
	civil_from_days(days, &y, &m, &d);
	memset(out, 0, sizeof(*out));
	out->tm_year = (int)(y - 1900);
	out->tm_mon = m - 1;
	out->tm_mday = d;
	out->tm_hour = (int)(secs / 3600);
	out->tm_min = (int)(secs / 60 % 60);
	out->tm_sec = (int)(secs % 60);
	out->tm_wday = (int)floor_mod(days + 4, 7);	/* 1970-01-01: Thu */
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	out->tm_isdst = type->isdst;
	out->tm_gmtoff = type->utoff;
	out->tm_zone = type->abbr;
}

/*
 * Every instant whose local time is L lies within OFF_MAX of L: walk the
 * stretches of constant offset there.  The earliest t with t + offset(t)
 * == L wins; when there is none, L is in a gap opened by a change from
 * offset a to b at T (T + a <= L < T + b), and L - a is "moved forward".
 */
time_t
tz_mktime(const struct tz *tz, const struct tm *tm)
{
	int64_t y, mon, local, t, hi, next, cand, best = T_NONE, gap = T_NONE;
	long a, b;

	mon = tm->tm_mon;
	y = (int64_t)tm->tm_year + 1900 + floor_div(mon, 12);
	local = (days_from_civil(y, (int)floor_mod(mon, 12) + 1, 1) +
	    tm->tm_mday - 1) * DAY + tm->tm_hour * INT64_C(3600) +
	    tm->tm_min * INT64_C(60) + tm->tm_sec;
	local = clamp_t(local);
	hi = local + OFF_MAX;
	for (t = local - OFF_MAX;; t = next) {
		a = type_at(tz, t)->utoff;
		next = next_change(tz, t);
		cand = local - a;
		if (cand >= t && cand < next && cand < best)
			best = cand;
		if (next > hi)
			break;
		b = type_at(tz, next)->utoff;
		if (gap == T_NONE && b > a && next + a <= local &&
		    local < next + b)
			gap = local - a;
	}
	if (best != T_NONE)
		return (time_t)best;
	if (gap != T_NONE)
		return (time_t)gap;
	return (time_t)(local - type_at(tz, local)->utoff);
}

/* POSIX TZ strings (RFC 8536 3.3). */

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 to 3 digits, no more than max; NULL when there are none or too many. */
static const char *
parse_num(const char *s, int max, int *v_r)
{
	int v = 0, n;

	for (n = 0; n < 3 && is_digit(*s); n++, s++)
		v = v * 10 + (*s - '0');
	if (n == 0 || v > max || is_digit(*s))
		return NULL;
	*v_r = v;
	return s;
}

/* [+-]hh[:mm[:ss]] with hh at most hmax. */
static const char *
parse_hms(const char *s, int hmax, long *secs_r)
{
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if ((s = parse_num(s, hmax, &h)) == NULL)
		return NULL;
	if (*s == ':' && (s = parse_num(s + 1, 59, &m)) != NULL &&
	    *s == ':')
		s = parse_num(s + 1, 59, &sec);
	if (s == NULL)
		return NULL;
	*secs_r = sign * (h * 3600L + m * 60L + sec);
	return s;
}

/* "CET" or "<+0330>": 3 to ABBR_MAX characters. */
static const char *
parse_abbr(const char *s, char out[ABBR_MAX + 1])
{
	size_t n = 0;

	if (*s == '<') {
		for (s++; *s != '>'; s++) {
			if (*s == '\0' || n == ABBR_MAX ||
			    (!is_alpha(*s) && !is_digit(*s) && *s != '+' &&
			    *s != '-'))
				return NULL;
			out[n++] = *s;
		}
		s++;
	} else {
		for (; is_alpha(*s); s++) {
			if (n == ABBR_MAX)
				return NULL;
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return n >= 3 ? s : NULL;
}

/* ",Jn[/time]", ",n[/time]" or ",Mm.w.d[/time]"; the time defaults to 2:00. */
static const char *
parse_date(const char *s, struct tz_date *dt)
{
	if (*s++ != ',')
		return NULL;
	if (*s == 'J') {
		dt->kind = DATE_JULIAN;
		if ((s = parse_num(s + 1, 365, &dt->n)) == NULL || dt->n < 1)
			return NULL;
	} else if (*s == 'M') {
		dt->kind = DATE_MONTH;
		if ((s = parse_num(s + 1, 12, &dt->mon)) == NULL ||
		    dt->mon < 1 || *s != '.' ||
		    (s = parse_num(s + 1, 5, &dt->week)) == NULL ||
		    dt->week < 1 || *s != '.' ||
		    (s = parse_num(s + 1, 6, &dt->wday)) == NULL)
			return NULL;
	} else {
		dt->kind = DATE_ZERO;
		if ((s = parse_num(s, 365, &dt->n)) == NULL)
			return NULL;
	}
	dt->secs = 2 * 3600;
	if (*s == '/')
		s = parse_hms(s + 1, RULE_HOURS_MAX, &dt->secs);
	return s;
}

/*
 * std offset [dst [offset] [,start[/time],end[/time]]].  Offsets count
 * west of UTC, the opposite of ours; DST is an hour ahead unless given,
 * and without dates follows the US rules as tzcode and glibc do.
 */
static int
parse_rule(const char *s, struct tz_rule *r)
{
	long off;

	if ((s = parse_abbr(s, r->abbr[0])) == NULL ||
	    (s = parse_hms(s, DST_HOURS_MAX, &off)) == NULL)
		return -1;
	r->std = (struct tz_type){ -off, 0, r->abbr[0] };
	if (*s == '\0')
		return 0;
	if ((s = parse_abbr(s, r->abbr[1])) == NULL)
		return -1;
	r->dst = (struct tz_type){ r->std.utoff + 3600, 1, r->abbr[1] };
	if (*s != ',' && *s != '\0') {
		if ((s = parse_hms(s, DST_HOURS_MAX, &off)) == NULL)
			return -1;
		r->dst.utoff = -off;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if ((s = parse_date(s, &r->start)) == NULL ||
	    (s = parse_date(s, &r->end)) == NULL || *s != '\0')
		return -1;
	r->has_dst = 1;
	return 0;
}

/* TZif files. */

static const unsigned char *
rd_take(struct tz_rd *rd, uint64_t n)
{
	const unsigned char *p = rd->p + rd->off;

	if (n > rd->len - rd->off)
		return NULL;
	rd->off += (size_t)n;
	return p;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int
parse_header(struct tz_rd *rd, struct tz_hdr *h, const char **error_r)
{
	const unsigned char *p;

	if ((p = rd_take(rd, HDR_LEN)) == NULL || memcmp(p, "TZif", 4) != 0) {
		*error_r = "not a time zone file (no TZif header)";
		return -1;
	}
	if (p[4] != 0 && (p[4] < '2' || p[4] > '4')) {
		*error_r = "unsupported time zone file version";
		return -1;
	}
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* Bytes of the data block after a header; 64-bit, so no overflow. */
static uint64_t
data_len(const struct tz_hdr *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 +
	    h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	    h->isutcnt;
}

static int
check_counts(const struct tz_rd *rd, const struct tz_hdr *h, unsigned tsize,
    const char **error_r)
{
	*error_r = "corrupt time zone file (bad counts)";
	if (h->typecnt == 0 || h->typecnt > TYPES_MAX || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return -1;
	if (h->leapcnt != 0) {
		*error_r = "time zone files with leap seconds are not"
		    " supported";
		return -1;
	}
	if (data_len(h, tsize) > rd->len - rd->off) {
		*error_r = "corrupt time zone file (truncated)";
		return -1;
	}
	return 0;
}

static int
read_transitions(struct tz_rd *rd, const struct tz_hdr *h, unsigned tsize,
    struct tz *tz)
{
	const unsigned char *p = rd_take(rd, (uint64_t)h->timecnt * tsize);
	const unsigned char *ix = rd_take(rd, h->timecnt);
	size_t i;

	tz->ntrans = h->timecnt;
	tz->trans = xcalloc(tz->ntrans, sizeof(*tz->trans));
	tz->idx = xcalloc(tz->ntrans, 1);
	for (i = 0; i < tz->ntrans; i++) {
		tz->trans[i] = tsize == 8 ? be64(p + 8 * i) :
		    (int32_t)be32(p + 4 * i);
		tz->idx[i] = ix[i];
		if (ix[i] >= h->typecnt ||
		    (i > 0 && tz->trans[i] <= tz->trans[i - 1]))
			return -1;
	}
	return 0;
}

static int
read_types(struct tz_rd *rd, const struct tz_hdr *h, struct tz *tz)
{
	const unsigned char *p = rd_take(rd, (uint64_t)h->typecnt * 6);
	const unsigned char *chars = rd_take(rd, h->charcnt);
	int32_t off;
	size_t i;

	tz->chars = xmalloc(h->charcnt);
	memcpy(tz->chars, chars, h->charcnt);
	tz->types = xcalloc(h->typecnt, sizeof(*tz->types));
	for (i = 0; i < h->typecnt; i++, p += 6) {
		off = (int32_t)be32(p);
		if (off < -OFF_MAX || off > OFF_MAX || p[4] > 1 ||
		    p[5] >= h->charcnt ||
		    memchr(tz->chars + p[5], '\0', h->charcnt - p[5]) == NULL)
			return -1;
		tz->types[i] = (struct tz_type){ off, p[4], tz->chars + p[5] };
	}
	return 0;
}

static int
parse_data(struct tz_rd *rd, const struct tz_hdr *h, unsigned tsize,
    struct tz *tz, const char **error_r)
{
	if (check_counts(rd, h, tsize, error_r) < 0)
		return -1;
	*error_r = "corrupt time zone file (bad transition or type)";
	if (read_transitions(rd, h, tsize, tz) < 0 ||
	    read_types(rd, h, tz) < 0)
		return -1;
	rd_take(rd, (uint64_t)h->isstdcnt + h->isutcnt);
	return 0;
}

/* "\n" TZ string "\n", the last bytes of the file. */
static int
parse_footer(struct tz_rd *rd, struct tz *tz, const char **error_r)
{
	char str[FOOTER_MAX];
	size_t n = rd->len - rd->off;
	const char *p = (const char *)rd->p + rd->off;

	*error_r = "corrupt time zone file (bad TZ string footer)";
	if (n < 2 || n - 2 >= sizeof(str) || p[0] != '\n' ||
	    p[n - 1] != '\n' || memchr(p + 1, '\n', n - 2) != NULL ||
	    memchr(p + 1, '\0', n - 2) != NULL)
		return -1;
	memcpy(str, p + 1, n - 2);
	str[n - 2] = '\0';
	if (str[0] == '\0')
		return 0;
	if (parse_rule(str, &tz->rule) < 0)
		return -1;
	tz->has_rule = 1;
	return 0;
}

static int
tz_parse(const unsigned char *p, size_t len, struct tz *tz,
    const char **error_r)
{
	struct tz_rd rd = { p, len, 0 };
	struct tz_hdr h;

	if (parse_header(&rd, &h, error_r) < 0)
		return -1;
	if (h.version == 1) {
		if (parse_data(&rd, &h, 4, tz, error_r) < 0)
			return -1;
		*error_r = "corrupt time zone file (trailing data)";
		return rd.off == rd.len ? 0 : -1;
	}
	if (rd_take(&rd, data_len(&h, 4)) == NULL) {
		*error_r = "corrupt time zone file (truncated)";
		return -1;
	}
	if (parse_header(&rd, &h, error_r) < 0 ||
	    parse_data(&rd, &h, 8, tz, error_r) < 0)
		return -1;
	return parse_footer(&rd, tz, error_r);
}

/* Loading. */

static struct tz *
tz_new_utc(void)
{
	struct tz *tz = xcalloc(1, sizeof(*tz));

	tz->types = xcalloc(1, sizeof(*tz->types));
	tz->types[0] = (struct tz_type){ 0, 0, "UTC" };
	return tz;
}

static int
name_check(const char *name, const char **error_r)
{
	const char *s;

	if (strnlen(name, TZ_NAME_MAX + 1) > TZ_NAME_MAX) {
		*error_r = "time zone name too long (at most 64 characters)";
		return -1;
	}
	if (name[0] == '/') {
		*error_r = "time zone name must not start with '/'";
		return -1;
	}
	if (strstr(name, "..") != NULL) {
		*error_r = "time zone name must not contain '..'";
		return -1;
	}
	for (s = name; *s != '\0'; s++)
		if (!is_alpha(*s) && !is_digit(*s) &&
		    strchr("_+-./", *s) == NULL) {
			*error_r = "time zone names contain only letters,"
			    " digits and '_', '+', '-', '.', '/'";
			return -1;
		}
	return 0;
}

/* Up to n bytes from fd: how many, or -1. */
static ssize_t
read_full(int fd, unsigned char *p, size_t n)
{
	size_t len = 0;
	ssize_t r;

	while (len < n && (r = read(fd, p + len, n - len)) != 0) {
		if (r < 0 && errno != EINTR)
			return -1;
		len += r > 0 ? (size_t)r : 0;
	}
	return (ssize_t)len;
}

/*
 * The whole file, in a malloc'd *buf_r.  1 when there is no such file, 0,
 * or -1 with *error_r.  O_NONBLOCK: a FIFO in the zone directory must not
 * hang the daemon.  One byte more than stat said is asked for, so a file
 * that grew meanwhile is caught.
 */
static int
read_file(const char *path, unsigned char **buf_r, size_t *len_r,
    const char **error_r)
{
	struct stat st;
	ssize_t n = -1;
	int fd, rc = -1;

	*buf_r = NULL;
	*error_r = "cannot read the time zone file";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		log_warn("%s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0)
		log_warn("%s", path);
	else if (S_ISDIR(st.st_mode))
		rc = 1;
	else if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX)
		*error_r = "not a time zone file";
	else {
		*buf_r = xmalloc((size_t)st.st_size + 1);
		if ((n = read_full(fd, *buf_r, (size_t)st.st_size + 1)) < 0)
			log_warn("%s", path);
		rc = n == st.st_size ? 0 : -1;
		*len_r = (size_t)st.st_size;
	}
	if (rc != 0) {
		free(*buf_r);
		*buf_r = NULL;
	}
	close(fd);
	return rc;
}

int
tz_load(const char *name, struct tz **tz_r, const char **error_r)
{
	struct buf path = BUF_INIT;
	unsigned char *data = NULL;
	const char *dir;
	size_t len = 0;
	int local, rc = -1, r;

	*tz_r = NULL;
	local = name[0] == '\0' || strcmp(name, "localtime") == 0;
	if (strcmp(name, "UTC") == 0) {
		*tz_r = tz_new_utc();
		return 0;
	}
	if (local)
		buf_puts(&path, LOCALTIME_PATH);
	else {
		if (name_check(name, error_r) < 0)
			return -1;
		if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
			dir = TZDIR_DEFAULT;
		buf_printf(&path, "%s/%s", dir, name);
	}
	if ((r = read_file(path.data, &data, &len, error_r)) < 0)
		goto out;
	if (r == 1) {
		*error_r = "unknown time zone (expected a name such as"
		    " Europe/Rome, or UTC)";
		if (local)
			*tz_r = tz_new_utc();
		rc = local ? 0 : -1;
		goto out;
	}
	*tz_r = xcalloc(1, sizeof(**tz_r));
	if ((rc = tz_parse(data, len, *tz_r, error_r)) < 0)
		tz_free(tz_r);
out:
	free(data);
	buf_free(&path);
	return rc;
}

void
tz_free(struct tz **tzp)
{
	struct tz *tz = *tzp;

	if (tz == NULL)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->types);
	free(tz->chars);
	free(tz);
	*tzp = NULL;
}
