/*
 * scheduler.h — the daemon's periodic tasks: one table of {name, period,
 * flags, run}, and the scheduler that runs what is due.
 *
 * The processor thread calls scheduler_run() between two rounds, on its
 * own store handle (scheduler.c says why there).  A struct scheduler
 * belongs to the one thread that runs it.
 */
#ifndef POSTINO_SCHEDULER_H
#define POSTINO_SCHEDULER_H

#include <stddef.h>
#include <time.h>

struct config;
struct store;

#define SCHEDULER_MAIL	0x01	/* what the task did may have queued mail */
#define SCHEDULER_NODE	0x02	/* each node runs it for itself: no cluster
				 * lock (scheduler.c) */

struct scheduler_task {
	const char	*name;		/* "holds", in the log */
	int		 period;	/* seconds from one run to the next */
	int		 flags;		/* SCHEDULER_* */
	/* How much it did (0: nothing was due), or -1: logged by the
	 * scheduler, tried again a period later. */
	int		(*run)(struct store *, const struct config *,
			    time_t now);
	const char	*done;		/* what the count counts, in the log */
};

/* postino's own tasks, in the order one scheduler_run() tries them. */
extern const struct scheduler_task	scheduler_tasks[];
extern const size_t			scheduler_ntasks;

/* A scheduler over tasks[0..n-1] (borrowed: they outlive it), with no
 * task run yet, so that each is due at the first scheduler_run(). */
struct scheduler	*scheduler_new(const struct scheduler_task *tasks,
			    size_t n);
void			 scheduler_free(struct scheduler **);

/*
 * 1 when task i is due at now: never run, a period or more since its
 * last run, or the clock went back before its last run.  Pure.
 */
int	 scheduler_due(const struct scheduler *, size_t i, time_t now);

/*
 * Run each due task once, in table order; a failing task is logged and
 * stops none of the others.  1 when a SCHEDULER_MAIL task did something
 * (the caller wakes the delivery), else 0.
 */
int	 scheduler_run(struct scheduler *, struct store *,
	    const struct config *, time_t now);

#endif
