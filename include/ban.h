/*
 * ban.h — addresses that may neither post nor subscribe: a list's bans
 * and the site's, as address globs (rules_glob_check: LOCAL@DOMAIN with
 * * and ?, matched ASCII case-insensitively, like every address key).
 *
 * A banned sender's post is discarded before any rule (process.c) and
 * logged as discarded; a banned address's subscription is refused with a
 * generic text (subscription.c).  Each change of a list's bans is a
 * ban_changed entry of that list's moderation log; a change of the
 * site's bans is one in the log of every list, since it decides posts of
 * every list.
 */
#ifndef POSTINO_BAN_H
#define POSTINO_BAN_H

#include <stdint.h>

#include "store_ban.h"	/* BAN_SITE */

struct store;

#define BAN_GLOB_MAX	256
#define MODLOG_BAN_CHANGED	"ban_changed"	/* the moderation log's word */

/* The stored form of glob (lower case) into out; 0, or -1 with a
 * static *error_r. */
int	 ban_glob(const char *glob, char out[BAN_GLOB_MAX + 1],
	    const char **error_r);
/* Is any of the addresses (NULL or "" skipped) banned on list_id or on
 * the site?  1 with the matching glob in glob_r (may be NULL), 0 no, -1
 * store error. */
int	 ban_find(struct store *, int64_t list_id, const char *a,
	    const char *b, char glob_r[BAN_GLOB_MAX + 1]);
/* Add or remove a stored-form glob of list_id (BAN_SITE: the site) and
 * log it, in the caller's transaction.  0 done, 1 nothing to do (there
 * already / no such ban), -1 error. */
int	 ban_add(struct store *, int64_t list_id, const char *glob);
int	 ban_rm(struct store *, int64_t list_id, const char *glob);
/* Each ban of list_id (BAN_SITE: the site), by glob; 0 or -1. */
int	 ban_each(struct store *, int64_t list_id,
	    int (*fn)(const char *glob, int64_t created, void *), void *arg);

#endif
