/*
 * store_cluster.c — the cluster's named locks (store_cluster.h) on the
 * handle's session (db_lock_session): held across the transactions of
 * one task and released after it, so that a task of several
 * transactions (a digest per list, a deadline per post) runs on one node
 * at a time and each node that runs it next sees what the last one
 * committed.  Failures are logged by the store's fault hook.
 */
#include <stdio.h>

#include "store_cluster.h"
#include "store_int.h"

/* The names of the cluster's locks, apart from the tables'. */
static void
lock_name(char *out, size_t len, const char *name)
{
	snprintf(out, len, "postino cluster %s", name);
}

int
store_cluster_lock(struct store *st, const char *name)
{
	char key[128];

	lock_name(key, sizeof(key), name);
	return db_lock_session(st->db, key);
}

void
store_cluster_unlock(struct store *st, const char *name)
{
	char key[128];

	lock_name(key, sizeof(key), name);
	db_unlock_session(st->db, key);
}
