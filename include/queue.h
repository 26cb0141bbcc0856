/*
 * queue.h — the delivery engine: relay_connections threads, each with
 * its own relay connection and store handle, claiming batches from the
 * store (store_batch_claim), sending them (relay_send), and recording the
 * outcome (store_batch_finish).
 */
#ifndef POSTINO_QUEUE_H
#define POSTINO_QUEUE_H

#include "config.h"

struct queue;

/* 0, or -1 with a malloc'd *error_r (bad relay, cannot open store). */
int	 queue_start(const struct config *, struct queue **q_r,
	    char **error_r);
/* New work may be due now. */
void	 queue_kick(struct queue *);
/* Apply reloaded relay settings; workers reconnect. */
void	 queue_configure(struct queue *, const struct config *);
/* Let each worker finish its batch, then stop and free. */
void	 queue_stop(struct queue **);

#endif
