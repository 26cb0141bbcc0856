/*
 * moderation_confirm.c — an owner's or moderator's own post, accepted
 * by a rule for that role (rules.h: sender owner, sender moderator),
 * goes out only when its sender confirms it: From: can be forged, the
 * mailbox of the role's address cannot.
 *
 * The post waits held, with posts.confirm naming the role's address;
 * that address alone gets the confirmation, with the post attached and
 * a reply address LIST+post-TOKEN@ (purpose post_confirm, single use,
 * bound to the post and the address, expiring at the post's deadline).
 * No moderator is asked (nobody decides on an owner's post for him);
 * one reply releases the post through release_post and is logged as
 * the sender's own confirmation.  Unconfirmed at its deadline, the post
 * lapses: discarded, logged, nobody told (the From: may be forged).
 *
 * Runs in the caller's transaction.  Owns nothing beyond one call.
 * Fails: -1 on a store or template error (logged).
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
#include "notice.h"
#include "release.h"
#include "token.h"

#define CONFIRM_PURPOSE	"post_confirm"

/* A post_confirm token for p; LIST+post-TOKEN@ into addr. */
static int
confirm_token(const struct list_ctx *lc, const struct store_post *p,
    struct buf *addr)
{
	char tok[TOKEN_LEN + 1], post[24];
	struct buf ext = BUF_INIT;
	uint8_t hash[TOKEN_HASH];
	time_t now = time(NULL), expires = now + lc->cfg->token_lifetime;

	if (p->deadline > now && p->deadline < expires)
		expires = p->deadline;
	token_new(tok, hash);
	snprintf(post, sizeof(post), "%lld", (long long)p->id);
	if (store_token_add(lc->st, hash, sizeof(hash), CONFIRM_PURPOSE,
	    lc->list.id, p->confirm, post, now, expires) < 0)
		return -1;
	buf_printf(&ext, "post-%s", tok);
	(void)list_addr_ext(&lc->name, ext.data, addr);
	buf_free(&ext);
	return 0;
}

/* Mail the confirmation, the post attached, to p->confirm. */
static int
confirm_mail(const struct list_ctx *lc, const struct store_post *p,
    const char *confirm_addr, const char *raw, size_t len)
{
	struct buf cp = BUF_INIT;
	struct notice nt;
	char *error = NULL, post[24], deadline[32];
	struct tm tm;
	int rc = -1;

	snprintf(post, sizeof(post), "%lld", (long long)p->id);
	gmtime_r(&p->deadline, &tm);
	strftime(deadline, sizeof(deadline), "%Y-%m-%d %H:%M UTC", &tm);
	if (modlog_checkpoint_line(lc->st, lc->list.id, lc->list.addr,
	    &cp) < 0)
		return -1;
	{
		const struct tvar vars[] = {
			{ "subject", p->subject }, { "post_id", post },
			{ "rule", p->rule }, { "confirm_addr", confirm_addr },
			{ "deadline", deadline }, { "checkpoint", cp.data },
		};

		notice_from_list(&nt, lc, "post_confirm", vars, 6);
		nt.to = p->confirm;
		nt.reply_to = confirm_addr;
		nt.in_reply_to = *p->msgid ? p->msgid : NULL;
		nt.attach = raw;
		nt.attach_len = len;
		rc = notice_queue(lc->st, lc->cfg, &nt, &error);
	}
	if (rc < 0) {
		log_warnx("list %s: post %lld: cannot ask <%s> to confirm: %s",
		    lc->list.addr, (long long)p->id, p->confirm, error ?
		    error : "store error");
		free(error);
	}
	buf_free(&cp);
	return rc;
}

int
moderation_confirm_ask(const struct list_ctx *lc, const struct store_post *p)
{
	struct buf addr = BUF_INIT;
	char *raw = NULL;
	size_t len = 0;
	int rc;

	/* A forged From: must not make us mail an owner without end. */
	if ((rc = moderation_may_answer(lc, p->confirm)) != 1) {
		if (rc == 0)
			log_warnx("list %s: post %lld: <%s> is over the daily"
			    " cap: no confirmation sent", lc->list.addr,
			    (long long)p->id, p->confirm);
		return rc;
	}
	rc = -1;
	if (store_message_get(lc->st, p->message_id, &raw, &len) == 0 &&
	    confirm_token(lc, p, &addr) == 0)
		rc = confirm_mail(lc, p, addr.data, raw, len);
	free(raw);
	buf_free(&addr);
	return rc;
}

/* The post was released: the log says by whom, and how. */
static int
confirmed(const struct list_ctx *lc, int64_t post_id, const char *addr,
    struct mod_result *res)
{
	struct store_post p;
	int rc = -1;

	if (store_post_get(lc->st, post_id, &p) != 1)
		return -1;
	if (release_post(lc, &p) == 0 && moderation_log(lc, &p,
	    MODLOG_CONFIRMED, "released by its sender's confirmation",
	    addr) == 0) {
		res->outcome = MOD_DECIDED;
		rc = 0;
	}
	store_post_clear(&p);
	return rc;
}

int
moderation_confirm(const struct list_ctx *lc, int64_t post_id,
    const char *addr, struct mod_result *res)
{
	char role[ADDR_MAX];
	struct store_post p;
	int rc, changed;

	memset(res, 0, sizeof(*res));
	if ((rc = store_post_get(lc->st, post_id, &p)) <= 0 ||
	    p.list_id != lc->list.id || strcasecmp(p.confirm, addr) != 0) {
		if (rc == 1)
			store_post_clear(&p);
		res->outcome = MOD_NO_POST;
		return rc < 0 ? -1 : 0;
	}
	snprintf(role, sizeof(role), "%s", addr);
	rc = -1;
	if (p.state != POST_HELD) {
		moderation_too_late(&p, res);
		rc = 0;
	} else if ((rc = moderation_is_reviewer(lc, role)) == 0)
		res->outcome = MOD_NO_ROLE;	/* the role went meanwhile */
	else if (rc == 1 && (rc = store_post_decide(lc->st, post_id,
	    POST_ACCEPTED, p.reason, p.rule, addr, &changed)) == 0) {
		if (changed)
			rc = confirmed(lc, post_id, addr, res);
		else
			res->outcome = MOD_NO_POST;
	}
	store_post_clear(&p);
	return rc < 0 ? -1 : 0;
}

int
moderation_confirm_lapse(const struct list_ctx *lc,
    const struct store_post *p, const char *reason)
{
	int changed;

	if (store_post_decide(lc->st, p->id, POST_DISCARDED, reason, p->rule,
	    "", &changed) < 0)
		return -1;
	return changed ? moderation_log(lc, p, MODLOG_EXPIRED, reason, "") : 0;
}
