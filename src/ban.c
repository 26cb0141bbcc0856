/*
 * ban.c — a list's and the site's bans: the stored form of a glob,
 * matching addresses, and changes with their moderation log entries
 * (ban.h).
 *
 * Owns nothing beyond a call.  Fails: ban_glob with a static reason; the
 * rest -1 on a store error (logged by the store), leaving the rollback
 * to the caller's transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ban.h"
#include "modlog.h"
#include "rules.h"
#include "store.h"
#include "store_ban.h"

int
ban_glob(const char *glob, char out[BAN_GLOB_MAX + 1], const char **error_r)
{
	size_t i;

	if (rules_glob_check(glob, error_r) < 0)
		return -1;
	for (i = 0; glob[i] != '\0' && i < BAN_GLOB_MAX; i++)
		out[i] = (char)tolower((unsigned char)glob[i]);
	out[i] = '\0';
	return 0;
}

struct ban_match {
	const char	*addr[2];
	char		*glob_r;
	int		 hit;
};

static int
match_one(const char *glob, int64_t created, void *arg)
{
	struct ban_match *bm = arg;
	size_t i;

	(void)created;
	for (i = 0; i < 2; i++)
		if (bm->addr[i] != NULL && *bm->addr[i] != '\0' &&
		    rules_glob_match(glob, bm->addr[i])) {
			if (bm->glob_r != NULL)
				snprintf(bm->glob_r, BAN_GLOB_MAX + 1, "%s",
				    glob);
			bm->hit = 1;
		}
	return bm->hit;
}

int
ban_find(struct store *st, int64_t list_id, const char *a, const char *b,
    char glob_r[BAN_GLOB_MAX + 1])
{
	struct ban_match bm = { { a, b }, glob_r, 0 };

	if (store_ban_each(st, list_id, match_one, &bm) < 0)
		return -1;
	if (!bm.hit && list_id != BAN_SITE &&
	    store_ban_each(st, BAN_SITE, match_one, &bm) < 0)
		return -1;
	return bm.hit;
}

struct ban_log {
	const char	*what;
	const char	*glob;
};

/* One ban_changed entry in a list's log. */
static int
log_one(struct store *st, int64_t list_id, const struct ban_log *bl)
{
	struct modlog_entry e;

	memset(&e, 0, sizeof(e));
	e.action = MODLOG_BAN_CHANGED;
	e.msgid = "";
	e.subject = "";
	e.rule = bl->glob;
	e.reason = bl->what;
	e.moderator = "";
	return modlog_append(st, list_id, &e);
}

struct site_log {
	struct store		*st;
	const struct ban_log	*bl;
	int			 rc;
};

static int
site_one(const struct store_list *l, void *arg)
{
	struct site_log *sl = arg;

	if (log_one(sl->st, l->id, sl->bl) < 0)
		sl->rc = -1;
	return sl->rc;
}

/* Log the change in the list's log, or, for the site, in every list's. */
static int
ban_logged(struct store *st, int64_t list_id, const char *what,
    const char *glob)
{
	struct ban_log bl = { what, glob };
	struct site_log sl = { st, &bl, 0 };

	if (list_id != BAN_SITE)
		return log_one(st, list_id, &bl);
	if (store_list_each(st, site_one, &sl) < 0)
		return -1;
	return sl.rc;
}

int
ban_add(struct store *st, int64_t list_id, const char *glob)
{
	int rc;

	if ((rc = store_ban_add(st, list_id, glob, time(NULL))) != 0)
		return rc;
	return ban_logged(st, list_id, list_id == BAN_SITE ?
	    "site ban added" : "ban added", glob);
}

int
ban_rm(struct store *st, int64_t list_id, const char *glob)
{
	int rc;

	if ((rc = store_ban_rm(st, list_id, glob)) != 1)
		return rc < 0 ? -1 : 1;
	return ban_logged(st, list_id, list_id == BAN_SITE ?
	    "site ban removed" : "ban removed", glob);
}

int
ban_each(struct store *st, int64_t list_id,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	return store_ban_each(st, list_id, fn, arg);
}
