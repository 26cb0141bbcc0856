/*
 * fault.h — waiting out a store fault: a disk that filled up, an I/O
 * error, a lock held too long, or a damaged database.
 *
 * The processor and the delivery threads retry the work in hand with a
 * growing, capped back-off instead of counting the failure against the
 * message; an episode is logged when it starts and when it ends, never
 * at every attempt.
 */
#ifndef POSTINO_FAULT_H
#define POSTINO_FAULT_H

#include "store.h"

#define FAULT_MIN_S	1	/* first wait after a temporary failure */
#define FAULT_MAX_S	16	/* the longest wait while the disk is full */
#define FAULT_DAMAGED_S	60	/* a damaged database: retried this often */

struct fault_wait {
	const char	*who;		/* "processor", "queue 2": borrowed */
	int		 delay;		/* 0 outside an episode */
	int		 attempts;	/* failed attempts in this episode */
};

/* After a failed attempt on st: the seconds to wait before the next one.
 * The first failure of an episode is logged. */
int	 fault_wait_next(struct fault_wait *, struct store *);
/* After a successful attempt: ends an episode, if one was running. */
void	 fault_wait_done(struct fault_wait *);
/* 1 when the last failure on st is to be waited out, not counted against
 * the work: a temporary error or a damaged database. */
int	 fault_is_passing(const struct store *);

#endif
