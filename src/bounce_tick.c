/*
 * bounce_tick.c — the scheduler's side of bounce processing: score the
 * new rows of the bounces journal (DSNs recorded by bounce.c, 5xx and
 * expired retries recorded by the delivery engine), disable a member at
 * the list's threshold, send the warnings with a LIST+reenable-TOKEN@
 * reply address, remove after the last one, and reset stale scores.
 *
 * One transaction per run, on the processor's store handle.  Every step
 * is logged at info level.  Fails: -1 on a store error (the scheduler
 * logs it and tries again a period later; nothing was half done).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "buf.h"
#include "listconf.h"
#include "listctx.h"
#include "log.h"
#include "notice.h"
#include "store.h"
#include "token.h"

#define BOUNCE_BATCH	64	/* journal rows scored per run */

/* The bounce settings of a list, read once per use. */
struct bounce_conf {
	double		 threshold;
	long long	 stale;
	int		 warnings;
	long long	 interval;
	int		 notify_owner;
};

static long long
conf_num(const struct list_ctx *lc, const char *key, int duration)
{
	char *v = listconf_get(lc->st, lc->list.id, lc->list.addr, key);
	long long n;

	if (v == NULL)
		return -1;
	n = duration ? listconf_duration(v) : strtoll(v, NULL, 10);
	free(v);
	return n;
}

static int
conf_load(const struct list_ctx *lc, struct bounce_conf *bc)
{
	char *v;

	v = listconf_get(lc->st, lc->list.id, lc->list.addr,
	    "bounce_score_threshold");
	if (v == NULL)
		return -1;
	bc->threshold = strtod(v, NULL);
	free(v);
	bc->stale = conf_num(lc, "bounce_info_stale_after", 1);
	bc->warnings = (int)conf_num(lc, "bounce_you_are_disabled_warnings", 0);
	bc->interval = conf_num(lc,
	    "bounce_you_are_disabled_warnings_interval", 1);
	bc->notify_owner = listconf_get_bool(lc->st, lc->list.id,
	    lc->list.addr, "bounce_notify_owner");
	if (bc->stale < 0 || bc->warnings < 0 || bc->interval < 0 ||
	    bc->notify_owner < 0)
		return -1;
	return 0;
}

static int
mail(const struct list_ctx *lc, const char *name, const char *to,
    const char *role, const struct tvar *vars, size_t n)
{
	struct notice nt;
	char *error = NULL;

	notice_from_list(&nt, lc, name, vars, n);
	nt.to = to;
	nt.from_role = role;
	if (notice_queue(lc->st, lc->cfg, &nt, &error) < 0) {
		log_warnx("list %s: cannot queue '%s' for <%s>: %s",
		    lc->list.addr, name, to, error ? error : "store error");
		free(error);
		return -1;
	}
	return 0;
}

struct owner_mail {
	const struct list_ctx	*lc;
	const char		*name;
	const struct tvar	*vars;
	size_t			 n;
	int			 rc;
};

static int
owner_one(const char *owner, void *arg)
{
	struct owner_mail *om = arg;

	if (mail(om->lc, om->name, owner, "owner", om->vars, om->n) < 0)
		om->rc = -1;
	return 0;
}

static int
tell_owners(const struct list_ctx *lc, const struct bounce_conf *bc,
    const char *name, const struct tvar *vars, size_t n)
{
	struct owner_mail om = { lc, name, vars, n, 0 };

	if (!bc->notify_owner)
		return 0;
	if (store_role_each(lc->st, lc->list.id, "owner", owner_one, &om) < 0)
		return -1;
	return om.rc;
}

/* Score reached the threshold: no more mail, the first warning now. */
static int
disable(const struct list_ctx *lc, const struct bounce_conf *bc,
    const struct store_member *mb, double score, const char *reason,
    time_t now)
{
	char sc[32];

	snprintf(sc, sizeof(sc), "%.1f", score);
	if (store_bounce_disable(lc->st, mb->id, now, reason, now) < 0)
		return -1;
	log_info("list %s: <%s> disabled: bounce score %s reached %.1f (%s)",
	    lc->list.addr, mb->addr, sc, bc->threshold, reason);
	{
		const struct tvar vars[] = { { "member_addr", mb->addr },
		    { "reason", reason }, { "score", sc } };

		return tell_owners(lc, bc, "bounce_owner_disabled", vars, 3);
	}
}

/* Score one journal row of an existing member. */
static int
score_one(const struct list_ctx *lc, const struct store_bounce_event *ev,
    time_t now)
{
	struct bounce_conf bc;
	struct store_member mb;
	enum bounce_kind k = bounce_classify_text(ev->code, ev->text);
	double score;
	int rc;

	if ((rc = store_member_get_id(lc->st, lc->list.id, ev->member_id,
	    &mb)) <= 0)
		return rc;
	if (k != BOUNCE_HARD && k != BOUNCE_SOFT) {
		log_info("list %s: bounce of <%s> not counted (%s): %s",
		    lc->list.addr, mb.addr, bounce_kind_name(k), ev->text);
		goto out;
	}
	if ((rc = conf_load(lc, &bc)) < 0)
		goto out;
	rc = store_bounce_score(lc->st, lc->list.id, mb.id, now,
	    k == BOUNCE_HARD ? 1.0 : 0.5, ev->text, bc.stale, &score);
	if (rc == 0)
		log_info("list %s: %s bounce of <%s> not counted: one counted"
		    " today already", lc->list.addr, bounce_kind_name(k),
		    mb.addr);
	else if (rc == 1) {
		log_info("list %s: %s bounce of <%s>: score %.1f of %.1f",
		    lc->list.addr, bounce_kind_name(k), mb.addr, score,
		    bc.threshold);
		rc = mb.disabled == 0 && score >= bc.threshold ?
		    disable(lc, &bc, &mb, score, ev->text, now) : 0;
	}
out:
	store_member_clear(&mb);
	return rc < 0 ? -1 : 0;
}

/* A LIST+reenable-TOKEN@ address for the member, valid until expires. */
static int
reenable_addr(const struct list_ctx *lc, const struct store_bounce *b,
    time_t now, time_t expires, struct buf *addr)
{
	char tok[TOKEN_LEN + 1], id[24];
	uint8_t hash[TOKEN_HASH];
	struct buf ext = BUF_INIT;

	token_new(tok, hash);
	snprintf(id, sizeof(id), "%lld", (long long)b->member_id);
	if (store_token_add(lc->st, hash, sizeof(hash), BOUNCE_REENABLE,
	    lc->list.id, b->addr, id, now, expires) < 0)
		return -1;
	buf_printf(&ext, "reenable-%s", tok);
	(void)list_addr_ext(&lc->name, ext.data, addr);
	buf_free(&ext);
	return 0;
}

/* A disabled member whose next step is due: warn him, or remove him. */
static int
act_one(const struct list_ctx *lc, const struct store_bounce *b, time_t now)
{
	struct bounce_conf bc;
	struct buf addr = BUF_INIT;
	char left[16];
	int rc;

	if (conf_load(lc, &bc) < 0)
		return -1;
	if (b->warnings >= bc.warnings) {
		if ((rc = store_member_rm(lc->st, lc->list.id, b->addr)) < 0)
			return -1;
		log_info("list %s: <%s> removed: disabled for bounces, %d"
		    " warning(s) unanswered", lc->list.addr, b->addr,
		    b->warnings);
		const struct tvar vars[] = { { "member_addr", b->addr },
		    { "reason", b->reason } };
		return tell_owners(lc, &bc, "bounce_owner_removed", vars, 2);
	}
	snprintf(left, sizeof(left), "%d", bc.warnings - b->warnings - 1);
	rc = reenable_addr(lc, b, now, now + bc.interval *
	    (bc.warnings - b->warnings) + 86400, &addr);
	if (rc == 0) {
		const struct tvar vars[] = { { "member_addr", b->addr },
		    { "reason", b->reason }, { "reenable_addr", addr.data },
		    { "warnings_left", left } };

		rc = mail(lc, "bounce_disabled", b->addr, NULL, vars, 4);
	}
	if (rc == 0)
		rc = store_bounce_warned(lc->st, b->member_id,
		    now + bc.interval);
	if (rc == 0)
		log_info("list %s: <%s> warned (%d of %d): disabled for"
		    " bounces, re-enable by mail to %s", lc->list.addr,
		    b->addr, b->warnings + 1, bc.warnings, addr.data);
	buf_free(&addr);
	return rc;
}

/* Load the list context of list_id into lc (cached across rows). */
static int
ctx_for(struct store *st, const struct config *cfg, int64_t list_id,
    struct list_ctx *lc)
{
	if (lc->st != NULL && lc->list.id == list_id)
		return 1;
	list_ctx_clear(lc);
	return list_ctx_load(st, cfg, list_id, lc);
}

static int
tick_body(struct store *st, const struct config *cfg, time_t now)
{
	struct store_bounce_event *ev;
	struct store_bounce *due;
	struct list_ctx lc;
	int n, ndue, i, rc = 0;

	memset(&lc, 0, sizeof(lc));
	if ((n = store_bounce_unscored(st, BOUNCE_BATCH, &ev)) < 0)
		return -1;
	for (i = 0; rc == 0 && i < n; i++) {
		if (ev[i].member_id != 0 &&
		    (rc = ctx_for(st, cfg, ev[i].list_id, &lc)) == 1)
			rc = score_one(&lc, &ev[i], now);
		if (rc >= 0)
			rc = store_bounce_mark_scored(st, ev[i].id);
	}
	store_bounce_events_free(ev, n);
	if (rc < 0 || (ndue = store_bounce_list(st, 0, now, &due)) < 0) {
		list_ctx_clear(&lc);
		return -1;
	}
	for (i = 0; rc >= 0 && i < ndue; i++)
		if ((rc = ctx_for(st, cfg, due[i].list_id, &lc)) == 1)
			rc = act_one(&lc, &due[i], now);
	store_bounce_list_free(due, ndue);
	list_ctx_clear(&lc);
	return rc < 0 ? -1 : n + ndue;
}

int
bounce_tick(struct store *st, const struct config *cfg, time_t now)
{
	int rc;

	/* Most seconds there is nothing to do: ask before taking the
	 * write lock. */
	if ((rc = store_bounce_pending(st, now)) <= 0)
		return rc;
	if (store_begin(st) < 0)
		return -1;
	if ((rc = tick_body(st, cfg, now)) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return rc;
}

struct stale_arg {
	struct store	*st;
	time_t		 now;
	int		 n;
};

static int
stale_one(const struct store_list *l, void *arg)
{
	struct stale_arg *a = arg;
	char *v = listconf_get(a->st, l->id, l->addr,
	    "bounce_info_stale_after");
	long long stale = v != NULL ? listconf_duration(v) : -1;
	int rc;

	free(v);
	if (stale < 0)
		return 0;
	if ((rc = store_bounce_stale(a->st, l->id, a->now - stale)) > 0) {
		log_info("list %s: %d bounce score(s) reset: no bounce for"
		    " %llds", l->addr, rc, stale);
		a->n += rc;
	}
	return 0;
}

int
bounce_stale_tick(struct store *st, const struct config *cfg, time_t now)
{
	struct stale_arg a = { st, now, 0 };

	(void)cfg;
	if (store_list_each(st, stale_one, &a) < 0)
		return -1;
	return a.n;
}
