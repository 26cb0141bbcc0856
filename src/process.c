/*
 * process.c — from an acknowledged inbox row to a decision.
 *
 * Each row is handled in one transaction: the post row, the fan-out job
 * (with the decorated copy) and the removal of the inbox row commit
 * together, so a crash repeats the decision rather than losing or
 * doubling it.  A row is tried PROCESS_MAX_ATTEMPTS times (the attempt is
 * counted before the work starts), then quarantined: one poison message
 * never stops the list.  A store fault that passes (a full disk, an I/O
 * error, a lock; fault.h) is no crash: the rows in hand are kept and
 * tried again with a back-off, without counting attempts, until the
 * store takes them.  An accepted post goes out through release.c, as
 * does a post a moderator approves later.  The list and its settings
 * are read once per row (listctx.h).
 *
 * Commands to the list's extensions (subscribe, confirm, ...) belong to
 * the membership and moderation modules (subscription_handle), and so
 * does mail to LIST@ whose Subject carries a live token tag of one of
 * the list's notices: a reply that lost its +TOKEN is never a post.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ban.h"
#include "buf.h"
#include "fault.h"
#include "listctx.h"
#include "log.h"
#include "msg.h"
#include "moderation.h"
#include "notice.h"
#include "rules.h"
#include "process.h"
#include "release.h"
#include "request.h"
#include "scheduler.h"
#include "store.h"
#include "subscription.h"
#include "template.h"
#include "token.h"

/* Fresh inbox rows decided in one transaction. */
#define PROCESS_BATCH	64
/* Pause after a wake-up, so that a burst of posts forms one batch. */
#define PROCESS_GATHER_MS	5
#define TOKEN_SCAN_TEXT		(256 * 1024)	/* text searched for tokens */
#define TOKEN_SCAN_MAX		64	/* token-shaped words looked up */

struct process {
	struct config	 cfg;		/* private copy of what we use */
	struct store	*st;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 kicked;
	int		 stop;
	void		(*kick)(void *);
	void		*kick_arg;
	struct fault_wait fault;	/* waiting out a full disk */
};

/* One inbox row being decided: its list and its author. */
struct post_ctx {
	const struct list_ctx	*lc;	/* the decision's */
	const struct store_inbox *in;
	int64_t			 author_member;	/* 0: not a member */
	int			 author_moderated;
};


/*
 * Why a post must not be redistributed at all: the template of the
 * reason (members read it in the moderation log) and a technical detail
 * for it; NULL when it may go out.
 */
static const char *
post_refusal(struct post_ctx *pc, const struct msg *m, const char **detail)
{
	struct buf list_id = BUF_INIT;
	int loop;

	*detail = "";
	if (pc->in->sender[0] == '\0')
		return "reason_null_sender";
	if ((*detail = msg_is_auto(m)) != NULL)
		return "reason_automatic";
	*detail = "";
	buf_printf(&list_id, "%s.%s", pc->lc->name.local, pc->lc->name.domain);
	loop = msg_is_loop(m, list_id.data, pc->lc->list.addr);
	buf_free(&list_id);
	if (loop || msg_received_count(m) > PROCESS_MAX_RECEIVED)
		return "reason_loop";
	return NULL;
}

/* 1 when From: or the envelope sender is a member, 0 not, -1 error. */
static int
is_member(struct post_ctx *pc, const struct msg *m)
{
	struct store_member mb;
	int rc;

	rc = store_member_get(pc->lc->st, pc->lc->list.id, msg_from(m), &mb);
	if (rc == 0)
		rc = store_member_get(pc->lc->st, pc->lc->list.id,
		    pc->in->sender, &mb);
	if (rc == 1) {
		pc->author_member = mb.id;
		pc->author_moderated = mb.moderated;
		store_member_clear(&mb);
	}
	return rc;
}

/* A default reason, in the list's language (templates reason_*);
 * detail fills {{detail}} where the template has it. */
static char *
default_reason(struct post_ctx *pc, const char *name, const char *detail)
{
	struct buf out = BUF_INIT;
	const struct tvar var = { "detail", detail };
	char *error = NULL;

	if (notice_line(pc->lc->cfg, pc->lc->lang, pc->lc->override, name,
	    &var, detail != NULL, &out, &error) < 0) {
		log_warnx("list %s: %s: %s", pc->lc->list.addr, name,
		    error ? error : "no language");
		buf_reset(&out);
		buf_puts(&out, name);
	}
	free(error);
	return buf_steal(&out, NULL);
}

/* A held post waits at most hold_deadline. */
static int
post_deadline(struct post_ctx *pc, struct store_post *p)
{
	long long secs = pc->lc->hold_deadline;

	p->deadline = time(NULL) + (secs > 0 ? secs : 72 * 3600);
	return 0;
}

/*
 * Is From: an owner / a moderator of the list now?  Into rs, and the
 * address as the role has it into role_addr (the one a confirmation
 * goes to).  0, or -1 on a store error.
 */
static int
post_roles(struct post_ctx *pc, const struct msg *m, struct rule_sender *rs,
    char role_addr[ADDR_MAX])
{
	char addr[ADDR_MAX];

	if (*msg_from(m) == '\0')
		return 0;
	snprintf(addr, sizeof(addr), "%s", msg_from(m));
	if ((rs->owner = store_role_find(pc->lc->st, pc->lc->list.id, "owner",
	    addr)) < 0)
		return -1;
	if (rs->owner)
		snprintf(role_addr, ADDR_MAX, "%s", addr);
	snprintf(addr, sizeof(addr), "%s", msg_from(m));
	if ((rs->moderator = store_role_find(pc->lc->st, pc->lc->list.id,
	    "moderator", addr)) < 0)
		return -1;
	if (rs->moderator && !rs->owner)
		snprintf(role_addr, ADDR_MAX, "%s", addr);
	return 0;
}

/*
 * A rule accepted the post for its sender's role: From: can be forged,
 * so it waits, held, for the sender's own reply to the confirmation
 * that moderation_record mails to the role's address (LIST+post-TOKEN@).
 */
static int
post_confirm(struct post_ctx *pc, const struct rule *r, const char *addr,
    struct store_post *p)
{
	p->state = POST_HELD;
	p->rule = xstrdup(r->name);
	p->confirm = xstrdup(addr);
	p->reason = default_reason(pc, "reason_confirm", NULL);
	return post_deadline(pc, p);
}

/* The list's rules decide; without a matching rule, the defaults. */
static int
post_rules(struct post_ctx *pc, const struct msg *m, int member,
    struct store_post *p)
{
	struct rule_sender rs = { member, pc->author_moderated, 0,
	    msg_from(m), pc->in->sender, 0, 0 };
	char role_addr[ADDR_MAX] = "";
	struct rule r;
	int action;

	memset(&r, 0, sizeof(r));
	if (member)
		rs.accepted_posts = store_post_count_accepted(pc->lc->st,
		    pc->lc->list.id, msg_from(m));
	if (post_roles(pc, m, &rs, role_addr) < 0 ||
	    (action = rules_eval(pc->lc->st, pc->lc->list.id, m, pc->in->len,
	    &rs, &r)) < 0)
		return -1;
	if (rules_by_role(&r)) {
		action = post_confirm(pc, &r, role_addr, p);
		rule_clear(&r);
		return action;
	}
	if (r.name != NULL) {
		p->state = action == RULE_ACCEPT ? POST_ACCEPTED :
		    action == RULE_HOLD ? POST_HELD : action == RULE_REJECT ?
		    POST_REJECTED : POST_DISCARDED;
		p->rule = xstrdup(r.name);
		p->reason = notice_rule_text(pc->lc, *r.text ? r.text : r.name);
	} else if (!member) {
		p->state = POST_HELD;
		p->reason = default_reason(pc, "reason_nonmember", NULL);
	} else if (pc->lc->moderated) {
		p->state = POST_HELD;
		p->reason = default_reason(pc, "reason_moderated_list", NULL);
	} else if (pc->author_moderated) {
		p->state = POST_HELD;
		p->reason = default_reason(pc, "reason_moderated_member", NULL);
	} else
		p->state = POST_ACCEPTED;
	rule_clear(&r);
	if (p->state == POST_HELD)
		return post_deadline(pc, p);
	return 0;
}

/* A banned sender's post is discarded before any rule (ban.h): 1, 0 not
 * banned, -1 error. */
static int
post_banned(struct post_ctx *pc, const struct msg *m, struct store_post *p)
{
	char glob[BAN_GLOB_MAX + 1];
	int rc;

	if ((rc = ban_find(pc->lc->st, pc->lc->list.id, msg_from(m),
	    pc->in->sender, glob)) != 1)
		return rc;
	p->state = POST_DISCARDED;
	p->rule = xstrdup("ban");
	p->reason = default_reason(pc, "reason_banned", glob);
	return 1;
}

/*
 * Decide accepted / held / rejected / discarded; fill p->state, p->reason
 * and p->rule.  Loops and automatic mail are dropped before any rule.
 */
struct token_quote {
	struct post_ctx	*pc;
	int		 live;		/* 1 found, -1 store error */
};

static void
token_quote_one(const char *tok, void *arg)
{
	struct token_quote *tq = arg;
	uint8_t hash[TOKEN_HASH];
	int rc;

	if (tq->live != 0 || token_hash(tok, TOKEN_LEN, hash) < 0)
		return;
	rc = store_token_live(tq->pc->lc->st, hash, sizeof(hash),
	    tq->pc->lc->list.id, time(NULL));
	tq->live = rc < 0 ? -1 : rc;
}

/*
 * Does the post quote a live token of this list (a moderator who
 * replied to a notice at the list's address, a member forwarding his
 * confirmation)?  Sent on, it would let any member approve, reject or
 * confirm in his place: such a post is held.  The Subject and the first
 * TOKEN_SCAN_TEXT bytes of text are searched, at most TOKEN_SCAN_MAX
 * candidates.  1 yes, 0 no, -1 on a store error.
 */
static int
quotes_live_token(struct post_ctx *pc, const struct msg *m)
{
	struct token_quote tq = { pc, 0 };
	struct buf text = BUF_INIT;
	char *subject = msg_subject(m);
	size_t n;

	n = token_scan(subject, strlen(subject), TOKEN_SCAN_MAX,
	    token_quote_one, &tq);
	free(subject);
	if (tq.live == 0 && msg_text(m, TOKEN_SCAN_TEXT, &text) == 0)
		(void)token_scan(text.data, text.len, TOKEN_SCAN_MAX - n,
		    token_quote_one, &tq);
	buf_free(&text);
	return tq.live;
}

/*
 * A reply to one of the list's notices that reached LIST@ because its
 * client dropped the +TOKEN of the address (or answered the list): its
 * Subject carries the notice's token tag (request_subject_token).  A
 * live token of this list makes the mail that token's command, never a
 * post: 1.  A tag whose token is used, expired or unknown here holds the
 * mail, never sends it, with a reason that says which: the author's
 * held notice is the precise answer, and a mail that was meant as a post
 * is not lost (a moderator can still approve it): 2, p filled.  0 no
 * tag, -1 on a store error.
 */
static int
subject_token(struct post_ctx *pc, const struct msg *m, struct store_post *p)
{
	char tok[REQUEST_TOKEN_LEN + 1], *subject = msg_subject(m);
	uint8_t hash[TOKEN_HASH];
	struct store_token t;
	const char *why;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	rc = request_subject_token(subject, tok);
	free(subject);
	if (rc == 0)
		return 0;
	rc = token_hash(tok, TOKEN_LEN, hash) < 0 ? 0 : store_token_get(
	    pc->lc->st, hash, sizeof(hash), pc->lc->list.id, &t);
	if (rc < 0)
		return -1;
	why = rc == 0 ? "reason_token_unknown" : t.used != 0 ?
	    "reason_token_used" : t.expires <= time(NULL) ?
	    "reason_token_expired" : NULL;
	store_token_clear(&t);
	if (why == NULL)
		return 1;
	p->state = POST_HELD;
	p->reason = default_reason(pc, why, NULL);
	return post_deadline(pc, p) < 0 ? -1 : 2;
}

/* 0 decided (p filled), 1 the mail is a command (subject_token), -1. */
static int
post_decide(struct post_ctx *pc, const struct msg *m, struct store_post *p)
{
	const char *why, *detail;
	int member;

	if ((why = post_refusal(pc, m, &detail)) != NULL) {
		p->state = POST_DISCARDED;
		p->reason = default_reason(pc, why, strcmp(why,
		    "reason_automatic") == 0 ? detail : NULL);
		return 0;
	}
	if ((member = post_banned(pc, m, p)) != 0)
		return member < 0 ? -1 : 0;
	if ((member = subject_token(pc, m, p)) != 0)
		return member == 2 ? 0 : member;
	if ((member = quotes_live_token(pc, m)) != 0) {
		if (member < 0)
			return -1;
		p->state = POST_HELD;
		p->reason = default_reason(pc, "reason_token", NULL);
		return post_deadline(pc, p);
	}
	if ((member = is_member(pc, m)) < 0)
		return -1;
	return post_rules(pc, m, member, p);
}

/*
 * What processing one inbox row decided, prepared without the write lock
 * (parsing, membership look-ups, decoration) and applied afterwards in a
 * short transaction, so that the group commit of the sessions never
 * waits behind a post being parsed.
 */
struct decision {
	int64_t			 inbox_id;
	int			 have_post;
	struct store_post	 post;
	int			 have_job;
	struct release		 rel;		/* an accepted post's way out */
	int			 mails;		/* queues mail: kick delivery */
	struct list_ctx		 lc;		/* for moderation_record */
	struct buf		 note;		/* logged once committed */
	const struct store_inbox *command;	/* handled under the lock */
};

static void
decision_clear(struct decision *d)
{
	store_post_clear(&d->post);
	release_clear(&d->rel);
	buf_free(&d->note);
	list_ctx_clear(&d->lc);
	memset(d, 0, sizeof(*d));
}

/* Fill the post row and, when accepted, the release of d. */
static int
post_prepare(struct post_ctx *pc, const struct msg *m, struct decision *d)
{
	struct store_post *p = &d->post;

	p->list_id = pc->lc->list.id;
	p->message_id = pc->in->message_id;
	p->msgid = xstrdup(msg_message_id(m));
	p->subject = msg_subject(m);
	p->author = xstrdup(msg_from(m));
	p->sender = xstrdup(pc->in->sender);
	p->max_member = pc->in->max_member;
	p->created = time(NULL);
	p->thread = msg_thread(m);
	if (p->rule == NULL)
		p->rule = xstrdup("");
	d->have_post = 1;
	d->mails = p->state != POST_ACCEPTED;	/* the author's notice */
	if (p->state != POST_ACCEPTED)
		return 0;
	if (release_prepare(pc->lc, m, pc->author_member, &d->rel) < 0)
		return -1;
	d->have_job = 1;
	return 0;
}

static int
handle_post(struct post_ctx *pc, struct decision *d)
{
	struct msg *m = NULL;
	const char *error;
	int rc = -1;

	if (msg_parse(pc->in->body, pc->in->len, &m, &error) < 0) {
		/* Checked at ingest; only a policy change can get here. */
		buf_printf(&d->note, "list %s: malformed post dropped: %s",
		    pc->lc->list.addr, error);
		return 0;
	}
	if ((rc = post_decide(pc, m, &d->post)) == 1) {
		/* A reply to a notice: handled as a command, under the
		 * lock (apply_command), like mail to LIST+ext@. */
		d->command = pc->in;
		d->mails = 1;
		rc = 0;
		goto out;
	}
	if (rc < 0 || post_prepare(pc, m, d) < 0) {
		rc = -1;
		goto out;
	}
	buf_printf(&d->note, "list %s: post %s from <%s> %s%s%s",
	    pc->lc->list.addr, msg_message_id(m), pc->in->sender,
	    post_state_name(d->post.state), d->post.reason ? ": " : "",
	    d->post.reason ? d->post.reason : "");
	rc = 0;
out:
	msg_free(&m);
	return rc;
}

/*
 * Decide what to do with one row; reads only.  0, or -1 on error.  A
 * command only needs its list to exist here: it reads its list under
 * the lock, in apply().
 */
static int
decide(struct store *st, const struct config *cfg,
    const struct store_inbox *in, struct decision *d)
{
	struct post_ctx pc;
	struct store_list list;
	int rc;

	memset(&pc, 0, sizeof(pc));
	pc.in = in;
	pc.lc = &d->lc;
	d->inbox_id = in->id;
	/* A post's decision reads a dozen tables: in one read transaction,
	 * not one each (about a fifth of the processor's time). */
	if (store_begin_read(st) < 0)
		return -1;
	if (in->ext[0] == '\0')
		rc = list_ctx_load(st, cfg, in->list_id, &d->lc);
	else if ((rc = store_list_get_id(st, in->list_id, &list)) == 1)
		store_list_clear(&list);
	if (rc == 1) {
		if (in->ext[0] == '\0')
			rc = handle_post(&pc, d);
		else {
			d->command = in;	/* writes: done in apply() */
			d->mails = 1;
			rc = 0;
		}
	} else if (rc == 0)
		buf_printf(&d->note, "list %lld no longer exists; dropped",
		    (long long)in->list_id);
	store_end_read(st);
	return rc;
}

/* A command mail: reads and writes, all under the lock. */
static int
apply_command(struct store *st, const struct config *cfg,
    struct decision *d)
{
	struct list_ctx lc;
	int rc;

	rc = list_ctx_load(st, cfg, d->command->list_id, &lc);
	if (rc == 1)
		rc = subscription_handle(&lc, d->command, &d->note);
	list_ctx_clear(&lc);
	return rc < 0 ? -1 : 0;
}

/* Apply a decision inside the caller's transaction. */
static int
apply(struct store *st, const struct config *cfg, struct decision *d)
{
	if (d->command != NULL && apply_command(st, cfg, d) < 0)
		return -1;
	if (d->have_post && store_post_add(st, &d->post, NULL) < 0)
		return -1;
	if (d->have_post && d->post.state != POST_ACCEPTED &&
	    moderation_record(&d->lc, &d->post) < 0)
		return -1;
	if (d->have_job && release_commit(st, &d->rel, &d->post) < 0)
		return -1;
	return store_inbox_done(st, d->inbox_id);
}

/* Apply n decisions in one transaction; 0 or -1 (nothing applied). */
static int
apply_all(struct store *st, const struct config *cfg, struct decision *ds,
    size_t n)
{
	size_t i;

	if (store_begin(st) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (apply(st, cfg, &ds[i]) < 0)
			goto fail;
	if (store_commit(st) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (ds[i].note.len > 0)
			log_info("inbox %lld: %s", (long long)ds[i].inbox_id,
			    ds[i].note.data);
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/*
 * Handle one inbox row on st.  Returns 0 when the row is done (whatever
 * the decision), -1 on a store error (the row stays and is retried).
 * *job_r is set when a job was made.
 */
static int
process_row(struct store *st, const struct config *cfg,
    const struct store_inbox *in, int *job_r)
{
	struct decision d;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	*job_r = 0;
	if (decide(st, cfg, in, &d) == 0 && apply_all(st, cfg, &d, 1) == 0) {
		*job_r = d.have_job || d.mails;
		rc = 0;
	}
	decision_clear(&d);
	return rc;
}

/*
 * Rows never tried before are decided one by one and applied together in
 * one transaction.  A row tried before may be the one that crashed us:
 * it goes alone, so only it reaches quarantine.
 */
static int
process_batch(struct process *p, const int64_t *ids, size_t n, int *job_r)
{
	struct decision *ds = xcalloc(n, sizeof(*ds));
	struct store_inbox *ins = xcalloc(n, sizeof(*ins));
	size_t i, nd = 0;
	int rc = 0;

	*job_r = 0;
	for (i = 0; i < n && rc == 0; i++) {
		/* Rows stay loaded until applied: commands read them then. */
		rc = store_inbox_get(p->st, ids[i], &ins[nd]);
		if (rc == 1) {
			rc = decide(p->st, &p->cfg, &ins[nd], &ds[nd]);
			*job_r |= ds[nd].have_job || ds[nd].mails;
			nd++;
		}
	}
	if (rc == 0 && apply_all(p->st, &p->cfg, ds, nd) < 0)
		rc = -1;
	for (i = 0; i < nd; i++) {
		decision_clear(&ds[i]);
		store_inbox_clear(&ins[i]);
	}
	free(ds);
	free(ins);
	if (rc < 0)
		*job_r = 0;
	return rc;
}

static void
wait_kick(struct process *p, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&p->lock);
	while (!p->kicked && !p->stop)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) ==
		    ETIMEDOUT)
			break;
	p->kicked = 0;
	pthread_mutex_unlock(&p->lock);
}

/* 0 the row is done or failed for good (counted: quarantined after
 * PROCESS_MAX_ATTEMPTS), -1 a passing store fault (kept, tried again). */
static int
process_one(struct process *p, int64_t id, int *job_r)
{
	struct store_inbox in;
	int rc = 0;

	*job_r = 0;
	store_fault_clear(p->st);
	if ((rc = store_inbox_get(p->st, id, &in)) != 1)
		return rc < 0 && fault_is_passing(p->st) ? -1 : 0;
	rc = 0;
	if (process_row(p->st, &p->cfg, &in, job_r) < 0) {
		if (fault_is_passing(p->st))
			rc = -1;
		else
			log_warnx("inbox %lld: processing failed (attempt %d)",
			    (long long)in.id, in.attempts);
	}
	store_inbox_clear(&in);
	return rc;
}

/* Handle claimed rows; 0, or -1 when a passing store fault stopped it
 * (rows done so far are gone, the others are still in the inbox). */
static int
process_ids(struct process *p, const int64_t *ids, int n, int fresh,
    int *any_r)
{
	int i, job;

	store_fault_clear(p->st);
	if (fresh && process_batch(p, ids, (size_t)n, any_r) == 0)
		return 0;
	if (fresh && fault_is_passing(p->st))
		return -1;
	for (i = 0; i < n; i++) {
		if (process_one(p, ids[i], &job) < 0)
			return -1;
		*any_r |= job;
	}
	return 0;
}

static int
process_stopping(struct process *p)
{
	int stop;

	pthread_mutex_lock(&p->lock);
	stop = p->stop;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/*
 * Claim and handle the next rows: the number claimed, or -1.  Rows that
 * met a passing store fault stay in hand until the store takes them (or
 * we stop: their attempt is given back, it was no crash).
 */
static int
process_round(struct process *p)
{
	int64_t ids[PROCESS_BATCH];
	int attempts[PROCESS_BATCH], any = 0;
	int n, i, fresh = 1;

	n = store_inbox_claim(p->st, PROCESS_MAX_ATTEMPTS, PROCESS_BATCH, ids,
	    attempts);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++)
		fresh &= attempts[i] == 1;
	while (process_ids(p, ids, n, fresh, &any) < 0) {
		if (process_stopping(p)) {
			(void)store_inbox_unclaim(p->st, ids, (size_t)n);
			return -1;
		}
		wait_kick(p, fault_wait_next(&p->fault, p->st));
	}
	if (any && p->kick != NULL)
		p->kick(p->kick_arg);
	return n;
}

static void *
process_thread(void *arg)
{
	struct process *p = arg;
	struct timespec gather = { 0, PROCESS_GATHER_MS * 1000000L };
	struct scheduler *sched;
	int n;

	/* Named for top -H, ps -L and make bench's CPU split. */
	(void)pthread_setname_np(pthread_self(), "process");
	sched = scheduler_new(scheduler_tasks, scheduler_ntasks);

	while (!process_stopping(p)) {
		/* The periodic tasks that are due (scheduler.c): deadlines,
		 * digests, purges; mail they queued wakes the delivery. */
		if (scheduler_run(sched, p->st, &p->cfg, time(NULL)) &&
		    p->kick != NULL)
			p->kick(p->kick_arg);
		store_fault_clear(p->st);
		if (store_inbox_quarantine(p->st, PROCESS_MAX_ATTEMPTS) < 0 ||
		    (n = process_round(p)) < 0) {
			wait_kick(p, fault_is_passing(p->st) ?
			    fault_wait_next(&p->fault, p->st) : 1);
			continue;
		}
		fault_wait_done(&p->fault);
		if (n == 0) {
			wait_kick(p, 1);
			/* Let a burst gather: fewer, larger batches take the
			 * write lock less often from the sessions' commits. */
			nanosleep(&gather, NULL);
		}
	}
	scheduler_free(&sched);
	return NULL;
}

int
process_start(const struct config *cfg, void (*kick)(void *), void *kick_arg,
    struct process **p_r, char **error_r)
{
	struct process *p = xcalloc(1, sizeof(*p));
	struct buf err = BUF_INIT;
	const char *error;

	p->cfg = *cfg;			/* strings borrowed from the caller */
	p->kick = kick;
	p->kick_arg = kick_arg;
	p->fault.who = "processor";
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (store_open(cfg->database, STORE_RELAXED, &p->st, &error) < 0) {
		buf_printf(&err, "%s: %s", cfg->database, error);
		goto fail;
	}
	if ((errno = pthread_create(&p->thread, NULL, process_thread, p))) {
		buf_printf(&err, "cannot start the processor: %s",
		    strerror(errno));
		goto fail;
	}
	*p_r = p;
	return 0;
fail:
	store_close(&p->st);
	free(p);
	*error_r = buf_steal(&err, NULL);
	return -1;
}

void
process_kick(struct process *p)
{
	pthread_mutex_lock(&p->lock);
	p->kicked = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void
process_stop(struct process **pp)
{
	struct process *p = *pp;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	store_close(&p->st);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
	*pp = NULL;
}
