/*
 * server_commit.c — the committer thread: group commit that overlaps
 * with reading the next messages.
 *
 * The event loop never waits for the disk.  When messages are complete
 * it hands them, as one group, to this thread, which calls the commit
 * hook (one transaction, one fsync) while the loop goes on reading the
 * other sessions.  Messages completed during that fsync wait in their
 * sessions (PROTO_S_COMMIT) and form the next group, handed over as soon
 * as the outcome of this one is back: the longer the disk takes, the
 * bigger the next group, as in PostgreSQL's or InnoDB's group commit.
 * One group is out at a time, so commits stay in arrival order.
 *
 * Each session of a group is answered (250, or 4xx for the whole group)
 * by the loop after the outcome is back: nothing is acknowledged before
 * the commit that holds it returned.  While its message is out, the loop
 * does not read, time out or free the session (conn->committing).
 *
 * Shared state is under srv->mu; the thread wakes the loop through the
 * server's self-pipe.  Fails: a thread that cannot be created is fatal
 * at start, as the server could take no mail.
 */
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "proto.h"
#include "server_int.h"

static void *
committer_run(void *arg)
{
	struct server *srv = arg;
	enum ingest_outcome o;
	sigset_t all;

	(void)pthread_setname_np(pthread_self(), "commit");
	sigfillset(&all);	/* signals are the main thread's */
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&srv->mu);
	for (;;) {
		while (!srv->cquit && !(srv->busy && !srv->done))
			pthread_cond_wait(&srv->cv, &srv->mu);
		if (srv->cquit)
			break;
		pthread_mutex_unlock(&srv->mu);
		o = srv->hooks.commit(srv->arg,
		    (struct ingest *const *)srv->items, srv->ngroup);
		pthread_mutex_lock(&srv->mu);
		srv->outcome = o;
		srv->done = 1;
		pthread_cond_broadcast(&srv->cv);	/* server_commit_stop */
		server_wake(srv);
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

void
server_commit_start(struct server *srv)
{
	if (pthread_mutex_init(&srv->mu, NULL) != 0 ||
	    pthread_cond_init(&srv->cv, NULL) != 0 ||
	    pthread_create(&srv->cth, NULL, committer_run, srv) != 0)
		fatalx("server: cannot start the committer thread");
	srv->cstarted = 1;
}

void
server_commit_stop(struct server *srv)
{
	if (!srv->cstarted)
		return;
	pthread_mutex_lock(&srv->mu);
	while (srv->busy && !srv->done)
		pthread_cond_wait(&srv->cv, &srv->mu);
	srv->cquit = 1;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	pthread_join(srv->cth, NULL);
	pthread_cond_destroy(&srv->cv);
	pthread_mutex_destroy(&srv->mu);
	free(srv->group);
	free(srv->items);
	srv->cstarted = 0;
	if (srv->ncommits > 0)
		log_info("server: %llu message%s stored in %llu commit%s,"
		    " %.1f per commit", srv->nmessages,
		    srv->nmessages == 1 ? "" : "s", srv->ncommits,
		    srv->ncommits == 1 ? "" : "s",
		    (double)srv->nmessages / (double)srv->ncommits);
}

int
server_commit_dispatch(struct server *srv)
{
	struct conn *c;
	size_t i, n = 0;

	if (srv->busy)		/* only this thread writes it */
		return 0;
	for (i = 0; i < srv->nconns; i++) {
		c = srv->conns[i];
		if (c->status != PROTO_WANT_COMMIT || c->committing)
			continue;
		if (n == srv->capgroup) {
			srv->capgroup = srv->capgroup ? srv->capgroup * 2 : 16;
			srv->group = xrealloc(srv->group,
			    srv->capgroup * sizeof(*srv->group));
			srv->items = xrealloc(srv->items,
			    srv->capgroup * sizeof(*srv->items));
		}
		c->committing = 1;
		srv->group[n] = c;
		srv->items[n++] = proto_commit_item(c->ps);
	}
	if (n == 0)
		return 0;
	pthread_mutex_lock(&srv->mu);
	srv->ngroup = n;
	srv->busy = 1;
	srv->done = 0;
	pthread_cond_signal(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	return 1;
}

size_t
server_commit_reap(struct server *srv)
{
	enum ingest_outcome o;
	size_t i, n;

	pthread_mutex_lock(&srv->mu);
	if (!srv->busy || !srv->done) {
		pthread_mutex_unlock(&srv->mu);
		return 0;
	}
	o = srv->outcome;
	n = srv->ngroup;
	srv->busy = srv->done = 0;
	pthread_mutex_unlock(&srv->mu);
	log_debug("group commit: %zu message%s%s", n, n == 1 ? "" : "s",
	    o == INGEST_OK ? "" : ", failed");
	srv->ncommits++;
	if (o == INGEST_OK)
		srv->nmessages += n;
	for (i = 0; i < n; i++) {
		srv->group[i]->committing = 0;
		proto_commit_done(srv->group[i]->ps, o);
	}
	return n;
}
