/*
 * store_cluster.h — work done once for the cluster when several postino
 * nodes share one database (PostgreSQL): a named lock that one node's
 * store handle holds across the transactions of a task, while the other
 * nodes skip the task.  On SQLite (one node) the lock is always free.
 * Errors: -1 after logging the database's error.
 */
#ifndef POSTINO_STORE_CLUSTER_H
#define POSTINO_STORE_CLUSTER_H

struct store;

/* 1 taken (release it with store_cluster_unlock), 0 another node holds
 * it, -1 error.  Outside a transaction. */
int	 store_cluster_lock(struct store *, const char *name);
void	 store_cluster_unlock(struct store *, const char *name);

#endif
