/*
 * sub_moderation.c — the list's moderation addresses: LIST+approve-TOKEN@,
 * LIST+reject-TOKEN@ and LIST+discard-TOKEN@ (a moderator decides a held
 * post by replying; the first line of a rejection is its reason; a
 * discard tells nobody and is refused for a member's post),
 * LIST+moderate-TOKEN@ (the held-post notice's own address: "approve",
 * "reject REASON" or "discard" on the first line of the reply; anything
 * else decides nothing and is answered with the choices), LIST+rules@ and
 * LIST+log@ (anyone may read the published rules and the moderation log,
 * whose chain head each log mail carries).
 *
 * The ban check of a subscription (sub_banned) lives here too.
 *
 * Runs inside subscription_handle's transaction, like every command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ban.h"
#include "buf.h"
#include "listconf.h"
#include "listctx.h"
#include "log.h"
#include "moderation.h"
#include "modlog_report.h"
#include "msg.h"
#include "notice.h"
#include "request.h"
#include "rules.h"
#include "subscription_int.h"
#include "token.h"

/* ---- moderation by mail ----------------------------------------- */

#define MOD_REPLY_TEXT	(64 * 1024)	/* text read for a decision */

/* 1 when line is the header a mail client puts above a quote. */
static int
quote_header(const char *line, size_t n)
{
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r'))
		n--;
	return (n >= 6 && strncasecmp(line + n - 6, "wrote:", 6) == 0) ||
	    (n >= 8 && strncasecmp(line + n - 8, "scritto:", 8) == 0);
}

/* The first line of the moderator's own words: the rejection reason. */
static void
first_line(const struct msg *m, struct buf *out)
{
	struct buf text = BUF_INIT;
	const char *p, *nl;
	size_t n;

	if (msg_text(m, 16384, &text) < 0)
		return;
	for (p = text.data; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r'))
			n--;
		if (n == 0 || *p == '>' || quote_header(p, n))
			continue;
		if (n >= 2 && p[0] == '-' && p[1] == '-')
			break;		/* a signature: no reason given */
		buf_append(out, p, n > 500 ? 500 : n);
		break;
	}
	buf_free(&text);
}

struct rule_find {
	const struct list_ctx	*lc;
	const char		*name;
	struct buf		*reason;
};

static int
rule_match(const struct rule *r, void *arg)
{
	struct rule_find *rf = arg;
	char *text;

	if (strcasecmp(r->name, rf->name) != 0)
		return 0;
	text = notice_rule_text(rf->lc, r->text);
	buf_reset(rf->reason);
	buf_printf(rf->reason, "%s%s%s", r->name, *text ? ": " : "", text);
	free(text);
	return 1;
}

/* A reason that names a rule becomes that rule's name and text. */
static int
reason_rule(struct sctx *sc, struct buf *reason)
{
	struct rule_find rf;
	char *name;
	int rc;

	if (reason->len == 0)
		return 0;
	name = xstrdup(reason->data);
	rf.lc = sc->lc;
	rf.name = name;
	rf.reason = reason;
	rc = rules_each(sc->st, sc->list->id, rule_match, &rf);
	free(name);
	return rc < 0 ? -1 : 0;
}

static int
decision_outcome(struct sctx *sc, const struct mod_result *res,
    const char *post, const struct store_post *p, const char *reason,
    enum post_state to)
{
	char when[32];
	struct tm tm;

	if (res->outcome == MOD_DECIDED) {
		const struct tvar vars[] = {
			{ "post_id", post }, { "subject", p->subject },
			{ "reason", reason },
		};

		return sub_result_v(sc, to == POST_ACCEPTED ? "r_mod_approved" :
		    to == POST_REJECTED ? "r_mod_rejected" : "r_mod_discarded",
		    vars, to == POST_REJECTED ? 3 : 2);
	}
	if (res->outcome == MOD_MEMBER_POST)
		return sub_result(sc, "r_mod_member_post", "post_id", post);
	if (res->outcome == MOD_OWN_POST)
		return sub_result(sc, "r_mod_own_post", "post_id", post);
	if (res->outcome == MOD_NO_POST)
		return sub_result(sc, "r_token_unknown", "token", post);
	gmtime_r(&res->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	{
		const struct tvar vars[] = {
			{ "post_id", post }, { "state", res->state },
			{ "by", *res->by ? res->by : sc->list->addr },
			{ "when", when },
		};

		return sub_result_v(sc, "r_mod_too_late", vars, 4);
	}
}

/* Decide post (from the token's data) as the token's moderator. */
static int
decide_post(struct sctx *sc, const struct store_token *t, enum post_state to,
    const char *reason, enum token_status status)
{
	struct mod_result res;
	struct store_post p;
	int64_t id = strtoll(t->data, NULL, 10);
	int rc;

	memset(&res, 0, sizeof(res));
	snprintf(sc->who, sizeof(sc->who), "%s", t->addr);
	if ((rc = store_post_get(sc->st, id, &p)) <= 0)
		return rc < 0 ? -1 : sub_token_failed(sc, TOKEN_UNKNOWN, t->data);
	if (status == TOKEN_USED && p.state != POST_HELD) {
		/* The same mail twice, or a second decision: say who won. */
		res.outcome = MOD_TOO_LATE;
		res.state = xstrdup(post_state_name(p.state));
		res.by = xstrdup(p.decided_by);
		res.when = p.decided;
		rc = 0;
	} else if (status == TOKEN_USED)
		rc = sub_token_failed(sc, TOKEN_USED, t->data) < 0 ? -1 : 1;
	else
		rc = moderation_decide(sc->lc, id, to, t->addr, reason, &res);
	if (rc == 0) {
		buf_printf(sc->note, "; post %s %s by <%s>: %s", t->data,
		    to == POST_ACCEPTED ? "approve" : to == POST_REJECTED ?
		    "reject" : "discard", t->addr,
		    res.outcome == MOD_DECIDED ? "done" : "not changed");
		rc = decision_outcome(sc, &res, t->data, &p, reason, to);
	}
	mod_result_clear(&res);
	store_post_clear(&p);
	return rc < 0 ? -1 : 0;
}

/* The answer to an undecided reply is From LIST+moderate-TOKEN@ again,
 * so that answering it decides (subscription.c's send_reply). */
static void
reply_again(struct sctx *sc, const char *tok)
{
	buf_reset(&sc->reply_ext);
	buf_printf(&sc->reply_ext, "moderate-%s", tok);
}

/*
 * Decide with token tok of purpose, the moderator's words in reason (a
 * rule's name stands for the rule).  A rejection needs a reason: without
 * one nothing happens, and the token stays; an approval's words, if
 * any, are logged too.
 */
static int
moderate_token(struct sctx *sc, const char *purpose, enum post_state to,
    const char *tok, struct buf *reason)
{
	uint8_t hash[TOKEN_HASH];
	enum token_status status;
	struct store_token t;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (token_hash(tok, strlen(tok), hash) < 0)
		return sub_token_failed(sc, TOKEN_UNKNOWN, tok);
	if (reason_rule(sc, reason) < 0)
		goto out;
	if (to == POST_REJECTED && reason->len == 0) {
		if (strcmp(purpose, "mod_moderate") == 0)
			reply_again(sc, tok);
		rc = sub_result(sc, "r_mod_need_reason", "post_id", "");
		goto out;
	}
	if (store_token_take(sc->st, hash, sizeof(hash), sc->list->id, sc->now,
	    &status, &t) < 0)
		goto out;
	if (status == TOKEN_UNKNOWN || status == TOKEN_EXPIRED ||
	    t.purpose == NULL || strcmp(t.purpose, purpose) != 0)
		rc = sub_token_failed(sc, status == TOKEN_OK ? TOKEN_UNKNOWN :
		    status, tok);
	else
		rc = decide_post(sc, &t, to, reason->data ? reason->data : "",
		    status);
out:
	store_token_clear(&t);
	return rc;
}

/* LIST+approve-TOKEN@, LIST+reject-TOKEN@ and LIST+discard-TOKEN@: the
 * first line of the moderator's own words is the reason. */
int
sub_moderate(struct sctx *sc, enum post_state to, const char *tok)
{
	struct buf reason = BUF_INIT;
	int rc;

	first_line(sc->m, &reason);
	rc = moderate_token(sc, to == POST_ACCEPTED ? "mod_approve" :
	    to == POST_REJECTED ? "mod_reject" : "mod_discard", to, tok,
	    &reason);
	buf_free(&reason);
	return rc;
}

/*
 * A reply that decides nothing: the token stays, the post stays held,
 * and the moderator the token belongs to (whoever sent the reply) gets
 * the choices; a token that no longer works says why instead.
 */
static int
undecided(struct sctx *sc, const char *tok, const struct request_decided *d)
{
	uint8_t hash[TOKEN_HASH];
	struct store_token t;
	int rc;

	if (token_hash(tok, strlen(tok), hash) < 0 || (rc = store_token_get(
	    sc->st, hash, sizeof(hash), sc->list->id, &t)) == 0)
		return sub_token_failed(sc, TOKEN_UNKNOWN, tok);
	if (rc < 0)
		return -1;
	if (strcmp(t.purpose, "mod_moderate") != 0)
		rc = sub_token_failed(sc, TOKEN_UNKNOWN, tok);
	else if (t.used != 0 || t.expires <= sc->now)
		rc = sub_token_failed(sc, t.used != 0 ? TOKEN_USED :
		    TOKEN_EXPIRED, tok);
	else {
		const struct tvar vars[] = {
			{ "post_id", t.data }, { "line", d->line },
		};

		snprintf(sc->who, sizeof(sc->who), "%s", t.addr);
		buf_printf(sc->note, "; post %s: reply of <%s> decides"
		    " nothing, still held", t.data, t.addr);
		reply_again(sc, tok);
		rc = sub_result_v(sc, "r_mod_choices", vars, 2);
	}
	store_token_clear(&t);
	return rc;
}

/*
 * LIST+moderate-TOKEN@, the From and Reply-To of a held-post notice
 * (or its token in the Subject of a reply that reached LIST@ or
 * LIST-request@): the decision is the first line of the moderator's own
 * words (request_decision), the words after it the reason.
 */
int
sub_moderate_reply(struct sctx *sc, const char *tok)
{
	struct buf text = BUF_INIT, reason = BUF_INIT;
	struct request_decided d;
	enum post_state to;
	int rc;

	if (msg_text(sc->m, MOD_REPLY_TEXT, &text) < 0)
		buf_reset(&text);
	(void)request_decision(text.data != NULL ? text.data : "", text.len,
	    &d);
	buf_free(&text);
	if (d.what == REQUEST_UNDECIDED)
		return undecided(sc, tok, &d);
	to = d.what == REQUEST_APPROVE ? POST_ACCEPTED :
	    d.what == REQUEST_REJECT ? POST_REJECTED : POST_DISCARDED;
	buf_puts(&reason, d.reason);
	rc = moderate_token(sc, "mod_moderate", to, tok, &reason);
	buf_free(&reason);
	return rc;
}

/* ---- an owner's or moderator's own post, confirmed ---------------- */

/* What moderation_confirm came to, or why the token did not work, told
 * precisely: the post's number, and what became of it. */
static int
post_outcome(struct sctx *sc, const struct store_token *t, const char *tok,
    const struct mod_result *res, enum token_status status)
{
	struct store_post p;
	char when[32];
	struct tm tm;
	int rc;

	if ((rc = store_post_get(sc->st, strtoll(t->data, NULL, 10), &p)) <= 0)
		return rc < 0 ? -1 : sub_token_failed(sc, TOKEN_UNKNOWN, tok);
	gmtime_r(&p.decided, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	{
		const struct tvar vars[] = {
			{ "post_id", t->data }, { "subject", p.subject },
			{ "state", post_state_name(p.state) }, { "when", when },
		};

		if (status == TOKEN_EXPIRED)
			rc = sub_result_v(sc, "r_post_expired", vars, 2);
		else if (status == TOKEN_USED && p.state == POST_HELD)
			rc = sub_token_failed(sc, TOKEN_USED, tok);
		else if (status == TOKEN_USED || res->outcome == MOD_TOO_LATE ||
		    res->outcome == MOD_NO_POST)
			rc = sub_result_v(sc, "r_post_used", vars, 4);
		else if (res->outcome == MOD_NO_ROLE)
			rc = sub_result_v(sc, "r_post_no_role", vars, 2);
		else
			rc = sub_result_v(sc, "r_post_released", vars, 2);
	}
	store_post_clear(&p);
	return rc;
}

/*
 * LIST+post-TOKEN@: the sender of an owner's or moderator's post
 * confirms it (moderation_confirm).  The answer goes to the token's
 * address, whoever replied.
 */
int
sub_post_confirm(struct sctx *sc, const char *tok)
{
	uint8_t hash[TOKEN_HASH];
	enum token_status status;
	struct store_token t;
	struct mod_result res;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	memset(&res, 0, sizeof(res));
	if (token_hash(tok, strlen(tok), hash) < 0)
		return sub_token_failed(sc, TOKEN_UNKNOWN, tok);
	if (store_token_take(sc->st, hash, sizeof(hash), sc->list->id, sc->now,
	    &status, &t) < 0)
		goto out;
	if (status == TOKEN_UNKNOWN || t.purpose == NULL ||
	    strcmp(t.purpose, "post_confirm") != 0) {
		rc = sub_token_failed(sc, TOKEN_UNKNOWN, tok);
		goto out;
	}
	snprintf(sc->who, sizeof(sc->who), "%s", t.addr);
	if (status == TOKEN_OK && moderation_confirm(sc->lc,
	    strtoll(t.data, NULL, 10), t.addr, &res) < 0)
		goto out;
	buf_printf(sc->note, "; post %s confirmed by <%s>: %s", t.data,
	    t.addr, status == TOKEN_USED ? "token used" : status ==
	    TOKEN_EXPIRED ? "token expired" : res.outcome == MOD_DECIDED ? "released" : "not changed");
	rc = post_outcome(sc, &t, tok, &res, status);
out:
	mod_result_clear(&res);
	store_token_clear(&t);
	return rc;
}

/* ---- bans at subscription ---------------------------------------- */

/* A banned address is refused with a generic text (ban.h); the daemon's
 * log says which ban.  1 refused, 0 not banned, -1 error. */
int
sub_banned(struct sctx *sc, const char *addr)
{
	char glob[BAN_GLOB_MAX + 1];
	int rc;

	if ((rc = ban_find(sc->st, sc->list->id, addr, NULL, glob)) != 1)
		return rc;
	buf_printf(sc->note, "; subscription of <%s> refused: banned (%s)",
	    addr, glob);
	return sub_result(sc, "r_subscribe_refused", "member_addr", addr) < 0 ?
	    -1 : 1;
}

/* ---- the list's rules and log, for anyone who asks --------------- */

struct rules_text {
	struct sctx	*sc;
	struct buf	*out;
	int		 rc;
	int		 n;
};

static int
rule_line(const struct rule *r, void *arg)
{
	struct rules_text *rt = arg;
	char pos[16];
	char *error = NULL, *text = notice_rule_text(rt->sc->lc, r->text);
	const struct tvar vars[] = {
		{ "position", pos }, { "name", r->name }, { "text", text },
		{ "action", rule_action_name(r->action) },
	};

	snprintf(pos, sizeof(pos), "%d", r->position);
	rt->n++;
	if (notice_line(rt->sc->cfg, rt->sc->lc->lang, rt->sc->lc->override,
	    "rule_line", vars, 4, rt->out, &error) < 0) {
		log_warnx("list %s: rule_line: %s", rt->sc->list->addr, error);
		free(error);
		free(text);
		rt->rc = -1;
		return 1;
	}
	free(text);
	buf_puts(rt->out, "\n");
	return 0;
}

int
sub_rules_text(struct sctx *sc, struct buf *text)
{
	struct rules_text rt = { sc, text, 0, 0 };
	char *error = NULL;

	if (rules_each(sc->st, sc->list->id, rule_line, &rt) < 0 || rt.rc < 0)
		return -1;
	if (rt.n == 0 && notice_line(sc->cfg, sc->lc->lang, sc->lc->override,
	    "rules_default", NULL, 0, text, &error) < 0) {
		log_warnx("list %s: rules_default: %s", sc->list->addr, error);
		free(error);
		return -1;
	}
	return 0;
}

int
sub_rules(struct sctx *sc)
{
	struct buf text = BUF_INIT;
	int rc = -1;

	if (sub_rules_text(sc, &text) == 0) {
		const struct tvar vars[] = {
			{ "rules", text.data ? text.data : "" },
			{ "emergency", "" },
		};

		rc = sub_mail(sc, "rules_report", vars, 2, sc->who, NULL, NULL);
	}
	buf_free(&text);
	return rc;
}

/* May the sender have the log?  On lists with modlog_public = members,
 * only members (a non-member is told so; the rules stay public).  1 yes,
 * 0 answered no, -1 on error. */
static int
log_for(struct sctx *sc)
{
	struct store_member m;
	char *who;
	int rc;

	who = listconf_get(sc->st, sc->list->id, sc->list->addr,
	    "modlog_public");
	rc = who != NULL && strcmp(who, "members") == 0;
	free(who);
	if (!rc)
		return 1;
	if ((rc = store_member_get(sc->st, sc->list->id, sc->who, &m)) < 0)
		return -1;
	if (rc == 1) {
		store_member_clear(&m);
		return 1;
	}
	buf_printf(sc->note, "; log refused to non-member <%s>", sc->who);
	return sub_result(sc, "r_log_members_only", "member_addr", sc->who) <
	    0 ? -1 : 0;
}

int
sub_log(struct sctx *sc)
{
	struct modlog_report r;
	char *error = NULL;
	int rc;

	if ((rc = log_for(sc)) != 1)
		return rc;
	memset(&r, 0, sizeof(r));
	if (modlog_report(sc->st, sc->cfg, sc->lc->lang, sc->lc->override,
	    sc->list->id, sc->list->addr, sc->lc->pseudonym, 20,
	    sc->now - 30 * 86400, &r, &error) < 0) {
		log_warnx("list %s: log report: %s", sc->list->addr,
		    error ? error : "store error");
		free(error);
		return -1;
	}
	rc = sub_mail(sc, "log_report", r.vars, MODLOG_REPORT_VARS, sc->who, NULL,
	    NULL);
	modlog_report_clear(&r);
	return rc;
}


/* ---- appeals ----------------------------------------------------- */

/* The first lines of the author's own words, for the reviewers. */
static void
appeal_text(const struct sctx *sc, struct buf *out)
{
	first_line(sc->m, out);
	if (out->len == 0)
		buf_puts(out, "-");
}

/*
 * LIST+appeal-TOKEN@ (the author), LIST+uphold-TOKEN@ and
 * LIST+overturn-TOKEN@ (a reviewer).  The token says who and which post.
 */
int
sub_appeal(struct sctx *sc, const char *kind, const char *tok)
{
	struct buf text = BUF_INIT;
	uint8_t hash[TOKEN_HASH];
	enum token_status status;
	struct store_token t;
	struct mod_result res;
	char purpose[32];
	int64_t id;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	memset(&res, 0, sizeof(res));
	snprintf(purpose, sizeof(purpose), "mod_%s", kind);
	if (token_hash(tok, strlen(tok), hash) < 0)
		return sub_token_failed(sc, TOKEN_UNKNOWN, tok);
	if (store_token_take(sc->st, hash, sizeof(hash), sc->list->id, sc->now,
	    &status, &t) < 0)
		goto out;
	if (status != TOKEN_OK || strcmp(t.purpose, purpose) != 0) {
		rc = sub_token_failed(sc, status == TOKEN_OK ? TOKEN_UNKNOWN :
		    status, tok);
		goto out;
	}
	snprintf(sc->who, sizeof(sc->who), "%s", t.addr);
	id = strtoll(t.data, NULL, 10);
	if (strcmp(kind, "appeal") == 0) {
		appeal_text(sc, &text);
		rc = moderation_appeal(sc->lc, id, text.data, &res);
	} else {
		/* The decider's words, when he wrote any, go to the log. */
		first_line(sc->m, &text);
		rc = moderation_appeal_decide(sc->lc, id,
		    strcmp(kind, "overturn") == 0, t.addr,
		    text.data ? text.data : "", &res);
	}
	if (rc < 0)
		goto out;
	buf_printf(sc->note, "; post %s: %s by <%s>: %s", t.data, kind, t.addr,
	    res.outcome == MOD_DECIDED ? "done" : "not changed");
	if (res.outcome == MOD_DECIDED && strcmp(kind, "appeal") == 0)
		rc = sub_result(sc, "r_appeal_sent", "post_id", t.data);
	else if (res.outcome == MOD_DECIDED) {
		const struct tvar vars[] = {
			{ "post_id", t.data },
			{ "outcome", strcmp(kind, "overturn") == 0 ? "overturned" :
			    "upheld" },
		};

		rc = sub_result_v(sc, "r_appeal_decided", vars, 2);
	} else
		rc = sub_token_failed(sc, TOKEN_USED, tok);
out:
	mod_result_clear(&res);
	store_token_clear(&t);
	buf_free(&text);
	return rc;
}
