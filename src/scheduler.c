/*
 * scheduler.c — the daemon's periodic tasks and the scheduler that runs
 * them: reminders and deadlines of held posts, due digests and bounces
 * (bounce.h) once a second, the purge of spent tokens and old request counts once an hour
 * (and at start-up).
 *
 * The scheduler runs in the processor thread, between two rounds, on the
 * processor's store handle: a task's writes (a deadline's decision, a
 * digest, a purge) then never wait on the processor's batches for the
 * write lock, nor they on it, and while the store cannot take work (a
 * full disk, a damaged database; fault.h) the processor's back-off
 * pauses the tasks too, under its one "waiting" line.
 *
 * Several nodes on one database (PostgreSQL) each run this scheduler; a
 * task runs once for the cluster: the node runs it under the cluster
 * lock of its name (store_cluster.h), held across the task's
 * transactions, and a node that finds the lock taken skips the task
 * until its next period (another node is doing it).  Every task reads
 * what is due inside its run, so a node that runs it after another sees
 * that node's work done.
 *
 * Owns: the time of each task's last run.  A task that fails is logged
 * once, at its first failure (then at debug level until it works again,
 * which is logged too) and tried again a period later; it never stops
 * the others.  What a task did is logged at debug level.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bounce.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "moderation.h"
#include "scheduler.h"
#include "store.h"
#include "store_cluster.h"

/* Seconds between two purges of spent tokens and request counts. */
#define SCHEDULER_PURGE_S	3600
/* A used or expired token is kept a day: "already used" stays known. */
#define SCHEDULER_TOKEN_GRACE_S	86400

struct scheduler_state {
	time_t		 last;		/* start of the last run */
	int		 ran;		/* 0 before the first run */
	int		 failures;	/* failed runs in a row */
};

struct scheduler {
	const struct scheduler_task	*tasks;
	size_t				 n;
	struct scheduler_state		*state;	/* one per task */
};

/*
 * Expired and used tokens and request counts older than yesterday go;
 * the count of rows gone, or -1 when either purge failed.
 */
static int
scheduler_purge(struct store *st, const struct config *cfg, time_t now)
{
	int tokens, requests;

	(void)cfg;
	tokens = store_token_purge(st, now - SCHEDULER_TOKEN_GRACE_S);
	requests = store_request_purge(st, (int64_t)(now / 86400) - 1);
	if (tokens > 0 || requests > 0)
		log_info("maintenance: %d token(s) and %d request count(s)"
		    " purged", tokens > 0 ? tokens : 0,
		    requests > 0 ? requests : 0);
	if (tokens < 0 || requests < 0)
		return -1;
	return tokens + requests;
}

/*
 * This node's claims (store_cluster.h) renewed every third of
 * node_lease: a node that stops (killed, its host down) stops renewing,
 * and another takes its claims over once they expire.  Checked every
 * second, run at that pace; the processor thread is its only caller.
 */
static int
scheduler_leases(struct store *st, const struct config *cfg, time_t now)
{
	static time_t last;

	(void)cfg;
	if (last != 0 && now >= last &&
	    now - last < store_cluster_lease() / 3)
		return 0;
	last = now;
	return store_cluster_renew(st, now) < 0 ? -1 : 0;
}

const struct scheduler_task scheduler_tasks[] = {
	{ "purge", SCHEDULER_PURGE_S, 0, scheduler_purge,
	    "token(s) and request count(s) purged" },
	{ "holds", 1, SCHEDULER_MAIL, moderation_tick,
	    "held post(s) reminded or past their deadline" },
	{ "digests", 1, SCHEDULER_MAIL, digest_tick, "digest(s) sent" },
	{ "bounces", 1, SCHEDULER_MAIL, bounce_tick,
	    "bounce(s) scored and member(s) warned or removed" },
	{ "bounce scores", SCHEDULER_PURGE_S, 0, bounce_stale_tick,
	    "stale bounce score(s) reset" },
	{ "leases", 1, SCHEDULER_NODE, scheduler_leases,
	    "claim(s) of this node renewed" },
};
const size_t scheduler_ntasks =
    sizeof(scheduler_tasks) / sizeof(scheduler_tasks[0]);

struct scheduler *
scheduler_new(const struct scheduler_task *tasks, size_t n)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));

	s->tasks = tasks;
	s->n = n;
	s->state = xcalloc(n ? n : 1, sizeof(*s->state));
	return s;
}

void
scheduler_free(struct scheduler **sp)
{
	if (*sp == NULL)
		return;
	free((*sp)->state);
	free(*sp);
	*sp = NULL;
}

int
scheduler_due(const struct scheduler *s, size_t i, time_t now)
{
	const struct scheduler_state *ss = &s->state[i];

	return !ss->ran || now < ss->last ||
	    now - ss->last >= s->tasks[i].period;
}

/* Run task i and log how it went; what the task returned. */
static int
scheduler_one(struct scheduler *s, size_t i, struct store *st,
    const struct config *cfg, time_t now)
{
	const struct scheduler_task *t = &s->tasks[i];
	struct scheduler_state *ss = &s->state[i];
	int rc;

	ss->ran = 1;
	ss->last = now;
	if (t->flags & SCHEDULER_NODE)
		rc = t->run(st, cfg, now);
	else if ((rc = store_cluster_lock(st, t->name)) == 0) {
		log_debug("scheduler: %s runs on another node", t->name);
		return 0;
	} else if (rc == 1) {
		rc = t->run(st, cfg, now);
		store_cluster_unlock(st, t->name);
	}
	if (rc < 0) {
		if (ss->failures++ == 0)
			log_warnx("scheduler: %s failed; tried again every"
			    " %ds", t->name, t->period);
		else
			log_debug("scheduler: %s failed again (%d in a row)",
			    t->name, ss->failures);
		return rc;
	}
	if (ss->failures > 0) {
		log_info("scheduler: %s works again after %d failed run(s)",
		    t->name, ss->failures);
		ss->failures = 0;
	}
	if (rc > 0)
		log_debug("scheduler: %s: %d %s", t->name, rc, t->done);
	return rc;
}

int
scheduler_run(struct scheduler *s, struct store *st,
    const struct config *cfg, time_t now)
{
	size_t i;
	int mail = 0;

	for (i = 0; i < s->n; i++)
		if (scheduler_due(s, i, now) &&
		    scheduler_one(s, i, st, cfg, now) > 0 &&
		    (s->tasks[i].flags & SCHEDULER_MAIL))
			mail = 1;
	return mail;
}
