/*
 * moderation.c — decisions about posts the rules did not simply accept.
 *
 * Every decision is one transaction: the post's state, its log entry, the
 * release of an approved post (release.c: its fan-out job and the
 * author's thread follow) and the notice to the author commit together.  A held post changes only while it is still held, so of two
 * moderators deciding at once exactly one wins, and the other learns who
 * decided what and when (reliability.md §5.17).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "listctx.h"
#include "log.h"
#include "moderation.h"
#include "moderation_int.h"
#include "modlog.h"
#include "modlog_checkpoint.h"
#include "msg.h"
#include "notice.h"
#include "release.h"
#include "token.h"

#define MOD_VARS_MAX	16	/* a notice's own placeholders, and one */

static void	fmt_deadline(time_t, char *, size_t);
static int	decision_token(const struct list_ctx *,
		    const struct store_post *, const char *, const char *,
		    struct buf *);

static int
log_entry(const struct list_ctx *lc, const struct store_post *p,
    const char *action, const char *reason, const char *moderator)
{
	struct modlog_entry e;

	memset(&e, 0, sizeof(e));
	e.action = action;
	e.post_id = p->id;
	e.msgid = p->msgid;
	e.subject = p->subject;
	e.rule = p->rule != NULL ? p->rule : "";
	e.reason = reason != NULL ? reason : "";
	e.moderator = moderator;
	return modlog_append(lc->st, lc->list.id, &e);
}

int
moderation_log(const struct list_ctx *lc, const struct store_post *p,
    const char *action, const char *reason, const char *who)
{
	return log_entry(lc, p, action, reason, who);
}

/* Tell the author of p with template name. */
static int
tell_author(const struct list_ctx *lc, const struct store_post *p,
    const char *name, const char *moderator)
{
	struct buf shown = BUF_INIT, appeal = BUF_INIT, cp = BUF_INIT;
	struct notice nt;
	char *error = NULL, deadline[32];
	int rc;

	modlog_display_moderator(lc->list.addr, moderator, lc->pseudonym,
	    &shown);
	fmt_deadline(p->deadline, deadline, sizeof(deadline));
	if ((strcmp(name, "rejected_author") == 0 && decision_token(lc, p,
	    *p->author ? p->author : p->sender, "appeal", &appeal) < 0) ||
	    modlog_checkpoint_line(lc->st, lc->list.id, lc->list.addr,
	    &cp) < 0) {
		buf_free(&shown);
		buf_free(&appeal);
		return -1;
	}
	{
		const struct tvar vars[] = {
			{ "subject", p->subject }, { "reason", p->reason },
			{ "rule", p->rule && *p->rule ? p->rule : "-" },
			{ "moderator", shown.data ? shown.data : "" },
			{ "deadline", deadline },
			{ "appeal_addr", appeal.data ? appeal.data : "" },
			{ "checkpoint", cp.data },
		};

		notice_from_list(&nt, lc, name, vars, 7);
		nt.to = *p->author ? p->author : p->sender;
		nt.in_reply_to = *p->msgid ? p->msgid : NULL;
		rc = notice_queue(lc->st, lc->cfg, &nt, &error);
	}
	if (rc < 0) {
		log_warnx("list %s: post %lld: cannot tell the author: %s",
		    lc->list.addr, (long long)p->id, error ? error :
		    "store error");
		free(error);
	}
	buf_free(&shown);
	buf_free(&appeal);
	buf_free(&cp);
	return rc;
}

/* A decision token for moderator on post p: the token into tok, its
 * address (LIST+what-TOKEN@) into addr. */
static int
decision_token_tok(const struct list_ctx *lc, const struct store_post *p,
    const char *moderator, const char *what, struct buf *addr,
    char tok[TOKEN_LEN + 1])
{
	char purpose[32], post[24];
	struct buf ext = BUF_INIT;
	uint8_t hash[TOKEN_HASH];
	time_t now = time(NULL);

	token_new(tok, hash);
	snprintf(purpose, sizeof(purpose), "mod_%s", what);
	snprintf(post, sizeof(post), "%lld", (long long)p->id);
	if (store_token_add(lc->st, hash, sizeof(hash), purpose, lc->list.id,
	    moderator, post, now, now + lc->cfg->token_lifetime) < 0)
		return -1;
	buf_printf(&ext, "%s-%s", what, tok);
	(void)list_addr_ext(&lc->name, ext.data, addr);
	buf_free(&ext);
	return 0;
}

static int
decision_token(const struct list_ctx *lc, const struct store_post *p,
    const char *moderator, const char *what, struct buf *addr)
{
	char tok[TOKEN_LEN + 1];

	return decision_token_tok(lc, p, moderator, what, addr, tok);
}

struct mod_notice {
	const char		*template;	/* held_moderator, ... */
	const struct list_ctx	*lc;
	const struct store_post	*p;
	const char		*raw;
	size_t			 len;
	const char		*deadline;
	const char		*text;		/* an appeal's words */
	int			 rc;
	int			 sent;
};

/*
 * Queue template name, with the post attached, to one reviewer; counts
 * it in mn->sent, or sets mn->rc on failure (logged).  A notice that
 * expects a reply (tok, its address reply_to) is From and Reply-To that
 * address, its token in the Subject (notice.h).
 */
static void
mod_queue(struct mod_notice *mn, const char *name, const struct tvar *vars,
    size_t n, const char *to, const char *reply_to, const char *tok)
{
	struct tvar all[MOD_VARS_MAX];
	struct buf cp = BUF_INIT;
	struct notice nt;
	char *error = NULL;

	/* Every notice carries the log's latest signed checkpoint. */
	if (n >= MOD_VARS_MAX || modlog_checkpoint_line(mn->lc->st,
	    mn->lc->list.id, mn->lc->list.addr, &cp) < 0) {
		mn->rc = -1;
		return;
	}
	memcpy(all, vars, n * sizeof(*vars));
	all[n].name = "checkpoint";
	all[n++].value = cp.data;
	vars = all;
	notice_from_list(&nt, mn->lc, name, vars, n);
	nt.to = to;
	nt.reply_to = reply_to;
	nt.from_addr = tok != NULL ? reply_to : NULL;
	nt.subject_token = tok;
	nt.attach = mn->raw;
	nt.attach_len = mn->len;
	if (notice_queue(mn->lc->st, mn->lc->cfg, &nt, &error) < 0) {
		log_warnx("list %s: post %lld: %s for <%s>: %s",
		    mn->lc->list.addr,
		    (long long)mn->p->id, name, to, error ? error :
		    "store error");
		mn->rc = -1;
	} else
		mn->sent++;
	free(error);
	buf_free(&cp);
}

/*
 * The held post, with this moderator's own reply addresses: one that
 * reads the decision in the reply (the notice's From and Reply-To, its
 * token in the Subject), and one for each decision.
 */
static int
notify_one(const char *moderator, void *arg)
{
	struct mod_notice *mn = arg;
	struct buf ok = BUF_INIT, no = BUF_INIT, drop = BUF_INIT;
	struct buf reply = BUF_INIT;
	char post[24], tok[TOKEN_LEN + 1];

	if (strcasecmp(moderator, mn->p->author) == 0)
		return 0;	/* nobody decides on his own post */
	snprintf(post, sizeof(post), "%lld", (long long)mn->p->id);
	if (decision_token(mn->lc, mn->p, moderator, "approve", &ok) < 0 ||
	    decision_token(mn->lc, mn->p, moderator, "reject", &no) < 0 ||
	    decision_token(mn->lc, mn->p, moderator, "discard", &drop) < 0 ||
	    decision_token_tok(mn->lc, mn->p, moderator, "moderate", &reply,
	    tok) < 0) {
		mn->rc = -1;
		goto out;
	}
	{
		const struct tvar vars[] = {
			{ "subject", mn->p->subject }, { "author", mn->p->author },
			{ "reason", mn->p->reason },
			{ "rule", *mn->p->rule ? mn->p->rule : "-" },
			{ "approve_addr", ok.data }, { "reject_addr", no.data },
			{ "post_id", post }, { "deadline", mn->deadline },
			{ "discard_addr", drop.data },
			{ "moderate_addr", reply.data },
		};

		mod_queue(mn, mn->template, vars, 10, moderator, reply.data,
		    tok);
	}
out:
	buf_free(&reply);
	buf_free(&ok);
	buf_free(&no);
	buf_free(&drop);
	return mn->rc < 0;
}

static void
fmt_deadline(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/*
 * Send template (held_moderator, reminder_moderator) with the held post
 * to every moderator of role (the owners when the list has no
 * moderator), each with reply addresses of his own.
 */
static int
notify_moderators(const struct list_ctx *lc, const struct store_post *p,
    const char *template, const char *role)
{
	struct mod_notice mn = { template, lc, p, NULL, 0, NULL, NULL, 0, 0 };
	struct store *st = lc->st;
	char *raw = NULL, deadline[32];
	size_t len = 0;

	fmt_deadline(p->deadline, deadline, sizeof(deadline));
	mn.deadline = deadline;
	if (store_message_get(st, p->message_id, &raw, &len) < 0)
		return -1;
	mn.raw = raw;
	mn.len = len;
	if (store_role_each(st, lc->list.id, role, notify_one, &mn) == 0 &&
	    mn.rc == 0 && mn.sent == 0 && strcmp(role, "owner") != 0)
		(void)store_role_each(st, lc->list.id, "owner", notify_one,
		    &mn);
	if (mn.rc == 0 && mn.sent == 0)
		log_warnx("list %s: post %lld is held, and no moderator or"
		    " owner can decide on it", lc->list.addr, (long long)p->id);
	free(raw);
	return mn.rc;
}

/* Within the daily cap for answering this address?  1 yes, 0 no, -1. */
static int
may_answer(const struct list_ctx *lc, const char *addr)
{
	int count;

	if (*addr == '\0')
		return 0;
	if (store_request_count(lc->st, lc->list.id, addr, (int64_t)(time(NULL)
	    / 86400), &count) < 0)
		return -1;
	return count <= lc->cfg->max_requests_per_day;
}

int
moderation_may_answer(const struct list_ctx *lc, const char *addr)
{
	return may_answer(lc, addr);
}

int
moderation_record(const struct list_ctx *lc, const struct store_post *p)
{
	const char *action, *name;
	int rc;

	switch (p->state) {
	case POST_HELD:
		action = MODLOG_HELD;
		name = "held_author";
		break;
	case POST_REJECTED:
		action = MODLOG_REJECTED;
		name = "rejected_author";
		break;
	case POST_DISCARDED:
		return log_entry(lc, p, MODLOG_DISCARDED, p->reason, "");
	default:
		return 0;
	}
	if (log_entry(lc, p, action, p->reason, "") < 0)
		return -1;
	/* Held for its own sender's confirmation: no moderator asked. */
	if (p->state == POST_HELD && p->confirm != NULL && *p->confirm)
		return moderation_confirm_ask(lc, p);
	if ((rc = may_answer(lc, *p->author ? p->author : p->sender)) < 0)
		return -1;
	if (rc == 1)
		rc = tell_author(lc, p, name, "");
	else
		rc = 0;		/* over the cap: logged, not answered */
	if (rc == 0 && p->state == POST_HELD)
		rc = notify_moderators(lc, p, "held_moderator", "moderator");
	return rc;
}

void
moderation_too_late(const struct store_post *p, struct mod_result *res)
{
	res->outcome = MOD_TOO_LATE;
	res->state = xstrdup(post_state_name(p->state));
	res->by = xstrdup(p->decided_by ? p->decided_by : "");
	res->when = p->decided;
}

/* The post changed; log it and do what the decision implies.  A
 * discarded post's sender (perhaps forged) is never told. */
static int
decided(const struct list_ctx *lc, struct store_post *p,
    const char *moderator)
{
	if (p->state == POST_DISCARDED)
		return log_entry(lc, p, MODLOG_DISCARDED, p->reason, moderator);
	if (p->state == POST_ACCEPTED)
		return release_post(lc, p) < 0 || log_entry(lc, p,
		    MODLOG_APPROVED, p->reason, moderator) < 0 ? -1 : 0;
	if (log_entry(lc, p, MODLOG_REJECTED, p->reason, moderator) < 0)
		return -1;
	return tell_author(lc, p, "rejected_author", moderator);
}

/* Is the author (From:) or the envelope sender of p a member now?  1, 0,
 * -1 on a store error. */
static int
by_member(const struct list_ctx *lc, const struct store_post *p)
{
	struct store_member mb;
	const char *who[2] = { p->author, p->sender };
	int i, rc = 0;

	for (i = 0; i < 2 && rc == 0; i++)
		if (*who[i] != '\0' && (rc = store_member_get(lc->st,
		    lc->list.id, who[i], &mb)) == 1)
			store_member_clear(&mb);
	return rc;
}

int
moderation_decide(const struct list_ctx *lc, int64_t post_id,
    enum post_state to, const char *moderator, const char *reason,
    struct mod_result *res)
{
	struct store *st = lc->st;
	struct store_post p;
	int rc, changed, member;

	memset(res, 0, sizeof(*res));
	if ((rc = store_post_get(st, post_id, &p)) <= 0 ||
	    p.list_id != lc->list.id) {
		if (rc == 1)
			store_post_clear(&p);
		res->outcome = MOD_NO_POST;
		return rc < 0 ? -1 : 0;
	}
	if (to == POST_DISCARDED && *reason == '\0')
		reason = p.reason;	/* the reason it was held */
	member = to == POST_DISCARDED && p.state == POST_HELD ?
	    by_member(lc, &p) : 0;
	rc = -1;
	if (member < 0)
		goto out;
	if (*moderator != '\0' && strcasecmp(moderator, p.author) == 0) {
		res->outcome = MOD_OWN_POST;
		rc = 0;
	} else if (member) {
		res->outcome = MOD_MEMBER_POST;
		rc = 0;
	} else if (store_post_decide(st, post_id, to, reason, p.rule,
	    moderator, &changed) == 0) {
		store_post_clear(&p);
		if (store_post_get(st, post_id, &p) == 1) {
			if (!changed) {
				moderation_too_late(&p, res);
				rc = 0;
			} else if (decided(lc, &p, moderator) == 0) {
				res->outcome = MOD_DECIDED;
				rc = 0;
			}
		}
	}
out:
	store_post_clear(&p);
	return rc;
}

int
moderation_is_reviewer(const struct list_ctx *lc, char addr[ADDR_MAX])
{
	int rc;

	if ((rc = store_role_find(lc->st, lc->list.id, "owner", addr)) != 0)
		return rc;
	return store_role_find(lc->st, lc->list.id, "moderator", addr);
}

void
mod_result_clear(struct mod_result *res)
{
	free(res->state);
	free(res->by);
	memset(res, 0, sizeof(*res));
}

/* ---- deadlines --------------------------------------------------- */

struct due {
	int64_t	 ids[32];
	size_t	 n;
};

static int
due_collect(const struct store_post *p, void *arg)
{
	struct due *d = arg;

	d->ids[d->n++] = p->id;
	return d->n == sizeof(d->ids) / sizeof(d->ids[0]);
}

/* The deadline passed: the list's hold_default decides. */
static int
expire(const struct list_ctx *lc, const struct store_post *p, time_t now)
{
	struct buf reason = BUF_INIT;
	struct mod_result res;
	char *error = NULL;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	if (*p->confirm != '\0') {	/* its sender never confirmed it */
		if (notice_line(lc->cfg, lc->lang, lc->override,
		    "reason_confirm_expired", NULL, 0, &reason, &error) == 0)
			rc = moderation_confirm_lapse(lc, p, reason.data);
		goto out;
	}
	if (strcmp(lc->hold_default, "escalate") == 0 && !p->escalated) {
		struct store_post q = *p;

		q.deadline = now + lc->hold_deadline;
		rc = store_post_escalated(lc->st, p->id, q.deadline) < 0 ||
		    log_entry(lc, p, MODLOG_ESCALATED, "", "") < 0 ||
		    notify_moderators(lc, &q, "held_moderator", "owner") < 0 ?
		    -1 : 0;
		goto out;
	}
	if (notice_line(lc->cfg, lc->lang, lc->override, "reason_expired",
	    NULL, 0, &reason, &error) < 0 ||
	    log_entry(lc, p, MODLOG_EXPIRED, reason.data, "") < 0)
		goto out;
	rc = moderation_decide(lc, p->id, strcmp(lc->hold_default, "approve")
	    == 0 ? POST_ACCEPTED : POST_REJECTED, "", reason.data, &res);
out:
	if (error != NULL)
		log_warnx("list %s: reason_expired: %s", lc->list.addr, error);
	free(error);
	mod_result_clear(&res);
	buf_free(&reason);
	return rc;
}

/* One due post, in its own transaction. */
static int
tick_one(struct store *st, const struct config *cfg, int64_t id, time_t now)
{
	struct list_ctx lc;
	struct store_post p;
	int rc = -1;

	memset(&lc, 0, sizeof(lc));
	if (store_begin(st) < 0)
		return -1;
	if (store_post_get(st, id, &p) != 1)
		goto out;
	if (p.state != POST_HELD || list_ctx_load(st, cfg, p.list_id,
	    &lc) != 1) {
		rc = 0;
		goto done;
	}
	if (now >= p.deadline)
		rc = expire(&lc, &p, now);
	else if (*p.confirm != '\0')	/* no moderator to remind */
		rc = store_post_reminded(st, id);
	else
		rc = notify_moderators(&lc, &p, "reminder_moderator",
		    p.escalated ? "owner" : "moderator") < 0 ||
		    store_post_reminded(st, id) < 0 ? -1 : 0;
	if (rc == 0)
		log_info("post %lld: %s", (long long)id, now >= p.deadline ?
		    "deadline passed" : "moderators reminded at half time");
done:
	store_post_clear(&p);
out:
	list_ctx_clear(&lc);
	if (rc < 0 || store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
moderation_tick(struct store *st, const struct config *cfg, time_t now)
{
	struct due d;
	size_t i;

	d.n = 0;
	if (store_post_due(st, now, sizeof(d.ids) / sizeof(d.ids[0]),
	    due_collect, &d) < 0)
		return -1;
	for (i = 0; i < d.n; i++)
		if (tick_one(st, cfg, d.ids[i], now) < 0)
			log_warnx("post %lld: deadline handling failed",
			    (long long)d.ids[i]);
	return (int)d.n;
}

/* ---- appeals ----------------------------------------------------- */

/* One owner or moderator (not the one who rejected) gets the appeal. */
static int
appeal_one(const char *who, void *arg)
{
	struct mod_notice *an = arg;
	struct buf up = BUF_INIT, over = BUF_INIT;
	char post[24];

	if (strcasecmp(who, an->p->decided_by) == 0 ||
	    strcasecmp(who, an->p->author) == 0)
		return 0;
	snprintf(post, sizeof(post), "%lld", (long long)an->p->id);
	if (decision_token(an->lc, an->p, who, "uphold", &up) < 0 ||
	    decision_token(an->lc, an->p, who, "overturn", &over) < 0) {
		an->rc = -1;
		goto out;
	}
	{
		const struct tvar vars[] = {
			{ "subject", an->p->subject }, { "author", an->p->author },
			{ "reason", an->p->reason }, { "appeal", an->text },
			{ "uphold_addr", up.data }, { "overturn_addr", over.data },
			{ "post_id", post },
		};

		mod_queue(an, "appeal_moderator", vars, 7, who, NULL, NULL);
	}
out:
	buf_free(&up);
	buf_free(&over);
	return an->rc < 0;
}

int
moderation_appeal(const struct list_ctx *lc, int64_t post_id,
    const char *text, struct mod_result *res)
{
	struct store *st = lc->st;
	struct mod_notice an;
	struct store_post p;
	char *raw = NULL;
	size_t len = 0;
	int changed, rc = -1;

	memset(res, 0, sizeof(*res));
	if (store_post_get(st, post_id, &p) != 1 || p.list_id != lc->list.id) {
		res->outcome = MOD_NO_POST;
		return 0;
	}
	if (store_post_appeal(st, post_id, "", "pending", &changed) < 0)
		goto out;
	if (!changed) {
		res->outcome = MOD_TOO_LATE;	/* one appeal, decided once */
		res->state = xstrdup(*p.appeal ? p.appeal : post_state_name(
		    p.state));
		res->by = xstrdup("");
		rc = 0;
		goto out;
	}
	if (log_entry(lc, &p, MODLOG_APPEALED, text, "") < 0 ||
	    store_message_get(st, p.message_id, &raw, &len) < 0)
		goto out;
	an = (struct mod_notice){ "appeal_moderator", lc, &p, raw, len, NULL,
	    text, 0, 0 };
	if (store_role_each(st, lc->list.id, "owner", appeal_one, &an) < 0 ||
	    an.rc < 0 || store_role_each(st, lc->list.id, "moderator",
	    appeal_one, &an) < 0 || an.rc < 0)
		goto out;
	res->outcome = MOD_DECIDED;
	rc = 0;
out:
	free(raw);
	store_post_clear(&p);
	return rc;
}

int
moderation_appeal_decide(const struct list_ctx *lc, int64_t post_id,
    int overturn, const char *who, const char *text, struct mod_result *res)
{
	struct store *st = lc->st;
	struct store_post p;
	int changed, rc = -1;

	memset(res, 0, sizeof(*res));
	if (store_post_get(st, post_id, &p) != 1 || p.list_id != lc->list.id) {
		res->outcome = MOD_NO_POST;
		return 0;
	}
	if (store_post_appeal(st, post_id, "pending", overturn ?
	    "overturned" : "upheld", &changed) < 0)
		goto out;
	if (!changed) {
		res->outcome = MOD_TOO_LATE;
		res->state = xstrdup(p.appeal);
		res->by = xstrdup("");
		rc = 0;
		goto out;
	}
	if (overturn) {
		p.state = POST_ACCEPTED;
		if (store_post_set_state(st, post_id, POST_ACCEPTED,
		    p.reason) < 0 || release_post(lc, &p) < 0 ||
		    log_entry(lc, &p, MODLOG_OVERTURNED, text, who) < 0)
			goto out;
	} else if (log_entry(lc, &p, MODLOG_UPHELD, text, who) < 0)
		goto out;
	rc = tell_author(lc, &p, overturn ? "appeal_overturned" :
	    "appeal_upheld", who);
	res->outcome = MOD_DECIDED;
out:
	store_post_clear(&p);
	return rc;
}
