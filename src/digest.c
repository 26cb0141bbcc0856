/*
 * digest.c — build, cut and schedule digests (digest.h says what they
 * are).
 *
 * Building: the posts of a digest are read in id order and grouped by
 * thread (threads in the order they first appear), which numbers them
 * 1..n the same way in the table of contents and in the body.  A MIME
 * digest attaches each post as it was received; a plain digest (RFC
 * 1153) shows its readable text (msg_text), with lines that start with
 * '-' stuffed as RFC 934 asks, so that no post can fake a separator,
 * and over-long lines broken, so that the digest goes out 8bit.
 * The mail itself is a notice (notice.h) with list_mail set: headers,
 * encodings and the footer as trailer come from there.
 *
 * Scheduling: digest_state keeps the next scheduled time of each list
 * and the schedule and zone it was computed for; when the list changes
 * either, the time is computed again from now.  A scheduled time with
 * nothing waiting passes without a digest.
 *
 * Owns: nothing past one call.  Fails: -1, logged, with the transaction
 * rolled back; nothing was cut then.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "digest.h"
#include "digest_schedule.h"
#include "listconf.h"
#include "listctx.h"
#include "log.h"
#include "modlog_checkpoint.h"
#include "modlog_report.h"
#include "msg.h"
#include "msg_parts.h"
#include "notice.h"
#include "release.h"
#include "store.h"
#include "store_digest.h"
#include "tz.h"

#define DIGEST_TEXT_MAX	(256 * 1024)	/* readable text of one post */
#define DIGEST_DUE_MAX	160		/* "weekly monday 06:00|Zone/Name" */
#define DIGEST_LOG_SPAN	(30 * 86400)	/* the log's summary covers */
#define DIGEST_LINE_MAX	980		/* octets; 998 less stuffing */

/* One post of a digest. */
struct dpost {
	int64_t	 id;
	int64_t	 message_id;
	char	*msgid;
	char	*subject;
	char	*author;
	char	*thread;
	size_t	 group;		/* index of its thread's first post */
	char	*raw;		/* loaded when building */
	size_t	 len;
	struct msg *m;		/* parsed raw, or NULL when it cannot be */
	char	*shown;		/* the author as the contents show him */
};

struct dposts {
	struct dpost	*v;
	size_t		 n, cap;
};

/* The number and local date of an issue. */
struct number {
	int64_t	 volume;
	int64_t	 issue;
	int	 year;
	int	 month;		/* YYYYMM in the list's zone */
	int	 with_log;	/* first of the month: the log's summary */
	time_t	 now;
	char	 date[40];	/* YYYY-MM-DD in the list's zone */
};

static int
collect(const struct store_post *p, void *arg)
{
	struct dposts *ps = arg;
	struct dpost *d;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	d = &ps->v[ps->n++];
	memset(d, 0, sizeof(*d));
	d->id = p->id;
	d->message_id = p->message_id;
	d->msgid = xstrdup(p->msgid != NULL ? p->msgid : "");
	d->subject = xstrdup(p->subject != NULL ? p->subject : "");
	d->author = xstrdup(p->author != NULL ? p->author : "");
	d->thread = xstrdup(p->thread != NULL ? p->thread : "");
	return 0;
}

static void
dpost_clear(struct dpost *d)
{
	free(d->msgid);
	free(d->subject);
	free(d->author);
	free(d->thread);
	msg_free(&d->m);	/* a view over raw: first */
	free(d->raw);
	free(d->shown);
	memset(d, 0, sizeof(*d));
}

static void
dposts_free(struct dposts *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		dpost_clear(&ps->v[i]);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* Leave out the posts of threads member_id muted. */
static int
drop_muted(struct store *st, int64_t member_id, struct dposts *ps)
{
	const char *pref;
	size_t i, o;
	int rc;

	for (i = o = 0; i < ps->n; i++) {
		rc = store_thread_pref_get(st, member_id, ps->v[i].thread,
		    &pref);
		if (rc < 0)
			return -1;
		if (rc == 1 && strcmp(pref, "mute") == 0) {
			dpost_clear(&ps->v[i]);
			continue;
		}
		ps->v[o++] = ps->v[i];
	}
	ps->n = o;
	return 0;
}

static int
by_group(const void *a, const void *b)
{
	const struct dpost *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Posts grouped by thread, threads in order of their first post. */
static void
group_threads(struct dposts *ps)
{
	size_t i, j;

	for (i = 0; i < ps->n; i++) {
		ps->v[i].group = i;
		if (ps->v[i].thread[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(ps->v[j].thread, ps->v[i].thread) == 0) {
				ps->v[i].group = ps->v[j].group;
				break;
			}
	}
	qsort(ps->v, ps->n, sizeof(*ps->v), by_group);
}

/* Render a line template into out, then a newline; logs failures. */
static int
line(const struct list_ctx *dc, const char *name, const struct tvar *vars,
    size_t n, struct buf *out)
{
	char *error = NULL;

	if (notice_line(dc->cfg, dc->lang, dc->override, name, vars, n, out,
	    &error) < 0) {
		log_warnx("list %s: digest: %s", dc->list.addr, error);
		free(error);
		return -1;
	}
	buf_puts(out, "\n");
	return 0;
}

/* The table of contents: each thread, then its posts, numbered. */
static int
toc(const struct list_ctx *dc, const struct dposts *ps, struct buf *out)
{
	char num[24], count[24];
	size_t i, j;

	for (i = 0; i < ps->n; i = j) {
		for (j = i; j < ps->n && ps->v[j].group == ps->v[i].group; j++)
			;
		snprintf(count, sizeof(count), "%zu", j - i);
		{
			const struct tvar vars[] = {
				{ "subject", ps->v[i].subject },
				{ "count", count },
			};

			if (line(dc, "digest_toc_thread", vars, 2, out) < 0)
				return -1;
		}
		for (; i < j; i++) {
			snprintf(num, sizeof(num), "%zu", i + 1);
			const struct tvar vars[] = {
				{ "number", num },
				{ "subject", ps->v[i].subject },
				{ "author", ps->v[i].shown },
			};

			if (line(dc, "digest_toc_entry", vars, 3, out) < 0)
				return -1;
		}
	}
	return 0;
}

/* RFC 934 §2: a line that starts with '-' gets "- " in front. */
static void
stuff_dashes(const char *s, size_t n, struct buf *out)
{
	size_t i;
	int bol = 1;

	for (i = 0; i < n; i++) {
		if (bol && s[i] == '-')
			buf_puts(out, "- ");
		bol = s[i] == '\n';
		buf_putc(out, s[i]);
	}
}

struct attachments {
	const struct list_ctx	*dc;
	struct buf		*out;
	int			 rc;
};

/* One line per attachment, after the text of a plain digest's post. */
static int
attachment(const struct msg_part *part, void *arg)
{
	struct attachments *a = arg;
	char size[32];

	if (!part->attach)
		return 0;
	if (part->size >= 1024)
		snprintf(size, sizeof(size), "%zu KB", (part->size + 512) / 1024);
	else
		snprintf(size, sizeof(size), "%zu B", part->size);
	{
		const struct tvar vars[] = {
			{ "filename", part->filename != NULL ? part->filename :
			    "-" },
			{ "type", part->type },
			{ "size", size },
		};

		if (line(a->dc, "digest_attachment", vars, 3, a->out) < 0) {
			a->rc = -1;
			return 1;
		}
	}
	return 0;
}

/*
 * msg_text keeps the message's line ends: plain LF here, and a line
 * longer than DIGEST_LINE_MAX octets broken (between UTF-8 characters),
 * so that the digest goes out 8bit (RFC 5322 §2.1.1: 998 at most) and
 * formail and mail readers show its text as it is.
 */
static void
text_lines(const char *s, size_t n, struct buf *out)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r')
			continue;
		if (col >= DIGEST_LINE_MAX && s[i] != '\n' &&
		    ((unsigned char)s[i] & 0xc0) != 0x80) {
			buf_putc(out, '\n');
			col = 0;
		}
		buf_putc(out, s[i]);
		col = s[i] == '\n' ? 0 : col + 1;
	}
}

/* One post of a plain digest: its fields, its readable text and a list
 * of its attachments. */
static int
plain_message(const struct list_ctx *dc, const struct dpost *d, size_t number,
    struct buf *out)
{
	struct buf text = BUF_INIT, stuffed = BUF_INIT, raw = BUF_INIT;
	struct attachments a = { dc, &stuffed, 0 };
	char *date = NULL, *from = NULL, num[24];
	const char *why;
	int rc = -1;

	if (d->m != NULL) {
		date = msg_header_text(d->m, "Date");
		from = msg_header_text(d->m, "From");
		if (msg_text(d->m, DIGEST_TEXT_MAX, &raw) < 0)
			buf_reset(&raw);
	}
	text_lines(raw.data, raw.len, &text);
	stuff_dashes(text.data != NULL ? text.data : "", text.len, &stuffed);
	if (d->m != NULL) {
		buf_puts(&stuffed, "\n");
		(void)msg_parts_each(d->m, attachment, &a, &why);
		if (a.rc < 0)
			goto out;
	}
	buf_puts(&stuffed, "");
	snprintf(num, sizeof(num), "%zu", number);
	{
		const struct tvar vars[] = {
			{ "number", num },
			{ "date", date != NULL ? date : "" },
			{ "from", from != NULL ? from : d->author },
			{ "subject", d->subject },
			{ "msgid", d->msgid },
			{ "text", stuffed.data },
		};

		rc = line(dc, "digest_plain_message", vars, 6, out);
	}
out:
	free(date);
	free(from);
	buf_free(&raw);
	buf_free(&text);
	buf_free(&stuffed);
	return rc;
}

/* The moderation log's summary of the last month, as digest_modlog
 * renders it. */
static int
log_summary(const struct list_ctx *dc, time_t now, struct buf *out)
{
	struct modlog_report r;
	char *error = NULL;
	int rc;

	if (modlog_report(dc->st, dc->cfg, dc->lang, dc->override,
	    dc->list.id, dc->list.addr, dc->pseudonym, 1,
	    now - DIGEST_LOG_SPAN,
	    &r, &error) < 0) {
		log_warnx("list %s: digest: %s", dc->list.addr,
		    error != NULL ? error : "store error");
		free(error);
		return -1;
	}
	rc = line(dc, "digest_modlog", r.vars, MODLOG_REPORT_VARS, out);
	modlog_report_clear(&r);
	return rc;
}

/*
 * The digest mail of digest_id (0: the posts waiting) numbered as nb,
 * for everyone (member_id 0) or for one member who muted threads.
 * 1 built into out, 0 nothing in it, -1 error.
 */
static int
build(const struct list_ctx *dc, int64_t digest_id, const struct number *nb,
    int plain, int64_t member_id, struct buf *out)
{
	struct dposts ps = { NULL, 0, 0 };
	struct buf contents = BUF_INIT, messages = BUF_INIT, footer = BUF_INIT;
	struct buf moderation = BUF_INIT, checkpoint = BUF_INIT;
	struct notice_part *parts = NULL;
	char vol[24], iss[24], count[24], *error = NULL;
	struct notice nt;
	const char *why;
	size_t i;
	int rc = -1;

	if (store_digest_posts(dc->st, dc->list.id, digest_id, collect,
	    &ps) < 0)
		goto out;
	if (member_id != 0 && drop_muted(dc->st, member_id, &ps) < 0)
		goto out;
	if (ps.n == 0) {
		rc = 0;
		goto out;
	}
	group_threads(&ps);
	parts = xcalloc(ps.n, sizeof(*parts));
	for (i = 0; i < ps.n; i++) {
		if (store_message_get(dc->st, ps.v[i].message_id, &ps.v[i].raw,
		    &ps.v[i].len) < 0)
			goto out;
		parts[i] = (struct notice_part){ ps.v[i].raw, ps.v[i].len };
		if (msg_parse(ps.v[i].raw, ps.v[i].len, &ps.v[i].m, &why) < 0)
			ps.v[i].m = NULL;
		ps.v[i].shown = ps.v[i].m != NULL ?
		    msg_author_name(ps.v[i].m) : xstrdup("");
		if (ps.v[i].shown[0] == '\0') {
			free(ps.v[i].shown);
			ps.v[i].shown = xstrdup(ps.v[i].author);
		}
	}
	if (toc(dc, &ps, &contents) < 0)
		goto out;
	for (i = 0; plain && i < ps.n; i++) {
		if (plain_message(dc, &ps.v[i], i + 1, &messages) < 0)
			goto out;
		buf_puts(&messages, "\n");	/* after each separator */
	}
	if (release_footer(dc, &footer) < 0 ||
	    (nb->with_log && log_summary(dc, nb->now, &moderation) < 0) ||
	    modlog_checkpoint_line(dc->st, dc->list.id, dc->list.addr,
	    &checkpoint) < 0)
		goto out;
	buf_puts(&contents, "");
	buf_puts(&messages, "");
	buf_puts(&moderation, "");
	snprintf(vol, sizeof(vol), "%lld", (long long)nb->volume);
	snprintf(iss, sizeof(iss), "%lld", (long long)nb->issue);
	snprintf(count, sizeof(count), "%zu", ps.n);
	{
		const struct tvar vars[] = {
			{ "volume", vol }, { "issue", iss }, { "count", count },
			{ "date", nb->date }, { "contents", contents.data },
			{ "moderation", moderation.data },
			{ "checkpoint", checkpoint.data },
			{ "messages", messages.data },
		};

		notice_from_list(&nt, dc, plain ? "digest_plain" :
		    "digest_mime", vars, plain ? 8 : 7);
		nt.to = dc->list.addr;
		nt.list_mail = 1;
		nt.archive_url = dc->archive_url;
		nt.digest = plain ? NULL : parts;
		nt.ndigest = plain ? 0 : ps.n;
		nt.trailer = footer.data;
		if (notice_build(dc->cfg, &nt, out, &error) < 0) {
			log_warnx("list %s: digest: %s", dc->list.addr,
			    error);
			goto out;
		}
	}
	rc = 1;
out:
	free(error);
	free(parts);
	dposts_free(&ps);
	buf_free(&contents);
	buf_free(&messages);
	buf_free(&footer);
	buf_free(&moderation);
	buf_free(&checkpoint);
	return rc;
}

/* Zone name (the list's timezone setting); UTC, logged, when it cannot
 * be loaded.  NULL only when even that fails. */
static struct tz *
zone_load(const struct store_list *list, const char *name)
{
	struct tz *tz = NULL;
	const char *why;

	if (name != NULL && tz_load(name, &tz, &why) == 0)
		return tz;
	log_warnx("list %s: time zone '%s': %s; using UTC", list->addr,
	    name != NULL ? name : "", name != NULL ? why : "store error");
	return tz_load("UTC", &tz, &why) == 0 ? tz : NULL;
}

/* The number the next issue gets: a new volume with a new local year. */
static int
next_number(const struct list_ctx *dc, time_t now, struct number *nb)
{
	struct digest_state ds;
	struct tm tm;
	struct tz *tz;

	if ((tz = zone_load(&dc->list, dc->timezone)) == NULL)
		return -1;
	tz_localtime(tz, now, &tm);
	tz_free(&tz);
	if (store_digest_state(dc->st, dc->list.id, &ds) < 0)
		return -1;
	snprintf(nb->date, sizeof(nb->date), "%04d-%02d-%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	nb->now = now;
	nb->year = tm.tm_year + 1900;
	nb->month = nb->year * 100 + tm.tm_mon + 1;
	nb->with_log = ds.log_month != nb->month && dc->digest_modlog;
	nb->volume = ds.volume;
	nb->issue = ds.issue + 1;
	if (ds.year != 0 && ds.year != nb->year && ds.issue > 0) {
		nb->volume = ds.volume + 1;
		nb->issue = 1;
	}
	store_digest_state_clear(&ds);
	return 0;
}

struct muters {
	const struct list_ctx	*dc;
	const struct number	*nb;
	struct digest_cut	*cut;
	const char		*env_from;
	int			 rc;
};

/* A copy of his own for a digest member who muted one of its threads. */
static int
muter(int64_t member_id, const char *addr, const char *format, void *arg)
{
	struct muters *mu = arg;
	struct buf body = BUF_INIT;
	const char *rcpt[1] = { addr };
	int rc;

	rc = build(mu->dc, mu->cut->digest_id, mu->nb,
	    strcmp(format, "plain") == 0, member_id, &body);
	if (rc == 1 && store_job_direct(mu->dc->st, mu->env_from, rcpt, 1,
	    body.data, body.len, NULL) < 0)
		rc = -1;
	buf_free(&body);
	if (rc < 0) {
		mu->rc = -1;
		return 1;
	}
	mu->cut->personal += rc;
	return 0;
}

/* Cut and queue inside the caller's transaction. */
static int
cut_and_queue(const struct list_ctx *dc, time_t now, struct digest_cut *cut)
{
	static const char *const formats[] = { "mime", "plain" };
	struct buf body = BUF_INIT, from = BUF_INIT;
	struct number nb;
	struct muters mu;
	int64_t max_member;
	size_t i;
	int rc = -1;

	memset(cut, 0, sizeof(*cut));
	if (next_number(dc, now, &nb) < 0 ||
	    store_digest_cut(dc->st, dc->list.id, nb.volume, nb.issue,
	    nb.year, now, &cut->digest_id, &cut->posts) < 0)
		goto out;
	cut->volume = nb.volume;
	cut->issue = nb.issue;
	if (cut->posts > 0 && nb.with_log &&
	    store_digest_log_month(dc->st, dc->list.id, nb.month) < 0)
		goto out;
	if (cut->posts == 0) {
		rc = 0;
		goto out;
	}
	if ((max_member = store_member_max_id(dc->st)) < 0)
		goto out;
	(void)list_addr_ext(&dc->name, "bounces", &from);
	for (i = 0; i < 2; i++) {
		buf_reset(&body);
		if (build(dc, cut->digest_id, &nb, i == 1, 0, &body) != 1 ||
		    store_job_digest(dc->st, dc->list.id, cut->digest_id,
		    formats[i], from.data, body.data, body.len, max_member,
		    dc->verp, NULL) < 0)
			goto out;
	}
	mu = (struct muters){ dc, &nb, cut, from.data, 0 };
	if (store_digest_muters(dc->st, dc->list.id, cut->digest_id, muter,
	    &mu) < 0 || mu.rc < 0)
		goto out;
	rc = 1;
out:
	buf_free(&body);
	buf_free(&from);
	return rc;
}

int
digest_send(struct store *st, const struct config *cfg,
    const struct store_list *list, time_t now, struct digest_cut *cut)
{
	struct list_ctx dc;
	int rc = -1;

	if (list_ctx_init(st, cfg, list, &dc) < 0)
		goto out;
	if (store_begin(st) < 0)
		goto out;
	if ((rc = cut_and_queue(&dc, now, cut)) < 0 ||
	    (rc == 1 && store_commit(st) < 0)) {
		store_rollback(st);
		rc = -1;
		goto out;
	}
	if (rc == 0)
		store_rollback(st);
	else
		log_info("list %s: digest volume %lld issue %lld: %lld post(s),"
		    " %lld personal copies", list->addr,
		    (long long)cut->volume, (long long)cut->issue,
		    (long long)cut->posts, (long long)cut->personal);
out:
	list_ctx_clear(&dc);
	return rc;
}

int
digest_preview(struct store *st, const struct config *cfg,
    const struct store_list *list, int plain, time_t now, struct buf *out)
{
	struct number nb;
	struct list_ctx dc;
	int rc = -1;

	if (list_ctx_init(st, cfg, list, &dc) == 0 &&
	    next_number(&dc, now, &nb) == 0)
		rc = build(&dc, 0, &nb, plain, 0, out);
	list_ctx_clear(&dc);
	return rc;
}

/* ---- the scheduler ---------------------------------------------------- */

struct lists {
	struct store_list	*v;
	size_t			 n, cap;
};

struct tick {
	struct store		*st;
	const struct config	*cfg;
	time_t			 now;
	int			 sent;
	int			 failed;
};

/*
 * When the list's next digest is due (0: never, only by size): from
 * digest_state while the schedule and zone are those it was computed
 * for, else (or when advance is set) computed again from now and stored.
 * 0, or -1.
 */
static int
due_time(struct tick *tk, const struct store_list *list, int advance,
    time_t *due_r)
{
	struct digest_state ds = { 0, 0, 0, 0, NULL, 0 };
	struct digest_schedule sc;
	struct tz *tz = NULL;
	char *sched, *zone, key[DIGEST_DUE_MAX];
	const char *why;
	int rc = -1;

	*due_r = 0;
	sched = listconf_get(tk->st, list->id, list->addr, "digest_schedule");
	zone = listconf_get(tk->st, list->id, list->addr, "timezone");
	if (sched == NULL || zone == NULL)
		goto out;
	if (digest_schedule_parse(sched, &sc, &why) < 0) {
		log_warnx("list %s: digest_schedule '%s': %s", list->addr,
		    sched, why);
		rc = 0;
		goto out;
	}
	if (store_digest_state(tk->st, list->id, &ds) < 0)
		goto out;
	snprintf(key, sizeof(key), "%s|%s", sched, zone);
	*due_r = ds.next_due;
	if (advance || ds.next_due == 0 || strcmp(ds.due_for, key) != 0) {
		if ((tz = zone_load(list, zone)) == NULL)
			goto out;
		*due_r = digest_schedule_next(&sc, tz, tk->now);
		if (store_digest_set_due(tk->st, list->id, *due_r, key) < 0)
			goto out;
	}
	rc = 0;
out:
	store_digest_state_clear(&ds);
	tz_free(&tz);
	free(sched);
	free(zone);
	return rc;
}

static void
tick_list(const struct store_list *list, struct tick *tk)
{
	struct digest_cut cut;
	int64_t count, bytes;
	struct digest_state ds;
	long long limit;
	char *size;
	time_t due;
	int rc, send, idle;

	if (store_digest_pending(tk->st, list->id, &count, &bytes) < 0)
		goto fail;
	rc = store_digest_state(tk->st, list->id, &ds);
	idle = count == 0 && ds.next_due > tk->now;
	store_digest_state_clear(&ds);
	if (rc < 0)
		goto fail;
	/* Nothing waits and nothing is due: no settings to read. */
	if (idle)
		return;
	if (due_time(tk, list, 0, &due) < 0)
		goto fail;
	if ((size = listconf_get(tk->st, list->id, list->addr,
	    "digest_size")) == NULL)
		goto fail;
	limit = listconf_kbytes(size);
	free(size);
	send = count > 0 && ((due != 0 && due <= tk->now) ||
	    (limit > 0 && bytes >= limit));
	if (send) {
		if (digest_send(tk->st, tk->cfg, list, tk->now, &cut) < 0)
			goto fail;
		tk->sent++;
	}
	/* The scheduled time passed, with or without posts: the next one. */
	if (due != 0 && due <= tk->now && due_time(tk, list, 1, &due) < 0)
		goto fail;
	return;
fail:
	tk->failed++;
}

static int
gather(const struct store_list *list, void *arg)
{
	struct lists *ls = arg;

	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 8;
		ls->v = xrealloc(ls->v, ls->cap * sizeof(*ls->v));
	}
	ls->v[ls->n].id = list->id;
	ls->v[ls->n].addr = xstrdup(list->addr);
	ls->v[ls->n].created = list->created;
	ls->n++;
	return 0;
}

int
digest_tick(struct store *st, const struct config *cfg, time_t now)
{
	struct tick tk = { st, cfg, now, 0, 0 };
	struct lists ls = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	/* The lists first: no statement stays open across the writes. */
	if (store_list_each(st, gather, &ls) < 0)
		rc = -1;
	for (i = 0; i < ls.n; i++) {
		if (rc == 0)
			tick_list(&ls.v[i], &tk);
		store_list_clear(&ls.v[i]);
	}
	free(ls.v);
	if (rc < 0 || (tk.failed > 0 && tk.sent == 0))
		return -1;
	return tk.sent;
}
