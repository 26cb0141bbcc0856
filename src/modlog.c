/*
 * modlog.c — the moderation log: append an entry chained to the one
 * before, check a whole chain, read it back, summarise it, and render
 * the LIST+log@ report.
 *
 * hash_n = token_chain(hash_{n-1}, fields_n) (BLAKE2b-256, unkeyed), with
 * hash_0 = 32 zero bytes and the fields, as text, in this order: list id,
 * seq, time, action, post id, Message-ID, subject, rule, reason,
 * moderator.  The moderator field is the address in the entries of form
 * 1; form 2 (every entry appended with the keys loaded) hashes instead
 * the moderator's full pseudonym (modlog_moderator_id: "" for postino,
 * else "moderator-" and a 16-character MAC of the list and address), so
 * that members, who see pseudonyms, can recompute the chain from the
 * LIST+log@ mail (its postino-log-entry lines, modlog_checkpoint.c).  Changing any field, a predecessor link or a sequence number
 * of a stored row, or deleting a row that has a successor, shows in
 * modlog_check.  Rewriting a whole tail consistently does not: that is
 * what the head hash in the log mails is for (members keep it).
 *
 * Owns nothing past a call but a struct modlog_report's buffers.
 * Fails: -1 after the store logged its error; report errors are
 * malloc'd messages.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "modlog.h"
#include "modlog_checkpoint.h"
#include "modlog_report.h"
#include "notice.h"
#include "store.h"
#include "store_modlog.h"
#include "token.h"

#define NFIELDS		10
#define NUM_MAX		24
#define PSEUDO_CHARS	6

/* ---- the chain ------------------------------------------------------ */

/* hash of e (its seq set) after prev. */
static void
entry_hash(const uint8_t prev[MODLOG_HASH], int64_t list_id,
    const struct modlog_entry *e, uint8_t out[MODLOG_HASH])
{
	char id[NUM_MAX], seq[NUM_MAX], tm[NUM_MAX], post[NUM_MAX];
	const char *fields[NFIELDS];

	snprintf(id, sizeof(id), "%lld", (long long)list_id);
	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	snprintf(tm, sizeof(tm), "%lld", (long long)e->time);
	snprintf(post, sizeof(post), "%lld", (long long)e->post_id);
	fields[0] = id;
	fields[1] = seq;
	fields[2] = tm;
	fields[3] = e->action;
	fields[4] = post;
	fields[5] = e->msgid;
	fields[6] = e->subject;
	fields[7] = e->rule;
	fields[8] = e->reason;
	fields[9] = e->form >= 2 ? e->modid : e->moderator;
	token_chain(prev, fields, NFIELDS, out);
}

/* Form 2 (the pseudonym hashed) needs the keys and the list's address;
 * without the keys (a shell command that did not load them), form 1. */
static int
entry_form(struct store *st, int64_t list_id, struct modlog_entry *e,
    struct buf *modid)
{
	struct store_list l;
	int rc;

	e->form = 1;
	e->modid = "";
	if (!token_ready())
		return 0;
	if ((rc = store_list_get_id(st, list_id, &l)) <= 0)
		return rc;
	modlog_moderator_id(l.addr, e->moderator, modid);
	buf_puts(modid, "");
	e->modid = modid->data;
	e->form = 2;
	store_list_clear(&l);
	return 0;
}

int
modlog_append(struct store *st, int64_t list_id, struct modlog_entry *e)
{
	struct buf modid = BUF_INIT;
	uint8_t prev[MODLOG_HASH];
	int64_t last;
	int rc = -1;

	if (store_modlog_lock(st, list_id) < 0 ||
	    store_modlog_last(st, list_id, &last, prev) < 0 ||
	    entry_form(st, list_id, e, &modid) < 0)
		goto out;
	if (e->time == 0)
		e->time = time(NULL);
	e->seq = last + 1;
	entry_hash(prev, list_id, e, e->hash);
	rc = store_modlog_insert(st, list_id, e, prev);
out:
	if (e->modid == modid.data)
		e->modid = "";
	buf_free(&modid);
	return rc;
}

/* One walk over a chain in seq order. */
struct walk {
	int64_t			 list_id;
	char			*list_addr;	/* to check modids, or NULL */
	uint8_t			 prev[MODLOG_HASH];
	struct modlog_check	*c;
};

/* Form 2 hashes the pseudonym: the address beside it must make it. */
static int
modid_matches(const char *list_addr, const struct modlog_entry *e)
{
	struct buf id = BUF_INIT;
	int ok;

	modlog_moderator_id(list_addr, e->moderator, &id);
	buf_puts(&id, "");
	ok = strcmp(id.data, e->modid) == 0;
	buf_free(&id);
	return ok;
}

/* The first thing wrong with row r, or NULL. */
static const char *
row_fault(struct walk *w, const struct store_modlog_row *r,
    int64_t *bad_r)
{
	uint8_t h[MODLOG_HASH];
	int64_t expect = w->c->head_seq + 1;

	*bad_r = r->e.seq;
	if (r->e.seq > expect) {
		*bad_r = expect;
		return "missing (deleted, or a sequence number changed)";
	}
	if (r->e.seq < expect)
		return "sequence number out of order";
	if (!r->prev_ok || memcmp(r->prev, w->prev, MODLOG_HASH) != 0)
		return "its link to the entry before does not match";
	entry_hash(w->prev, w->list_id, &r->e, h);
	if (!r->hash_ok || memcmp(h, r->e.hash, MODLOG_HASH) != 0)
		return "its hash does not match its contents";
	if (r->e.form >= 2 && w->list_addr != NULL &&
	    !modid_matches(w->list_addr, &r->e))
		return "its moderator does not match the pseudonym hashed";
	return NULL;
}

static int
walk_row(const struct store_modlog_row *r, void *arg)
{
	struct walk *w = arg;
	int64_t bad;

	if ((w->c->what = row_fault(w, r, &bad)) != NULL) {
		w->c->bad_seq = bad;
		return 1;
	}
	if (r->e.seq == w->c->at_seq) {
		w->c->at_found = 1;
		memcpy(w->c->at_hash, r->e.hash, MODLOG_HASH);
	}
	w->c->entries++;
	w->c->head_seq = r->e.seq;
	memcpy(w->prev, r->e.hash, MODLOG_HASH);
	memcpy(w->c->head, r->e.hash, MODLOG_HASH);
	return 0;
}

int
modlog_check(struct store *st, int64_t list_id, struct modlog_check *c)
{
	return modlog_check_at(st, list_id, 0, c);
}

int
modlog_check_at(struct store *st, int64_t list_id, int64_t at,
    struct modlog_check *c)
{
	struct store_list l;
	struct walk w;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->at_seq = at;
	c->at_found = at == 0;
	memset(&w, 0, sizeof(w));
	memset(&l, 0, sizeof(l));
	w.list_id = list_id;
	w.c = c;
	/* With the keys, the addresses behind the pseudonyms are checked
	 * too (a list deleted since: its rows keep only the chain). */
	if (token_ready() && store_list_get_id(st, list_id, &l) < 0)
		goto out;
	w.list_addr = l.addr;
	if (store_modlog_each(st, list_id, 0, 0, walk_row, &w) < 0)
		goto out;
	rc = c->what != NULL ? 1 : 0;
out:
	store_list_clear(&l);
	return rc;
}

int
modlog_verify(struct store *st, int64_t list_id, int64_t *bad_seq_r)
{
	struct modlog_check c;
	int rc;

	rc = modlog_check(st, list_id, &c);
	*bad_seq_r = c.bad_seq;
	return rc;
}

/* ---- reading -------------------------------------------------------- */

struct each {
	int	(*fn)(const struct modlog_entry *, void *);
	void	*arg;
};

static int
each_row(const struct store_modlog_row *r, void *arg)
{
	struct each *x = arg;

	return x->fn(&r->e, x->arg);
}

int
modlog_each(struct store *st, int64_t list_id, size_t limit,
    int (*fn)(const struct modlog_entry *, void *), void *arg)
{
	struct each x = { fn, arg };

	return store_modlog_each(st, list_id, 1, limit, each_row, &x);
}

void
modlog_hex(const uint8_t hash[MODLOG_HASH], char out[MODLOG_HEX])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < MODLOG_HASH; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[2 * MODLOG_HASH] = '\0';
}

void
modlog_time(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", (long long)t);
}

/* The whole MAC behind a pseudonym, into mac. */
static void
moderator_mac(const char *list_addr, const char *moderator,
    char mac[TOKEN_MAC_LEN + 1])
{
	const char *fields[2];
	char *lower;
	size_t i;

	lower = xstrdup(moderator);
	for (i = 0; lower[i] != '\0'; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	fields[0] = list_addr;
	fields[1] = lower;
	token_mac("modlog", fields, 2, mac);
	free(lower);
}

void
modlog_moderator_id(const char *list_addr, const char *moderator,
    struct buf *out)
{
	char mac[TOKEN_MAC_LEN + 1];

	if (moderator == NULL || *moderator == '\0')
		return;
	moderator_mac(list_addr, moderator, mac);
	buf_printf(out, "moderator-%s", mac);
}

void
modlog_display_moderator(const char *list_addr, const char *moderator,
    int pseudonym, struct buf *out)
{
	char mac[TOKEN_MAC_LEN + 1];

	if (moderator == NULL || *moderator == '\0') {
		buf_puts(out, "postino");
		return;
	}
	if (!pseudonym) {
		buf_puts(out, moderator);
		return;
	}
	moderator_mac(list_addr, moderator, mac);
	buf_printf(out, "moderator-%.*s", PSEUDO_CHARS, mac);
}

/* ---- summaries ------------------------------------------------------ */

/* The counter of s for action, or NULL for actions it does not count. */
static size_t *
summary_slot(struct modlog_summary *s, const char *action)
{
	static const struct {
		const char	*action;
		size_t		 off;
	} slots[] = {
		{ MODLOG_HELD, offsetof(struct modlog_summary, held) },
		{ MODLOG_APPROVED, offsetof(struct modlog_summary, approved) },
		{ MODLOG_REJECTED, offsetof(struct modlog_summary, rejected) },
		{ MODLOG_DISCARDED, offsetof(struct modlog_summary, discarded) },
		{ MODLOG_EXPIRED, offsetof(struct modlog_summary, expired) },
		{ MODLOG_APPEALED, offsetof(struct modlog_summary, appealed) },
		{ MODLOG_OVERTURNED,
		    offsetof(struct modlog_summary, overturned) },
	};
	size_t i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (strcmp(action, slots[i].action) == 0)
			return (size_t *)((char *)s + slots[i].off);
	return NULL;
}

static int
count_action(const char *action, int64_t n, void *arg)
{
	struct modlog_summary *s = arg;
	size_t *slot = summary_slot(s, action);

	if (slot != NULL)
		*slot = (size_t)n;
	s->entries += (size_t)n;
	return 0;
}

/* Decision times, shortest first. */
struct times {
	int64_t	*v;
	size_t	 n, cap;
};

static int
add_time(int64_t secs, void *arg)
{
	struct times *t = arg;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = secs;
	return 0;
}

static double
median(const struct times *t)
{
	if (t->n == 0)
		return 0;
	if (t->n % 2 == 1)
		return (double)t->v[t->n / 2];
	return ((double)t->v[t->n / 2 - 1] + (double)t->v[t->n / 2]) / 2;
}

int
modlog_summarize(struct store *st, int64_t list_id, time_t since,
    struct modlog_summary *s)
{
	struct times t = { NULL, 0, 0 };
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (store_modlog_count(st, list_id, since, 0, count_action, s) < 0 ||
	    store_modlog_decision_times(st, list_id, since, add_time, &t) < 0 ||
	    store_modlog_last(st, list_id, &s->head_seq, s->head) < 0)
		goto out;
	s->median_decision_s = median(&t);
	rc = 0;
out:
	free(t.v);
	return rc;
}

/* ---- the LIST+log@ report ------------------------------------------ */

/* One modlog_report. */
struct rctx {
	const struct config	*cfg;
	const char		*lang, *override_dir, *list_addr;
	int			 pseudonym;
	struct buf		*out;
	char			*error;
};

/* Empty fields show as a dash, so that a line never reads as cut. */
static const char *
dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

#define LINE_VARS	9

static void
line_vars(struct tvar v[LINE_VARS], const char *seq, const char *tm,
    const struct modlog_entry *e, const char *who, const char *hash)
{
	v[0].name = "seq";
	v[0].value = seq;
	v[1].name = "time";
	v[1].value = tm;
	v[2].name = "action";
	v[2].value = e->action;
	v[3].name = "subject";
	v[3].value = dash(e->subject);
	v[4].name = "msgid";
	v[4].value = dash(e->msgid);
	v[5].name = "rule";
	v[5].value = dash(e->rule);
	v[6].name = "reason";
	v[6].value = dash(e->reason);
	v[7].name = "moderator";
	v[7].value = who;
	v[8].name = "hash";
	v[8].value = hash;
}

static int
report_line(const struct modlog_entry *e, void *arg)
{
	struct rctx *r = arg;
	struct buf who = BUF_INIT;
	struct tvar vars[LINE_VARS];
	char seq[NUM_MAX], tm[32], hex[MODLOG_HEX];
	int rc;

	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	modlog_time(e->time, tm);
	modlog_hex(e->hash, hex);
	modlog_display_moderator(r->list_addr, e->moderator, r->pseudonym,
	    &who);
	line_vars(vars, seq, tm, e, who.data, hex);
	if (r->out->len > 0)
		buf_puts(r->out, "\n\n");
	rc = notice_line(r->cfg, r->lang, r->override_dir, "log_line", vars,
	    LINE_VARS, r->out, &r->error);
	buf_free(&who);
	return rc < 0 ? 1 : 0;
}

static int
summary_action(const char *action, int64_t n, void *arg)
{
	buf_printf(arg, "  %-24s %lld\n", action, (long long)n);
	return 0;
}

static int
summary_rule(const char *rule, int64_t n, void *arg)
{
	struct buf name = BUF_INIT;

	buf_printf(&name, "rule \"%s\"", rule);
	buf_printf(arg, "  %-24s %lld\n", name.data, (long long)n);
	buf_free(&name);
	return 0;
}

/* "3d 4h", "2h 5m", "7m", "40s". */
static void
fmt_duration(double secs, struct buf *out)
{
	long long s = (long long)(secs + 0.5);

	if (s >= 86400)
		buf_printf(out, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		buf_printf(out, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		buf_printf(out, "%lldm", s / 60);
	else
		buf_printf(out, "%llds", s);
}

/* Counts per action and rule, the median; the head into r. */
static int
report_summary(struct store *st, int64_t list_id, time_t since,
    struct modlog_report *r)
{
	struct modlog_summary s;

	if (modlog_summarize(st, list_id, since, &s) < 0 ||
	    store_modlog_count(st, list_id, since, 0, summary_action,
	    &r->summary) < 0 ||
	    store_modlog_count(st, list_id, since, 1, summary_rule,
	    &r->summary) < 0)
		return -1;
	if (s.approved + s.rejected > 0) {
		buf_printf(&r->summary, "  %-24s ", "held -> decided (median)");
		fmt_duration(s.median_decision_s, &r->summary);
		buf_puts(&r->summary, "\n");
	}
	if (s.entries == 0)
		buf_puts(&r->summary, "  -\n");
	while (r->summary.len > 0 && r->summary.data[r->summary.len - 1] ==
	    '\n')
		r->summary.data[--r->summary.len] = '\0';
	modlog_hex(s.head, r->head_hash);
	snprintf(r->head_seq, sizeof(r->head_seq), "%lld",
	    (long long)s.head_seq);
	return 0;
}

static void
report_vars(struct modlog_report *r)
{
	if (r->entries.len == 0)
		buf_puts(&r->entries, "-");
	r->vars[0].name = "entries";
	r->vars[0].value = r->entries.data;
	r->vars[1].name = "summary";
	r->vars[1].value = r->summary.data;
	r->vars[2].name = "head_hash";
	r->vars[2].value = r->head_hash;
	r->vars[3].name = "head_seq";
	r->vars[3].value = r->head_seq;
	r->vars[4].name = "since";
	r->vars[4].value = r->since;
	r->vars[5].name = "checkpoint";
	r->vars[5].value = r->checkpoint.data;
	buf_puts(&r->chain, "");
	r->vars[6].name = "chain";
	r->vars[6].value = r->chain.data;
}

int
modlog_report(struct store *st, const struct config *cfg, const char *lang,
    const char *override_dir, int64_t list_id, const char *list_addr,
    int pseudonym, size_t limit, time_t since, struct modlog_report *r,
    char **error_r)
{
	struct rctx x;

	*error_r = NULL;
	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.lang = lang;
	x.override_dir = override_dir;
	x.list_addr = list_addr;
	x.pseudonym = pseudonym;
	x.out = &r->entries;
	modlog_time(since, r->since);
	if (modlog_each(st, list_id, limit, report_line, &x) < 0 ||
	    (x.error == NULL && (report_summary(st, list_id, since, r) < 0 ||
	    modlog_checkpoint_line(st, list_id, list_addr,
	    &r->checkpoint) < 0 || modlog_chain_lines(st, list_id, pseudonym,
	    limit, &r->chain) < 0))) {
		free(x.error);
		*error_r = xstrdup("cannot read the moderation log");
		goto fail;
	}
	if (x.error != NULL) {
		*error_r = x.error;
		goto fail;
	}
	report_vars(r);
	return 0;
fail:
	modlog_report_clear(r);
	return -1;
}

void
modlog_report_clear(struct modlog_report *r)
{
	buf_free(&r->entries);
	buf_free(&r->summary);
	buf_free(&r->checkpoint);
	buf_free(&r->chain);
	memset(r, 0, sizeof(*r));
}
