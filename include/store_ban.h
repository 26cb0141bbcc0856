/*
 * store_ban.h — the store's part of bans (table bans, migration at the
 * end of store_schema.c), under ban.c.
 *
 * A ban is an address glob of one list, or of the site (list_id
 * BAN_SITE): globs are stored as ban.c made them (lower case), unique
 * per list.  Nothing here validates a glob.  Errors: -1 after logging
 * the SQLite error (store_fail()).
 */
#ifndef POSTINO_STORE_BAN_H
#define POSTINO_STORE_BAN_H

#include <stdint.h>

struct store;

#define BAN_SITE	0	/* the list_id of the site's bans */

/* 0 added, 1 there already, -1 error. */
int	 store_ban_add(struct store *, int64_t list_id, const char *glob,
	    int64_t created);
/* 1 removed, 0 no such ban, -1 error. */
int	 store_ban_rm(struct store *, int64_t list_id, const char *glob);
/* Each ban of list_id (BAN_SITE: the site's) by glob; the strings are
 * borrowed for the call; stops when fn returns non-zero.  0 or -1. */
int	 store_ban_each(struct store *, int64_t list_id,
	    int (*fn)(const char *glob, int64_t created, void *), void *arg);

#endif
