/*
 * archive_index.c — the archive's indexes and its feed: index.html (the
 * months), YYYY-MM/index.html (a month by date), YYYY-MM/threads.html
 * (a month by thread, as nested lists) and atom.xml (RFC 4287).
 *
 * Each is a function of the model alone, and only of what it shows, so
 * that a new post changes its own month's indexes, index.html and the
 * feed, and nothing else.  Nothing here depends on the time of the run.
 *
 * Owns nothing past a call.  Fails: -1 with a malloc'd *error_r when a
 * template cannot be rendered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"

/* ---- index.html -------------------------------------------------------- */

int
arch_page_index(struct arch *x, struct buf *out, char **error_r)
{
	struct buf rows = BUF_INIT, list = BUF_INIT, total = BUF_INIT;
	char count[32];
	struct tvar row[2] = { { "month", NULL }, { "count", count } };
	struct tvar vars[3] = { { "list_addr", NULL }, { "months", NULL },
	    { "count", NULL } };
	size_t k;
	int rc = 0;

	for (k = x->nmonths; rc == 0 && k > 0; k--) {
		row[0].value = x->months[k - 1].name;
		snprintf(count, sizeof(count), "%zu", x->months[k - 1].count);
		rc = arch_render(x, ARCH_T_MONTH_ROW, row, 2, &rows, error_r);
	}
	archive_escape(x->a->list_addr, strlen(x->a->list_addr), &list);
	buf_printf(&total, "%zu", x->nposts);
	buf_puts(&rows, "");
	vars[0].value = list.data;
	vars[1].value = rows.data;
	vars[2].value = total.data;
	if (rc == 0)
		rc = arch_page(x, "", ARCH_T_INDEX, vars, 3, out, error_r);
	buf_free(&total);
	buf_free(&list);
	buf_free(&rows);
	return rc;
}

/* ---- a month, by date and by thread ----------------------------------- */

/* One post as a list item: subject linked to its page (in the same
 * directory), author, date; the <li> is left open. */
static int
month_item(struct arch *x, size_t i, struct buf *out, char **error_r)
{
	const struct arch_post *p = &x->posts[i];

	buf_printf(out, "<li><a href=\"%lld.html\">", (long long)p->id);
	if (arch_subject(x, p, out, error_r) < 0)
		return -1;
	buf_puts(out, "</a> <span class=\"author\">");
	archive_escape(p->author, strlen(p->author), out);
	buf_puts(out, "</span> <span class=\"date\">");
	arch_date(p->created, out);
	buf_puts(out, "</span>");
	return 0;
}

/* Render month page t with its list of posts in items. */
static int
month_page(struct arch *x, size_t month, enum arch_tpl t, const char *name,
    const char *items, struct buf *out, char **error_r)
{
	struct buf list = BUF_INIT;
	char count[32];
	struct tvar vars[4] = { { "list_addr", NULL }, { "month", NULL },
	    { "count", count }, { NULL, items } };
	int rc;

	archive_escape(x->a->list_addr, strlen(x->a->list_addr), &list);
	vars[0].value = list.data;
	vars[1].value = x->months[month].name;
	vars[3].name = name;
	snprintf(count, sizeof(count), "%zu", x->months[month].count);
	rc = arch_page(x, "../", t, vars, 4, out, error_r);
	buf_free(&list);
	return rc;
}

int
arch_page_by_date(struct arch *x, size_t month, struct buf *out,
    char **error_r)
{
	const struct arch_month *mo = &x->months[month];
	struct buf items = BUF_INIT;
	size_t i;
	int rc = 0;

	buf_puts(&items, "<ul class=\"posts\">\n");
	for (i = mo->first; rc == 0 && i < mo->first + mo->count; i++) {
		rc = month_item(x, i, &items, error_r);
		buf_puts(&items, "</li>\n");
	}
	buf_puts(&items, "</ul>\n");
	if (rc == 0)
		rc = month_page(x, month, ARCH_T_BY_DATE, "posts", items.data,
		    out, error_r);
	buf_free(&items);
	return rc;
}

/* The month's posts as nested lists, from their thread order and
 * depths (capped at ARCH_DEPTH_MAX, so a step down is at most one). */
static int
thread_lists(struct arch *x, const struct arch_month *mo, const size_t *order,
    const size_t *depth, struct buf *out, char **error_r)
{
	size_t k, d, prev = 0;

	buf_puts(out, "<ul class=\"thread\">\n");
	for (k = 0; k < mo->count; k++) {
		d = depth[order[k]];
		if (d > ARCH_DEPTH_MAX)
			d = ARCH_DEPTH_MAX;
		if (k > 0 && d > prev)
			buf_puts(out, "\n<ul>\n");
		else if (k > 0) {
			buf_puts(out, "</li>\n");
			for (; prev > d; prev--)
				buf_puts(out, "</ul></li>\n");
		}
		if (month_item(x, mo->first + order[k], out, error_r) < 0)
			return -1;
		prev = d;
	}
	if (mo->count > 0)
		buf_puts(out, "</li>\n");
	for (; prev > 0; prev--)
		buf_puts(out, "</ul></li>\n");
	buf_puts(out, "</ul>\n");
	return 0;
}

int
arch_page_by_thread(struct arch *x, size_t month, struct buf *out,
    char **error_r)
{
	const struct arch_month *mo = &x->months[month];
	size_t *parent, *order, *depth, i, pa;
	struct buf items = BUF_INIT;
	int rc;

	/* A reply to a post of an earlier month starts a tree here. */
	parent = xcalloc(mo->count + 1, sizeof(*parent));
	order = xcalloc(mo->count + 1, sizeof(*order));
	depth = xcalloc(mo->count + 1, sizeof(*depth));
	for (i = 0; i < mo->count; i++) {
		pa = x->posts[mo->first + i].parent;
		parent[i] = pa != ARCHIVE_NONE && pa >= mo->first ?
		    pa - mo->first : ARCHIVE_NONE;
	}
	archive_thread_order(parent, mo->count, order, depth);
	rc = thread_lists(x, mo, order, depth, &items, error_r);
	if (rc == 0)
		rc = month_page(x, month, ARCH_T_BY_THREAD, "threads",
		    items.data, out, error_r);
	buf_free(&items);
	free(depth);
	free(order);
	free(parent);
	return rc;
}

/* ---- atom.xml ----------------------------------------------------------- */

/* RFC 3339 in UTC. */
static void
feed_time(time_t t, struct buf *out)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "tag:LIST,YYYY-MM-DD:" (RFC 4151), from the list's creation day:
 * stable for as long as the list exists. */
static void
feed_tag(const struct arch *x, struct buf *out)
{
	struct tm tm;

	if (gmtime_r(&x->a->list_created, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_puts(out, "tag:");
	archive_escape(x->a->list_addr, strlen(x->a->list_addr), out);
	buf_printf(out, ",%04d-%02d-%02d:", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
}

/* One thread: its first post's subject and author, its latest post's
 * page and time. */
static int
feed_entry(struct arch *x, size_t root, size_t latest, struct buf *out,
    char **error_r)
{
	const struct arch_post *r = &x->posts[root], *l = &x->posts[latest];

	buf_puts(out, "<entry>\n<title>");
	if (arch_subject(x, r, out, error_r) < 0)
		return -1;
	buf_puts(out, "</title>\n<link rel=\"alternate\" type=\"text/html\" "
	    "href=\"");
	archive_page_path(l->id, l->created, out);
	buf_puts(out, "\"/>\n<id>");
	feed_tag(x, out);
	buf_printf(out, "thread-%lld</id>\n<updated>", (long long)r->id);
	feed_time(l->created, out);
	buf_puts(out, "</updated>\n<author><name>");
	archive_escape(r->author, strlen(r->author), out);
	buf_puts(out, "</name></author>\n</entry>\n");
	return 0;
}

int
arch_feed(struct arch *x, struct buf *out, char **error_r)
{
	struct buf list = BUF_INIT, id = BUF_INIT, upd = BUF_INIT,
	    entries = BUF_INIT;
	struct tvar vars[4] = { { "list_addr", NULL }, { "feed_id", NULL },
	    { "updated", NULL }, { "entries", NULL } };
	unsigned char *seen = xcalloc(x->nposts + 1, 1);
	size_t i, n = 0, r;
	int rc = 0;

	/* Newest post first: each thread is met first at its latest post. */
	for (i = x->nposts; rc == 0 && i > 0 && n < ARCHIVE_FEED_THREADS; i--) {
		r = x->posts[i - 1].root;
		if (seen[r])
			continue;
		seen[r] = 1;
		n++;
		rc = feed_entry(x, r, i - 1, &entries, error_r);
	}
	archive_escape(x->a->list_addr, strlen(x->a->list_addr), &list);
	feed_tag(x, &id);
	buf_puts(&id, "archive");
	feed_time(x->nposts > 0 ? x->posts[x->nposts - 1].created :
	    x->a->list_created, &upd);
	buf_puts(&entries, "");
	vars[0].value = list.data;
	vars[1].value = id.data;
	vars[2].value = upd.data;
	vars[3].value = entries.data;
	if (rc == 0)
		rc = arch_render(x, ARCH_T_FEED, vars, 4, out, error_r);
	free(seen);
	buf_free(&entries);
	buf_free(&upd);
	buf_free(&id);
	buf_free(&list);
	return rc;
}
