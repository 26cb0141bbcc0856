/*
 * store_cluster.h — work done once for the cluster when several postino
 * nodes share one database (PostgreSQL): a named lock that one node's
 * store handle holds across the transactions of a task, while the other
 * nodes skip the task.  On SQLite (one node) the lock is always free.
 * Errors: -1 after logging the database's error.
 */
#ifndef POSTINO_STORE_CLUSTER_H
#define POSTINO_STORE_CLUSTER_H

#include <time.h>

struct store;

/* 1 taken (release it with store_cluster_unlock), 0 another node holds
 * it, -1 error.  Outside a transaction. */
int	 store_cluster_lock(struct store *, const char *name);
void	 store_cluster_unlock(struct store *, const char *name);

/*
 * This process's node: its name in the claims it makes on inbox rows,
 * fan-out ranges and retries (the node and lease_until columns), and the
 * seconds a claim lives unrenewed.  Set once at start, before any thread
 * claims (default: "" and 60).
 */
void		 store_cluster_node(const char *name, int lease);
const char	*store_cluster_name(void);
int		 store_cluster_lease(void);

/* At start: this node's inbox rows (and those of no node) are free
 * again, as if their leases had expired.  0 or -1. */
int	 store_cluster_recover(struct store *);

/* Push the expiry of this node's live claims to now + lease: the count
 * of claims renewed, or -1. */
int	 store_cluster_renew(struct store *, time_t now);

#endif
