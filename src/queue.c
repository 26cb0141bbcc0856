/*
 * queue.c — the delivery engine.
 *
 * relay_connections worker threads.  Each owns a store handle (relaxed
 * sync: progress lost to a power cut only means a resend) and a relay
 * connection, and loops: connect (backing off while the relay is down,
 * without claiming anything), claim a batch, send it, record the outcome.
 * A batch is relay_pipeline transactions of relay_batch recipients each,
 * or relay_batch x relay_pipeline transactions of one recipient each for
 * per-recipient jobs, sent pipelined (RFC 2920: the end of one
 * transaction and all the commands of the next share a round trip, as
 * DATA waits for its 354): one claim and one write of the outcome per
 * relay_pipeline transactions, so the connection waits on the store once
 * per batch, not per transaction.  A crash resends at most the batches in
 * flight.  A relay that cannot be reached costs no retry rows: work stays
 * unclaimed until it is back.
 * A store that cannot be written (full disk: fault.h) is waited out with
 * a back-off; a batch the relay took keeps its outcome in hand until the
 * store records it, so that nobody gets it twice.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fault.h"
#include "log.h"
#include "personal.h"
#include "queue.h"
#include "relay.h"
#include "store.h"

#define BREAKER_MIN	1	/* first wait after a failed connect, s */
#define BREAKER_MAX	60
#define QUEUE_POLL_MS	100	/* idle: look for commits of other processes */
#define PERSONAL_BYTES	(1024 * 1024)	/* personalized copies in memory at
					 * once, per connection */

struct worker {
	struct queue		*q;
	int			 n;
	pthread_t		 thread;
	struct store		*st;
	struct relay_conn	*conn;
	unsigned		 generation;	/* of the settings it uses */
	struct store_job	 job;		/* cached body of the last job */
	time_t			 breaker;	/* current connect back-off */
	struct fault_wait	 fault;		/* waiting out a full disk */
	char			 name[32];	/* "queue N", for the log */
	struct buf		*pbodies;	/* personalized copies of a batch */
	struct buf		*pfrom;		/* their VERP senders */
	struct copy		*copies;	/* what relay_send fills them by */
	size_t			 npersonal;
	struct personal_plan	 plan;		/* where their links go */
};

/* A personalized copy still to be rendered (relay_txn's fill). */
struct copy {
	struct worker		*w;
	size_t			 i;
};

struct queue {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* stop, settings */
	pthread_cond_t		 idle;		/* a kick: wakes one */
	int			 stop;
	unsigned		 kicks;
	/* Settings, under lock; generation counts reloads. */
	unsigned		 generation;
	struct relay_target	 target;
	char			*hostname;
	int			 batch, pipeline, timeout;
	char			*delim;		/* recipient delimiter */
	int			 retry_min, retry_max, retry_lifetime;
	char			*database;
	int			 nworkers;
	struct worker		*workers;
};

/* Sleep until kicked, stopped, or `ms` milliseconds passed. */
static void
queue_wait_ms(struct queue *q, unsigned seen, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->stop && q->kicks == seen)
		if (pthread_cond_timedwait(&q->idle, &q->lock, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&q->lock);
}

/*
 * Idle: wait for a kick (the daemon queued work), for `seconds` (a retry
 * falls due), or for a commit by another process (a shell command such
 * as `mod approve` or `digest send` queued work), looked for every
 * QUEUE_POLL_MS.
 */
static void
queue_idle(struct worker *w, unsigned seen, time_t seconds)
{
	struct queue *q = w->q;
	int64_t version = store_data_version(w->st);
	unsigned k;
	int stop;

	for (long ms = seconds * 1000L; ms > 0; ms -= QUEUE_POLL_MS) {
		queue_wait_ms(q, seen, ms < QUEUE_POLL_MS ? ms : QUEUE_POLL_MS);
		pthread_mutex_lock(&q->lock);
		stop = q->stop;
		k = q->kicks;
		pthread_mutex_unlock(&q->lock);
		if (stop || k != seen ||
		    store_data_version(w->st) != version)
			return;
	}
}

/* Sleep `seconds`, waking only to stop (a kick cannot fix a dead relay). */
static void
queue_sleep(struct queue *q, time_t seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&q->lock);
	while (!q->stop)
		if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&q->lock);
}

static int
queue_stopping(struct queue *q)
{
	int stop;

	pthread_mutex_lock(&q->lock);
	stop = q->stop;
	pthread_mutex_unlock(&q->lock);
	return stop;
}

static unsigned
queue_kicks(struct queue *q)
{
	unsigned k;

	pthread_mutex_lock(&q->lock);
	k = q->kicks;
	pthread_mutex_unlock(&q->lock);
	return k;
}

/* Make sure the worker has a live connection; 0 or -1 (backed off). */
static int
worker_connect(struct worker *w)
{
	struct queue *q = w->q;
	struct relay_target t;
	char err[512], *host;
	int timeout, rc;

	pthread_mutex_lock(&q->lock);
	if (w->conn != NULL && w->generation != q->generation)
		relay_close(&w->conn);
	w->generation = q->generation;
	t = q->target;
	t.host = t.host ? xstrdup(t.host) : NULL;
	t.port = t.port ? xstrdup(t.port) : NULL;
	t.path = t.path ? xstrdup(t.path) : NULL;
	host = xstrdup(q->hostname);
	timeout = q->timeout;
	pthread_mutex_unlock(&q->lock);

	rc = 0;
	if (w->conn == NULL) {
		rc = relay_connect(&t, host, timeout, &w->conn, err,
		    sizeof(err));
		if (rc < 0) {
			w->breaker = w->breaker ? w->breaker * 2 : BREAKER_MIN;
			if (w->breaker > BREAKER_MAX)
				w->breaker = BREAKER_MAX;
			log_warnx("queue %d: relay: %s; next try in %llds",
			    w->n, err, (long long)w->breaker);
		} else
			w->breaker = 0;
	}
	relay_target_clear(&t);
	free(host);
	return rc;
}

/*
 * The job's body, from the cache or the store.  0 loaded; 1 the job is
 * gone (its recipients fail for good); -1 the store could not answer
 * now (busy, full: the recipients are deferred and sent again, never
 * failed for it).
 */
static int
worker_job(struct worker *w, int64_t job_id)
{
	int rc;

	if (w->job.id == job_id)
		return 0;
	store_job_clear(&w->job);
	if ((rc = store_job_get(w->st, job_id, &w->job)) == 1)
		return 0;
	if (rc == 0)
		log_warnx("queue %d: job %lld vanished", w->n,
		    (long long)job_id);
	else
		log_warnx("queue %d: job %lld: cannot read it now; its batch"
		    " is deferred", w->n, (long long)job_id);
	store_job_clear(&w->job);
	return rc == 0 ? 1 : -1;
}

static void
log_batch(const struct worker *w, const struct store_batch *b)
{
	size_t i, ok = 0, temp = 0, perm = 0;

	for (i = 0; i < b->nrcpts; i++) {
		if (b->rcpts[i].outcome == OUT_OK)
			ok++;
		else if (b->rcpts[i].outcome == OUT_TEMP)
			temp++;
		else {
			perm++;
			log_info("job %lld: <%s> bounced: %d %s",
			    (long long)b->job_id, b->rcpts[i].addr,
			    b->rcpts[i].code, b->rcpts[i].text);
		}
	}
	if (temp > 0)
		log_info("job %lld: %zu deferred: %s", (long long)b->job_id,
		    temp, b->rcpts[0].text);
	log_debug("queue %d: job %lld: batch (%lld,%lld]: %zu sent, %zu"
	    " deferred, %zu bounced", w->n, (long long)b->job_id,
	    (long long)b->lo, (long long)b->hi, ok, temp, perm);
}

/* Render copy c->i of the batch (relay_txn's fill). */
static void
personal_fill(struct relay_txn *t, void *arg)
{
	struct copy *c = arg;
	struct worker *w = c->w;

	personal_plan_render(&w->plan, t->rcpts[0].member_id, w->job.post_id,
	    w->job.thread, &w->pbodies[c->i]);
	t->body = w->pbodies[c->i].data;
	t->len = w->pbodies[c->i].len;
}

/*
 * A personalized job: each recipient gets his own copy (links filled in,
 * personal.h) and a VERP envelope sender, in a transaction of his own;
 * the transactions still go out pipelined.  The first copy is rendered
 * here; the others by relay_send while the relay takes in the copy
 * before (personal_fill), so that rendering is off the connection's
 * critical path.  Copies differ only in base32 characters: the first
 * gives the length and the 8-bit-ness of all.
 */
static void
personal_prepare(struct worker *w, struct store_batch *b,
    struct relay_txn *txns)
{
	const char *delim = w->q->delim;
	size_t i;

	w->pbodies = xcalloc(b->nrcpts, sizeof(*w->pbodies));
	w->pfrom = xcalloc(b->nrcpts, sizeof(*w->pfrom));
	w->copies = xcalloc(b->nrcpts, sizeof(*w->copies));
	w->npersonal = b->nrcpts;
	personal_plan(w->job.body, w->job.len, w->job.list_addr, delim,
	    &w->plan);
	for (i = 0; i < b->nrcpts; i++) {
		personal_verp(w->job.list_addr, delim, b->rcpts[i].member_id,
		    &w->pfrom[i]);
		memset(&txns[i], 0, sizeof(txns[i]));
		txns[i].from = w->pfrom[i].data;
		txns[i].rcpts = &b->rcpts[i];
		txns[i].nrcpts = 1;
		w->copies[i].w = w;
		w->copies[i].i = i;
		txns[i].fill = personal_fill;
		txns[i].fill_arg = &w->copies[i];
	}
	personal_fill(&txns[0], &w->copies[0]);
	txns[0].body8 = relay_body_8bit(txns[0].body, txns[0].len) ? 1 : -1;
	for (i = 1; i < b->nrcpts; i++) {
		txns[i].len = txns[0].len;
		txns[i].body8 = txns[0].body8;
	}
}

static void
personal_clear(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->npersonal; i++) {
		buf_free(&w->pbodies[i]);
		buf_free(&w->pfrom[i]);
	}
	free(w->pbodies);
	free(w->pfrom);
	free(w->copies);
	w->pbodies = w->pfrom = NULL;
	w->copies = NULL;
	w->npersonal = 0;
	personal_plan_free(&w->plan);
}

/*
 * The send broke.  Relays close connections that sat idle (Postfix and
 * Exim after 300 s, often less): when that is why, nothing was accepted,
 * so send the same transactions once more on a new connection now rather
 * than deferring every recipient for retry_min (as Postfix's SMTP client
 * does with a cached connection that went stale).
 */
static void
worker_resend(struct worker *w, struct relay_txn *txns, size_t n)
{
	int stale = relay_send_unanswered(w->conn);

	relay_close(&w->conn);
	if (!stale || worker_connect(w) < 0)
		return;
	log_info("queue %d: the relay had closed the idle connection;"
	    " sending on a new one", w->n);
	if (relay_send(w->conn, txns, n) < 0)
		relay_close(&w->conn);
}

/* Send n transactions at once; on a broken send, once more if stale. */
static void
worker_send_txns(struct worker *w, struct relay_txn *txns, size_t n)
{
	if (relay_send(w->conn, txns, n) < 0)
		worker_resend(w, txns, n);
}

/*
 * Per-recipient copies, relay_batch of them rendered at a time, or fewer
 * when they would take more than PERSONAL_BYTES (a digest of 87 KB: 12):
 * one transaction each, pipelined.  Recipients after a broken connection
 * are deferred, never sent on a dead one.
 */
static void
worker_send_personal(struct worker *w, struct store_batch *b, size_t per)
{
	struct store_batch part;
	struct relay_txn *txns;
	size_t off, i;

	if (per > PERSONAL_BYTES / (w->job.len + 1))
		per = PERSONAL_BYTES / (w->job.len + 1);
	if (per == 0)
		per = 1;
	txns = xcalloc(per, sizeof(*txns));
	for (off = 0; off < b->nrcpts; off += part.nrcpts) {
		part = *b;
		part.rcpts = b->rcpts + off;
		part.nrcpts = b->nrcpts - off < per ? b->nrcpts - off : per;
		if (w->conn == NULL) {
			for (i = 0; i < part.nrcpts; i++)
				relay_rcpt_set(&part.rcpts[i], OUT_TEMP, 451,
				    "relay connection lost");
			continue;
		}
		personal_prepare(w, &part, txns);
		worker_send_txns(w, txns, part.nrcpts);
		personal_clear(w);
	}
	free(txns);
}

/* Send a claimed batch; the outcome of each recipient is set. */
static void
worker_send(struct worker *w, struct store_batch *b, size_t per)
{
	struct relay_txn *txns;
	size_t i, n;
	int rc;

	if ((rc = worker_job(w, b->job_id)) != 0) {
		for (i = 0; i < b->nrcpts; i++)
			relay_rcpt_set(&b->rcpts[i], rc > 0 ? OUT_PERM :
			    OUT_TEMP, rc > 0 ? 554 : 451, rc > 0 ?
			    "job vanished" : "store busy, try again");
		return;
	}
	if (w->job.per_rcpt) {
		worker_send_personal(w, b, per);
		return;
	}
	/* Shared: transactions of per recipients each, one copy of the
	 * body; verp = no, so the relay's DSN names the member (RFC 3461). */
	n = (b->nrcpts + per - 1) / per;
	txns = xcalloc(n, sizeof(*txns));
	for (i = 0; i < n; i++) {
		txns[i].from = w->job.env_from;
		txns[i].rcpts = b->rcpts + i * per;
		txns[i].nrcpts = i + 1 < n ? per : b->nrcpts - i * per;
		txns[i].body = w->job.body;
		txns[i].len = w->job.len;
		txns[i].orcpt = w->job.kind[0] == 'f';
	}
	worker_send_txns(w, txns, n);
	free(txns);
}

/*
 * Record the outcome of a sent batch.  Until it is recorded the batch
 * counts as in flight and would be sent again, so a passing store fault
 * is waited out with the outcome in hand; any other failure gives the
 * batch back to be sent again at once rather than after a restart.
 */
static void
worker_finish(struct worker *w, struct store_batch *b, int rmin, int rmax,
    int life)
{
	while (store_batch_finish(w->st, b, time(NULL), rmin, rmax,
	    life) < 0) {
		if (!fault_is_passing(w->st)) {
			log_warnx("queue %d: job %lld: cannot record the outcome"
			    " of a batch; it will be sent again", w->n,
			    (long long)b->job_id);
			(void)store_batch_release(w->st, b);
			return;
		}
		if (queue_stopping(w->q)) {
			log_warnx("queue %d: job %lld: stopped before the outcome"
			    " of a batch was recorded; it is sent again at the"
			    " next start", w->n, (long long)b->job_id);
			return;
		}
		queue_sleep(w->q, fault_wait_next(&w->fault, w->st));
	}
	fault_wait_done(&w->fault);
}

/* One round: 1 did work, 0 idle (*wait_r seconds), -1 error. */
static int
worker_round(struct worker *w, time_t *wait_r)
{
	struct queue *q = w->q;
	struct store_batch b;
	time_t now = time(NULL), due;
	int rc, batch, pipeline, rmin, rmax, life;

	pthread_mutex_lock(&q->lock);
	batch = q->batch;
	pipeline = q->pipeline;
	rmin = q->retry_min;
	rmax = q->retry_max;
	life = q->retry_lifetime;
	pthread_mutex_unlock(&q->lock);

	rc = store_batch_claim(w->st, (size_t)batch * (size_t)pipeline, now,
	    &b, &due);
	if (rc < 0 && fault_is_passing(w->st)) {
		*wait_r = fault_wait_next(&w->fault, w->st);
		return -1;
	}
	fault_wait_done(&w->fault);
	if (rc <= 0) {
		*wait_r = rc < 0 ? 1 : (due > now ? due - now : 5);
		if (*wait_r > 5)
			*wait_r = 5;
		return rc;
	}
	queue_kick(q);		/* there may be more: the next worker */
	worker_send(w, &b, (size_t)batch);
	log_batch(w, &b);
	worker_finish(w, &b, rmin, rmax, life);
	store_batch_clear(&b);
	return 1;
}

static void *
worker_thread(void *arg)
{
	struct worker *w = arg;
	struct queue *q = w->q;
	char name[16];
	unsigned seen;
	time_t wait;

	snprintf(name, sizeof(name), "queue-%d", w->n);
	(void)pthread_setname_np(pthread_self(), name);
	while (!queue_stopping(q)) {
		seen = queue_kicks(q);
		if (worker_connect(w) < 0) {
			queue_sleep(q, w->breaker);
			continue;
		}
		if (worker_round(w, &wait) <= 0)
			queue_idle(w, seen, wait);
	}
	relay_close(&w->conn);
	store_job_clear(&w->job);
	return NULL;
}

static void
queue_settings(struct queue *q, const struct config *cfg,
    struct relay_target *t)
{
	relay_target_clear(&q->target);
	q->target = *t;
	free(q->hostname);
	q->hostname = xstrdup(cfg->hostname);
	if (q->delim == NULL)	/* fixed: addresses already sent use it */
		q->delim = xstrdup(cfg->recipient_delimiter);
	q->batch = cfg->relay_batch;
	q->pipeline = cfg->relay_pipeline;
	q->timeout = cfg->relay_timeout;
	q->retry_min = cfg->retry_min;
	q->retry_max = cfg->retry_max;
	q->retry_lifetime = cfg->retry_lifetime;
	q->generation++;
}

int
queue_start(const struct config *cfg, struct queue **q_r, char **error_r)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	struct buf err = BUF_INIT;
	struct relay_target t;
	const char *error;
	int i;

	if (relay_target_parse(cfg->relay, &t, &error) < 0) {
		buf_printf(&err, "relay '%s': %s", cfg->relay, error);
		free(q);
		*error_r = buf_steal(&err, NULL);
		return -1;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->idle, NULL);
	queue_settings(q, cfg, &t);
	q->database = xstrdup(cfg->database);
	q->nworkers = cfg->relay_connections;
	q->workers = xcalloc((size_t)q->nworkers, sizeof(*q->workers));
	for (i = 0; i < q->nworkers; i++) {
		q->workers[i].q = q;
		q->workers[i].n = i;
		snprintf(q->workers[i].name, sizeof(q->workers[i].name),
		    "queue %d", i);
		q->workers[i].fault.who = q->workers[i].name;
		if (store_open(q->database, STORE_RELAXED, &q->workers[i].st,
		    &error) < 0) {
			buf_printf(&err, "%s: %s", q->database, error);
			goto fail;
		}
	}
	for (i = 0; i < q->nworkers; i++)
		if ((errno = pthread_create(&q->workers[i].thread, NULL,
		    worker_thread, &q->workers[i])) != 0)
			fatal("cannot start delivery thread");
	*q_r = q;
	return 0;
fail:
	for (i = 0; i < q->nworkers; i++)
		store_close(&q->workers[i].st);
	free(q->workers);
	relay_target_clear(&q->target);
	free(q->hostname);
	free(q->delim);
	free(q->database);
	free(q);
	*error_r = buf_steal(&err, NULL);
	return -1;
}

/*
 * New work: wake one idle worker, not all of them.  A worker that finds
 * a batch wakes the next (worker_round), so a fan-out still spreads over
 * every connection at once, while the kick of each processed post does
 * not send every worker to claim nothing with the write lock.
 */
void
queue_kick(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicks++;
	pthread_cond_signal(&q->idle);
	pthread_mutex_unlock(&q->lock);
}

void
queue_configure(struct queue *q, const struct config *cfg)
{
	struct relay_target t;
	const char *error;

	if (relay_target_parse(cfg->relay, &t, &error) < 0) {
		log_warnx("reload: relay '%s': %s; keeping the old one",
		    cfg->relay, error);
		return;
	}
	pthread_mutex_lock(&q->lock);
	queue_settings(q, cfg, &t);
	q->kicks++;
	pthread_cond_broadcast(&q->cond);
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
	if (cfg->relay_connections != q->nworkers)
		log_warnx("reload: relay_connections changes at the next"
		    " restart");
}

void
queue_stop(struct queue **qp)
{
	struct queue *q = *qp;
	int i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->nworkers; i++) {
		pthread_join(q->workers[i].thread, NULL);
		store_close(&q->workers[i].st);
	}
	free(q->workers);
	relay_target_clear(&q->target);
	free(q->hostname);
	free(q->delim);
	free(q->database);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	free(q);
	*qp = NULL;
}
