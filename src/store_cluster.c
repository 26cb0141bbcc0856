/*
 * store_cluster.c — the cluster's named locks (store_cluster.h) on the
 * handle's session (db_lock_session): held across the transactions of
 * one task and released after it, so that a task of several
 * transactions (a digest per list, a deadline per post) runs on one node
 * at a time and each node that runs it next sees what the last one
 * committed.  Also the node's identity in its claims on rows (set once
 * at start, read by store_queue.c and store_post.c) and their renewal.
 * Failures are logged by the store's fault hook.
 */
#include <stdio.h>

#include "store_cluster.h"
#include "store_int.h"

static char	node_name[256];
static int	node_lease = 60;

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

void
store_cluster_node(const char *name, int lease)
{
	snprintf(node_name, sizeof(node_name), "%s", name);
	node_lease = lease;
}

const char *
store_cluster_name(void)
{
	return node_name;
}

int
store_cluster_lease(void)
{
	return node_lease;
}

int
store_cluster_recover(struct store *st)
{
	return db_run(st->db, "UPDATE inbox SET lease_until = 0"
	    " WHERE node = ?1 OR node = ''", "t", node_name) < 0 ? -1 : 0;
}

int
store_cluster_renew(struct store *st, time_t now)
{
	static const char *const renew[] = {
		"UPDATE inbox SET lease_until = ?2 WHERE node = ?1"
		" AND lease_until > 0",
		"UPDATE inflight SET lease_until = ?2 WHERE node = ?1"
		" AND orphan = 0",
		"UPDATE retries SET lease_until = ?2 WHERE node = ?1"
		" AND leased = 1",
	};
	int64_t n, total = 0;
	size_t i;

	if (store_begin(st) < 0)
		return -1;
	for (i = 0; i < sizeof(renew) / sizeof(renew[0]); i++) {
		if ((n = db_run(st->db, renew[i], "ti", node_name,
		    (int64_t)now + node_lease)) < 0) {
			store_rollback(st);
			return -1;
		}
		total += n;
	}
	if (store_commit(st) < 0)
		return -1;
	return (int)total;
}
