/*
 * sub_member.c — joining and leaving by mail (part of subscription.c's
 * family): subscribe, unsubscribe, the confirmation tokens, the owners'
 * approval of a request (by reply, LIST+decline-TOKEN@, or from the shell
 * with `postino sub`), the welcome and goodbye mails (the welcome also for
 * `postino member add --welcome`) and the owners' notices.  Runs inside the caller's transaction, like every command.
 *
 * Safety (reliability.md §3, §4.E): a forged From: can at most make us
 * mail a confirmation to the real owner of the address, once while it is
 * pending; leaving always needs a token that only the member's mailbox
 * received (or the member's own one-click link).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "listctx.h"
#include "log.h"
#include "msg_parts.h"
#include "notice.h"
#include "store.h"
#include "subscription.h"
#include "subscription_int.h"
#include "token.h"

struct owner_mail {
	struct sctx		*sc;
	const char		*name;
	const struct tvar	*vars;
	size_t			 nvars;
	const char		*reply;	/* a token's address, or NULL */
	const char		*tok;
	int			 rc;
	int			 count;
};

static int
owner_mail_one(const char *owner, void *arg)
{
	struct owner_mail *om = arg;

	om->count++;
	if (sub_mail_token(om->sc, om->name, om->vars, om->nvars, owner,
	    om->reply, om->tok, "owner") < 0) {
		om->rc = -1;
		return 1;
	}
	return 0;
}

/* Mail template name to every owner (expecting a reply to the address
 * of token tok, when not NULL); the number of owners, or -1. */
static int
mail_owners(struct sctx *sc, const char *name, const struct tvar *vars,
    size_t n, const char *reply, const char *tok)
{
	struct owner_mail om = { sc, name, vars, n, reply, tok, 0, 0 };

	if (store_role_each(sc->st, sc->list->id, "owner", owner_mail_one,
	    &om) < 0 || om.rc < 0)
		return -1;
	return om.count;
}

/* Tell the owners of a join or leave, when the list asks for it. */
static int
notify_owners(struct sctx *sc, const char *name, const char *addr,
    const char *mode)
{
	const struct tvar vars[] = { { "member_addr", addr }, { "mode", mode } };

	if (!sc->lc->notify_owner)
		return 0;
	return mail_owners(sc, name, vars, 2, NULL, NULL) < 0 ? -1 : 0;
}

static void
fmt_expiry(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/* A new token for (purpose, addr) and its confirm address. */
static int
token_make(struct sctx *sc, const char *purpose, const char *addr,
    char tok[TOKEN_LEN + 1], struct buf *confirm, char *expires, size_t elen)
{
	uint8_t hash[TOKEN_HASH];
	time_t exp = sc->now + sc->cfg->token_lifetime;
	struct buf what = BUF_INIT;

	token_new(tok, hash);
	if (store_token_add(sc->st, hash, sizeof(hash), purpose, sc->list->id,
	    addr, "", sc->now, exp) < 0)
		return -1;
	buf_printf(&what, "confirm-%s", tok);
	(void)list_addr_ext(&sc->lc->name, what.data, confirm);
	buf_free(&what);
	fmt_expiry(exp, expires, elen);
	return 0;
}

/* Ask addr to confirm purpose ("subscribe" or "unsubscribe"). */
static int
ask_confirmation(struct sctx *sc, const char *purpose, const char *addr)
{
	struct buf confirm = BUF_INIT;
	char tok[TOKEN_LEN + 1], expires[64];
	int rc = -1;

	if (store_token_pending(sc->st, sc->list->id, addr, purpose,
	    sc->now) == 1) {
		/* At most one confirmation in flight per address: no mail. */
		buf_printf(sc->note, "; %s confirmation for <%s> already"
		    " pending, nothing sent", purpose, addr);
		return 0;
	}
	if (token_make(sc, purpose, addr, tok, &confirm, expires,
	    sizeof(expires)) == 0) {
		const struct tvar vars[] = {
			{ "token", tok }, { "confirm_addr", confirm.data },
			{ "member_addr", addr }, { "expires", expires },
		};

		rc = sub_mail_token(sc, strcmp(purpose, "subscribe") == 0 ?
		    "confirm_subscribe" : "confirm_unsubscribe", vars, 4, addr,
		    confirm.data, tok, NULL);
	}
	buf_free(&confirm);
	if (rc == 0)
		buf_printf(sc->note, "; %s confirmation sent to <%s>", purpose,
		    addr);
	return rc;
}

/* Ask the owners to approve addr. */
static int
ask_approval(struct sctx *sc, const char *addr)
{
	struct buf confirm = BUF_INIT, decline = BUF_INIT, ext = BUF_INIT;
	char tok[TOKEN_LEN + 1], expires[64];
	int rc = -1, owners;

	if (store_token_pending(sc->st, sc->list->id, addr, "approve",
	    sc->now) == 1) {
		buf_printf(sc->note, "; approval for <%s> already pending",
		    addr);
		return 0;
	}
	if (token_make(sc, "approve", addr, tok, &confirm, expires,
	    sizeof(expires)) == 0) {
		/* The same token declines: whichever reply comes first. */
		buf_printf(&ext, "decline-%s", tok);
		(void)list_addr_ext(&sc->lc->name, ext.data, &decline);
		const struct tvar vars[] = {
			{ "token", tok }, { "approve_addr", confirm.data },
			{ "member_addr", addr }, { "expires", expires },
			{ "decline_addr", decline.data },
		};

		owners = mail_owners(sc, "approve_subscribe", vars, 5,
		    confirm.data, tok);
		if (owners == 0)
			log_warnx("list %s: <%s> waits for approval, but the"
			    " list has no owner", sc->list->addr, addr);
		if (owners >= 0) {
			const struct tvar pv[] = { { "member_addr", addr } };

			rc = sub_mail(sc, "subscribe_pending", pv, 1, addr, NULL,
			    NULL);
		}
	}
	buf_free(&confirm);
	buf_free(&decline);
	buf_free(&ext);
	return rc;
}

/* The welcome mail to a new member (To: "name" <addr> when he has one);
 * it carries the rules he posts under. */
static int
welcome(struct sctx *sc, const char *addr, const char *name,
    const char *mode)
{
	struct buf rules = BUF_INIT;
	int rc = -1;

	if (sub_rules_text(sc, &rules) == 0) {
		const struct tvar vars[] = {
			{ "member_addr", addr }, { "mode", mode },
			{ "rules", rules.data ? rules.data : "" },
		};

		rc = sub_mail_to(sc, "welcome", vars, 3, addr, name, NULL,
		    NULL);
	}
	buf_free(&rules);
	return rc;
}

/*
 * The display name addr gave in the From: of the mail in hand, when that
 * mail is his own (his subscribe, his confirmation; not an owner's
 * approval); "" when none or when it is no clean name (addr_mailbox.c).
 */
static void
joiner_name(const struct sctx *sc, const char *addr,
    char name[ADDR_NAME_MAX])
{
	char who[ADDR_MAX], key[ADDR_MAX], *from;
	const char *error;

	*name = '\0';
	if (sc->m == NULL)
		return;
	addr_key(sc->who, who);
	addr_key(addr, key);
	if (strcmp(who, key) != 0 || (from = msg_author_name(sc->m)) == NULL)
		return;
	if (addr_name_literal(from, strlen(from), name, &error) < 0)
		*name = '\0';
	free(from);
}

/* Make addr a member now, with the name he gave; welcome, notify. */
static int
join(struct sctx *sc, const char *addr)
{
	char name[ADDR_NAME_MAX];
	int rc;

	joiner_name(sc, addr, name);
	rc = store_member_add_named(sc->st, sc->list->id, addr, name,
	    MODE_EACH, NULL);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return sub_result(sc, "r_already_member", "member_addr", addr);
	buf_printf(sc->note, "; <%s> joined", addr);
	return welcome(sc, addr, name, "each") < 0 ||
	    notify_owners(sc, "owner_join", addr, "each") < 0 ? -1 : 0;
}

/* addr leaves; the goodbye goes To: his display name, if he had one. */
int
sub_leave(struct sctx *sc, const char *addr)
{
	const struct tvar vars[] = { { "member_addr", addr } };
	struct store_member mb;
	int rc;

	if ((rc = store_member_get(sc->st, sc->list->id, addr, &mb)) == 1)
		rc = store_member_rm(sc->st, sc->list->id, addr);
	if (rc < 0 || rc == 0) {
		store_member_clear(&mb);
		return rc < 0 ? -1 :
		    sub_result(sc, "r_not_member", "member_addr", addr);
	}
	buf_printf(sc->note, "; <%s> left", addr);
	rc = sub_mail_to(sc, "goodbye", vars, 1, addr, mb.name, NULL,
	    NULL) < 0 || notify_owners(sc, "owner_leave", addr, "") < 0 ?
	    -1 : 0;
	store_member_clear(&mb);
	return rc;
}

/* 1 member, 0 not, -1 error. */
int
sub_is_member(struct sctx *sc, const char *addr, struct store_member *mb)
{
	return store_member_get(sc->st, sc->list->id, addr, mb);
}

int
sub_subscribe(struct sctx *sc)
{
	struct store_member mb;
	int rc;

	if ((rc = sub_banned(sc, sc->who)) != 0)
		return rc < 0 ? -1 : 0;
	if ((rc = sub_is_member(sc, sc->who, &mb)) != 0) {
		if (rc == 1)
			store_member_clear(&mb);
		return rc < 0 ? -1 :
		    sub_result(sc, "r_already_member", "member_addr", sc->who);
	}
	if (strcmp(sc->lc->policy, "open") == 0)
		return join(sc, sc->who);
	if (strcmp(sc->lc->policy, "approve") == 0)
		return ask_approval(sc, sc->who);
	return ask_confirmation(sc, "subscribe", sc->who);
}

int
sub_unsubscribe(struct sctx *sc)
{
	struct store_member mb;
	int rc;

	if ((rc = sub_is_member(sc, sc->who, &mb)) != 1)
		return rc < 0 ? -1 :
		    sub_result(sc, "r_not_member", "member_addr", sc->who);
	store_member_clear(&mb);
	/* Never on a From: alone: only the member's mailbox gets the token. */
	return ask_confirmation(sc, "unsubscribe", sc->who);
}

int
sub_token_failed(struct sctx *sc, enum token_status status, const char *tok)
{
	const char *name = status == TOKEN_USED ? "r_token_used" :
	    status == TOKEN_EXPIRED ? "r_token_expired" : "r_token_unknown";

	buf_printf(sc->note, "; token %s", name + 8);
	return sub_result(sc, name, "token", tok);
}

static int
confirmed(struct sctx *sc, const struct store_token *t)
{
	int rc;

	if ((strcmp(t->purpose, "subscribe") == 0 ||
	    strcmp(t->purpose, "approve") == 0) &&
	    (rc = sub_banned(sc, t->addr)) != 0)
		return rc < 0 ? -1 : 0;	/* banned since it was asked */
	if (strcmp(t->purpose, "subscribe") == 0) {
		if (strstr(sc->lc->policy, "approve") != NULL)
			return ask_approval(sc, t->addr);
		return join(sc, t->addr);
	}
	if (strcmp(t->purpose, "approve") == 0) {
		if (join(sc, t->addr) < 0)
			return -1;
		return sub_result(sc, "r_approved", "member_addr", t->addr);
	}
	if (strcmp(t->purpose, "unsubscribe") == 0)
		return sub_leave(sc, t->addr);
	return sub_token_failed(sc, TOKEN_UNKNOWN, "");
}

int
sub_token_take(struct sctx *sc, const char *tok, struct store_token *t)
{
	uint8_t hash[TOKEN_HASH];
	enum token_status status;

	memset(t, 0, sizeof(*t));
	if (token_hash(tok, strlen(tok), hash) < 0)
		return sub_token_failed(sc, TOKEN_UNKNOWN, tok) < 0 ? -1 : 0;
	if (store_token_take(sc->st, hash, sizeof(hash), sc->list->id, sc->now,
	    &status, t) < 0)
		return -1;
	if (status == TOKEN_OK)
		return 1;
	return sub_token_failed(sc, status, tok) < 0 ? -1 : 0;
}

/* An owner declines a pending request: the requester is told. */
static int
declined(struct sctx *sc, const char *addr)
{
	const struct tvar vars[] = { { "member_addr", addr } };

	buf_printf(sc->note, "; request of <%s> declined", addr);
	return sub_mail(sc, "request_declined", vars, 1, addr, NULL, NULL);
}

/*
 * LIST+confirm-TOKEN@ (or "confirm TOKEN"), and LIST+decline-TOKEN@: an
 * owner declining the pending request the same approval token is for.
 */
int
sub_confirm(struct sctx *sc, const char *tok, int decline)
{
	struct store_token t;
	int rc;

	if ((rc = sub_token_take(sc, tok, &t)) == 1) {
		if (!decline)
			rc = confirmed(sc, &t);
		else if (strcmp(t.purpose, "approve") != 0)
			rc = sub_token_failed(sc, TOKEN_UNKNOWN, tok);
		else
			rc = declined(sc, t.addr) < 0 ? -1 :
			    sub_result(sc, "r_declined", "member_addr",
			    t.addr);
	}
	store_token_clear(&t);
	return rc;
}

int
subscription_request_decide(const struct list_ctx *lc, const char *addr,
    int approve, struct buf *note)
{
	struct sctx sc;
	int rc;

	sub_ctx_init(&sc, lc, NULL, note);
	rc = store_token_pending_use(sc.st, sc.list->id, addr, "approve",
	    sc.now);
	if (rc == 1)
		rc = (approve ? join(&sc, addr) : declined(&sc, addr)) < 0 ?
		    -1 : 1;
	sub_ctx_clear(&sc);
	return rc;
}

int
subscription_leave(const struct list_ctx *lc, const char *addr,
    struct buf *note)
{
	struct sctx sc;
	int rc;

	sub_ctx_init(&sc, lc, NULL, note);
	snprintf(sc.who, sizeof(sc.who), "%s", addr);
	rc = sub_leave(&sc, addr);
	sub_ctx_clear(&sc);
	return rc;
}

int
subscription_welcome(const struct list_ctx *lc, const char *addr,
    const char *name, const char *mode, struct buf *note)
{
	struct sctx sc;
	int rc;

	sub_ctx_init(&sc, lc, NULL, note);
	rc = welcome(&sc, addr, name, mode);
	if (rc == 0)
		buf_printf(note, "; welcome queued for <%s>", addr);
	sub_ctx_clear(&sc);
	return rc;
}
