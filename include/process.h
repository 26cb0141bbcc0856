/*
 * process.h — the step after the acknowledgement: each inbox row is
 * routed (post or command), a post goes through the list's policy (loop,
 * automatic mail, membership, moderation) and, when accepted, becomes a
 * decorated fan-out job.  Runs in its own thread with its own store handle.
 */
#ifndef POSTINO_PROCESS_H
#define POSTINO_PROCESS_H

#include "config.h"

/* A row that crashed the processor this many times is quarantined. */
#define PROCESS_MAX_ATTEMPTS	3
/* More Received: fields than this means a mail loop (Postfix uses 50). */
#define PROCESS_MAX_RECEIVED	50

struct process;

/*
 * Start the processor thread.  kick(kick_arg) is called after a job was
 * created, so the delivery engine starts at once.  0, or -1 with a
 * malloc'd *error_r.
 */
int	 process_start(const struct config *, void (*kick)(void *),
	    void *kick_arg, struct process **p_r, char **error_r);
/* Wake the processor: new inbox rows were committed. */
void	 process_kick(struct process *);
/* Finish the row in hand, stop the thread, free. */
void	 process_stop(struct process **);

#endif
