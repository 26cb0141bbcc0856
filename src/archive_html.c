/*
 * archive_html.c — the HTML archive of a list: the model (each accepted
 * post, its month, its place in its thread) and the run that renders
 * every file of the archive and writes those that changed.
 *
 * Two passes over the store: the first reads each message once for what
 * other pages show of it (its author's name, the post it answers); the
 * second reads each again to render its own page, so that only one
 * message is in memory at a time.  A post is placed under the post it
 * answers (In-Reply-To, else the last of References, else posts.thread)
 * only when that post came before it: a forged Message-ID can neither
 * make a loop nor move an older post.
 *
 * Owns: the model (arch_free).  Fails: a status and a malloc'd message
 * (archive.h); files already written stay, being complete and current.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"
#include "fsutil.h"
#include "log.h"
#include "msg.h"
#include "msg_parts.h"
#include "store_archive.h"

/* ---- thread order ------------------------------------------------------ */

void
archive_thread_order(const size_t *parent, size_t n, size_t *order,
    size_t *depth)
{
	size_t *first = xcalloc(n + 1, sizeof(*first));
	size_t *last = xcalloc(n + 1, sizeof(*last));
	size_t *next = xcalloc(n + 1, sizeof(*next));
	size_t *up = xcalloc(n + 1, sizeof(*up));
	size_t i, r, k = 0;

	for (i = 0; i < n; i++) {
		first[i] = last[i] = next[i] = ARCHIVE_NONE;
		up[i] = parent[i] < i ? parent[i] : ARCHIVE_NONE;
		depth[i] = up[i] == ARCHIVE_NONE ? 0 : depth[up[i]] + 1;
		if (up[i] == ARCHIVE_NONE)
			continue;
		if (first[up[i]] == ARCHIVE_NONE)
			first[up[i]] = i;
		else
			next[last[up[i]]] = i;
		last[up[i]] = i;
	}
	/* Depth first without a stack: down to the first reply, else on
	 * to the next sibling of the nearest ancestor that has one. */
	for (r = 0; r < n; r++) {
		if (up[r] != ARCHIVE_NONE)
			continue;
		for (i = r;;) {
			order[k++] = i;
			if (first[i] != ARCHIVE_NONE) {
				i = first[i];
				continue;
			}
			while (i != r && next[i] == ARCHIVE_NONE)
				i = up[i];
			if (i == r)
				break;
			i = next[i];
		}
	}
	free(up);
	free(next);
	free(last);
	free(first);
}

/* ---- the model --------------------------------------------------------- */

static void
arch_free(struct arch *x)
{
	size_t i;

	for (i = 0; i < x->nposts; i++) {
		free(x->posts[i].msgid);
		free(x->posts[i].answers);
		free(x->posts[i].thread);
		free(x->posts[i].subject);
		free(x->posts[i].author);
	}
	free(x->posts);
	free(x->months);
	arch_templates_clear(x);
}

/* "Name <alice at example.org>", or the address alone. */
static char *
author_shown(const char *name, const char *addr)
{
	struct buf b = BUF_INIT;

	if (name[0] != '\0') {
		buf_puts(&b, name);
		buf_puts(&b, " <");
	}
	archive_addr_shown(addr, &b);
	if (name[0] != '\0')
		buf_puts(&b, ">");
	buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

/* Pass one: what other pages show of each post. */
static int
model_add(const struct store_post *sp, const char *raw, size_t len,
    void *arg)
{
	struct arch *x = arg;
	struct arch_post *p;
	struct msg *m = NULL;
	const char *why;
	char *name;

	if (x->nposts == x->cap) {
		x->cap = x->cap == 0 ? 256 : x->cap * 2;
		x->posts = xrealloc(x->posts, x->cap * sizeof(*x->posts));
	}
	p = &x->posts[x->nposts++];
	memset(p, 0, sizeof(*p));
	p->id = sp->id;
	p->message_id = sp->message_id;
	p->created = sp->created;
	p->msgid = xstrdup(sp->msgid);
	p->thread = xstrdup(sp->thread);
	p->subject = xstrdup(sp->subject);
	if (msg_parse(raw, len, &m, &why) == 0) {
		p->answers = msg_parent(m);
		name = msg_author_name(m);
	} else {
		p->answers = xstrdup("");
		name = xstrdup("");
	}
	p->author = author_shown(name, sp->author);
	free(name);
	msg_free(&m);
	return 0;
}

/* Posts by Message-ID (then index), to find the post a post answers. */
static int
by_msgid(const void *a, const void *b, void *arg)
{
	const struct arch *x = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(x->posts[i].msgid, x->posts[j].msgid);

	return c != 0 ? c : (i > j) - (i < j);
}

/* The first post with Message-ID id, or ARCHIVE_NONE. */
static size_t
model_find(const struct arch *x, const size_t *byid, const char *id)
{
	size_t lo = 0, hi = x->nposts, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(x->posts[byid[mid]].msgid, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->nposts && strcmp(x->posts[byid[lo]].msgid, id) == 0 ?
	    byid[lo] : ARCHIVE_NONE;
}

/* The earlier post that post i answers, or ARCHIVE_NONE. */
static size_t
model_parent(const struct arch *x, const size_t *byid, size_t i)
{
	const struct arch_post *p = &x->posts[i];
	const char *cand[2] = { p->answers, p->thread };
	size_t k, j;

	for (k = 0; k < 2; k++) {
		if (cand[k][0] == '\0' || strcmp(cand[k], p->msgid) == 0)
			continue;
		j = model_find(x, byid, cand[k]);
		if (j != ARCHIVE_NONE && j < i)
			return j;
	}
	return ARCHIVE_NONE;
}

static void
model_threads(struct arch *x)
{
	size_t n = x->nposts, i, *byid, *parent, *order, *depth;

	byid = xcalloc(n + 1, sizeof(*byid));
	parent = xcalloc(n + 1, sizeof(*parent));
	order = xcalloc(n + 1, sizeof(*order));
	depth = xcalloc(n + 1, sizeof(*depth));
	for (i = 0; i < n; i++)
		byid[i] = i;
	qsort_r(byid, n, sizeof(*byid), by_msgid, x);
	for (i = 0; i < n; i++) {
		parent[i] = x->posts[i].parent = model_parent(x, byid, i);
		x->posts[i].root = parent[i] == ARCHIVE_NONE ? i :
		    x->posts[parent[i]].root;
		x->posts[i].tprev = x->posts[i].tnext = ARCHIVE_NONE;
	}
	archive_thread_order(parent, n, order, depth);
	for (i = 1; i < n; i++)
		if (x->posts[order[i]].root == x->posts[order[i - 1]].root) {
			x->posts[order[i]].tprev = order[i - 1];
			x->posts[order[i - 1]].tnext = order[i];
		}
	free(depth);
	free(order);
	free(parent);
	free(byid);
}

static void
model_months(struct arch *x)
{
	struct arch_month *mo;
	struct buf path = BUF_INIT;
	size_t i;

	x->months = xcalloc(x->nposts + 1, sizeof(*x->months));
	for (i = 0; i < x->nposts; i++) {
		buf_reset(&path);
		archive_page_path(x->posts[i].id, x->posts[i].created, &path);
		mo = x->nmonths > 0 ? &x->months[x->nmonths - 1] : NULL;
		if (mo == NULL || strncmp(mo->name, path.data, 7) != 0) {
			mo = &x->months[x->nmonths++];
			memcpy(mo->name, path.data, 7);
			mo->name[7] = '\0';
			mo->first = i;
		}
		mo->count++;
		x->posts[i].month = (size_t)(mo - x->months);
	}
	buf_free(&path);
}

/* ---- writing ----------------------------------------------------------- */

struct run {
	struct arch		*x;
	struct buf		 path;		/* DIR/... */
	struct buf		 page;		/* the rendering */
	size_t			*byid;		/* model indexes by post id */
	enum archive_status	 status;
	char			*error;
};

/* Write run->page to DIR/rel when it differs from what is there. */
static int
run_put(struct run *r, const char *rel)
{
	struct archive_html *a = r->x->a;
	const char *why;
	int rc;

	buf_reset(&r->path);
	buf_printf(&r->path, "%s/%s", a->dir, rel);
	rc = archive_file_put(r->path.data, r->page.data != NULL ?
	    r->page.data : "", r->page.len);
	if (rc < 0) {
		why = strerror(errno);
		buf_reset(&r->page);
		buf_printf(&r->page, "%s: %s", r->path.data, why);
		r->error = buf_steal(&r->page, NULL);
		r->status = ARCHIVE_EFILE;
		return -1;
	}
	if (rc == 0)
		a->unchanged++;
	else
		a->written++;
	return 0;
}

/* After a rendering: put it at rel, or take its error (read here, once
 * the rendering that sets it has run). */
static int
run_done(struct run *r, int rendered, char **error, const char *rel)
{
	if (rendered < 0) {
		r->error = *error;
		r->status = ARCHIVE_ETEMPLATE;
		return -1;
	}
	return run_put(r, rel);
}

/* Model indexes in post id order (post ids are unique). */
static int
by_post_id(const void *a, const void *b, void *arg)
{
	const struct arch *x = arg;
	int64_t i = x->posts[*(const size_t *)a].id;
	int64_t j = x->posts[*(const size_t *)b].id;

	return (i > j) - (i < j);
}

/* Pass two: the page of each post the model holds (one accepted since
 * pass one is left for the next run). */
static int
run_post(const struct store_post *sp, const char *raw, size_t len,
    void *arg)
{
	struct run *r = arg;
	struct arch *x = r->x;
	struct buf rel = BUF_INIT;
	size_t lo = 0, hi = x->nposts, mid;
	char *error = NULL;
	int rc;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (x->posts[r->byid[mid]].id < sp->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->nposts || x->posts[r->byid[lo]].id != sp->id)
		return 0;
	buf_reset(&r->page);
	archive_page_path(sp->id, x->posts[r->byid[lo]].created, &rel);
	rc = run_done(r, arch_page_post(x, r->byid[lo], raw, len, &r->page,
	    &error), &error, rel.data);
	buf_free(&rel);
	return rc < 0;
}

/* Each month's directory and its two indexes. */
static int
run_months(struct run *r)
{
	struct arch *x = r->x;
	char rel[64];
	char *error = NULL;
	size_t k;

	for (k = 0; k < x->nmonths; k++) {
		buf_reset(&r->path);
		buf_printf(&r->path, "%s/%s", x->a->dir, x->months[k].name);
		if (fs_mkdir_all(r->path.data, 0777) < 0) {
			buf_printf(&r->path, ": %s", strerror(errno));
			r->error = buf_steal(&r->path, NULL);
			r->status = ARCHIVE_EFILE;
			return -1;
		}
		snprintf(rel, sizeof(rel), "%s/index.html", x->months[k].name);
		buf_reset(&r->page);
		if (run_done(r, arch_page_by_date(x, k, &r->page, &error),
		    &error, rel) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "%s/threads.html",
		    x->months[k].name);
		buf_reset(&r->page);
		if (run_done(r, arch_page_by_thread(x, k, &r->page, &error),
		    &error, rel) < 0)
			return -1;
	}
	return 0;
}

/* Every file of the archive, the posts' pages last. */
static int
run_all(struct run *r, struct store *st, int64_t list_id)
{
	struct arch *x = r->x;
	char *error = NULL;
	size_t i;

	buf_reset(&r->page);
	arch_stylesheet(&r->page);
	if (run_put(r, "archive.css") < 0)
		return -1;
	buf_reset(&r->page);
	if (run_done(r, arch_feed(x, &r->page, &error), &error, "atom.xml") < 0)
		return -1;
	buf_reset(&r->page);
	if (run_done(r, arch_page_index(x, &r->page, &error), &error,
	    "index.html") < 0 || run_months(r) < 0)
		return -1;
	r->byid = xcalloc(x->nposts + 1, sizeof(*r->byid));
	for (i = 0; i < x->nposts; i++)
		r->byid[i] = i;
	qsort_r(r->byid, x->nposts, sizeof(*r->byid), by_post_id, x);
	if (store_archive_each(st, list_id, 0, run_post, r) < 0) {
		r->status = ARCHIVE_ESTORE;
		return -1;
	}
	return r->status == ARCHIVE_OK ? 0 : -1;
}

enum archive_status
archive_html_write(struct store *st, int64_t list_id, struct archive_html *a,
    char **error_r)
{
	struct run r;
	struct arch x;
	struct buf b = BUF_INIT;

	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	x.a = a;
	r.x = &x;
	a->written = a->unchanged = 0;
	*error_r = NULL;
	if (arch_templates_load(&x, error_r) < 0) {
		r.status = ARCHIVE_ETEMPLATE;
		goto out;
	}
	if (store_archive_each(st, list_id, 0, model_add, &x) < 0) {
		r.status = ARCHIVE_ESTORE;
		goto out;
	}
	model_threads(&x);
	model_months(&x);
	if (fs_mkdir_all(a->dir, 0777) < 0) {
		buf_printf(&b, "%s: %s", a->dir, strerror(errno));
		*error_r = buf_steal(&b, NULL);
		r.status = ARCHIVE_EFILE;
		goto out;
	}
	if (run_all(&r, st, list_id) < 0)
		*error_r = r.error;
out:
	free(r.byid);
	buf_free(&r.page);
	buf_free(&r.path);
	arch_free(&x);
	return r.status;
}
