/*
 * archive.c — where a post lives in the HTML archive, and the mboxrd
 * export of a list's accepted posts.
 *
 * mboxrd: each message is preceded by "From SENDER DATE", its CRLF line
 * ends become LF, every line that matches ^>*From gets one more '>' (so
 * that a reader removes exactly one and gets the line back), and a blank
 * line ends it.  mutt and Python's mailbox read that back.
 *
 * Owns nothing past a call.  Fails: archive_export returns -1 on a store
 * error (logged); write errors are left in the FILE for the caller.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "store_archive.h"

void
archive_page_path(int64_t post_id, time_t created, struct buf *out)
{
	struct tm tm;

	if (gmtime_r(&created, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(out, "%04d-%02d/%lld.html", tm.tm_year + 1900,
	    tm.tm_mon + 1, (long long)post_id);
}

int
archive_date_parse(const char *s, time_t *t_r)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct tm tm;
	int y, m, d, leap, i;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' :
		    (s[i] < '0' || s[i] > '9'))
			return -1;
	if (s[10] != '\0')
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !leap))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*t_r = timegm(&tm);
	return 0;
}

/* ---- mboxrd ---------------------------------------------------------- */

void
archive_mbox_from(const char *sender, time_t created, struct buf *out)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const unsigned char *s;
	struct tm tm;

	buf_puts(out, "From ");
	if (sender == NULL || sender[0] == '\0')
		sender = "MAILER-DAEMON";
	for (s = (const unsigned char *)sender; *s != '\0'; s++)
		buf_putc(out, *s <= ' ' || *s == 127 ? '_' : (char)*s);
	if (gmtime_r(&created, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(out, " %s %s %2d %02d:%02d:%02d %d\n",
	    days[tm.tm_wday % 7], months[tm.tm_mon % 12], tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* Whether the line at s[0..n) matches ^>*From (mboxrd quotes it). */
static int
mbox_from_line(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == '>')
		i++;
	return n - i >= 5 && memcmp(s + i, "From ", 5) == 0;
}

void
archive_mbox_message(const char *data, size_t len, struct buf *out)
{
	const char *nl;
	size_t p = 0, e, n;

	while (p < len) {
		nl = memchr(data + p, '\n', len - p);
		e = nl == NULL ? len : (size_t)(nl - data);
		n = e - p;
		if (nl != NULL && n > 0 && data[e - 1] == '\r')
			n--;
		if (mbox_from_line(data + p, n))
			buf_putc(out, '>');
		buf_append(out, data + p, n);
		buf_putc(out, '\n');
		p = nl == NULL ? len : e + 1;
	}
	buf_putc(out, '\n');
}

struct export {
	FILE	*fp;
	size_t	 count;
	struct buf b;
};

static int
export_one(const struct store_post *p, const char *msg, size_t len,
    void *arg)
{
	struct export *x = arg;

	buf_reset(&x->b);
	archive_mbox_from(p->sender, p->created, &x->b);
	archive_mbox_message(msg, len, &x->b);
	if (fwrite(x->b.data, 1, x->b.len, x->fp) != x->b.len)
		return 1;
	x->count++;
	return 0;
}

int
archive_export(struct store *st, int64_t list_id, time_t since, FILE *fp,
    size_t *count_r)
{
	struct export x = { fp, 0, BUF_INIT };
	int rc;

	rc = store_archive_each(st, list_id, since, export_one, &x);
	buf_free(&x.b);
	*count_r = x.count;
	return rc;
}
