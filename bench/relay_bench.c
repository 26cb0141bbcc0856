/*
 * relay_bench.c — drive the outbound client against a sink and print
 * recipients/s and messages/s.
 *
 *   relay_bench [-c CONNS] [-r RCPTS] [-b BATCH] [-s SIZE] [-p] TARGET
 *
 * Shared mode (default): each connection sends transactions of BATCH
 * recipients carrying one SIZE-byte message.  Personalized mode (-p):
 * one recipient per transaction, BATCH transactions per relay_send call
 * (so they are pipelined back to back).  TARGET is a relay spec such as
 * smtp://127.0.0.1:2526.  Each connection runs in its own thread, like
 * the delivery workers.  Fails: exits 1 when a connection cannot be made
 * or a recipient is not accepted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "relay.h"

struct bench {
	struct relay_target	 target;
	size_t			 rcpts, batch, size;
	int			 personal;
	char			*body;
};

struct worker {
	pthread_t		 th;
	const struct bench	*b;
	size_t			 rcpts;		/* this connection's share */
	size_t			 sent, failed, msgs;
};

static char *
body_new(size_t size)
{
	struct buf b = BUF_INIT;
	size_t n = 0;

	buf_puts(&b, "From: bench@example.org\r\nTo: list@example.org\r\n"
	    "Subject: relay bench\r\n\r\n");
	while (b.len + 72 < size)
		buf_printf(&b, "%06zu The quick brown fox jumps over the lazy "
		    "dog, again and again.\r\n", n++);
	return buf_steal(&b, NULL);
}

/* Fill up to max recipients and the transactions that carry them. */
static size_t
batch_fill(struct worker *w, struct store_rcpt *r, struct relay_txn *t,
    size_t max, size_t *ntxn_r)
{
	const struct bench *b = w->b;
	size_t i, n = max < w->rcpts - w->sent - w->failed ? max :
	    w->rcpts - w->sent - w->failed;

	for (i = 0; i < n; i++)
		snprintf(r[i].addr, sizeof(r[i].addr), "m%zu@example.net",
		    w->sent + w->failed + i);
	*ntxn_r = b->personal ? n : 1;
	for (i = 0; i < *ntxn_r; i++) {
		t[i].from = "list-bounces@example.org";
		t[i].rcpts = b->personal ? &r[i] : r;
		t[i].nrcpts = b->personal ? 1 : n;
		t[i].body = b->body;
		t[i].len = strlen(b->body);
	}
	return n;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct relay_conn *c;
	struct store_rcpt *r = xcalloc(w->b->batch, sizeof(*r));
	struct relay_txn *t = xcalloc(w->b->batch, sizeof(*t));
	size_t n, ntxn, i;
	char err[256];

	if (relay_connect(&w->b->target, "bench.example.org", 30, &c, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "relay_bench: %s\n", err);
		exit(1);
	}
	while (w->sent + w->failed < w->rcpts) {
		n = batch_fill(w, r, t, w->b->batch, &ntxn);
		if (relay_send(c, t, ntxn) < 0) {
			fprintf(stderr, "relay_bench: connection broke\n");
			exit(1);
		}
		for (i = 0; i < n; i++)
			*(r[i].outcome == OUT_OK ? &w->sent : &w->failed) += 1;
		w->msgs += ntxn;
	}
	relay_close(&c);
	free(r);
	free(t);
	return NULL;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: relay_bench [-c CONNS] [-r RCPTS] [-b BATCH] "
	    "[-s SIZE] [-p] TARGET\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct bench b = { .rcpts = 100000, .batch = 100, .size = 4096 };
	struct worker *w;
	size_t conns = 1, i, sent = 0, failed = 0, msgs = 0;
	const char *error;
	double t0, dt;
	int ch;

	log_init("relay_bench", LOG_L_WARN);
	while ((ch = getopt(argc, argv, "b:c:pr:s:")) != -1) {
		switch (ch) {
		case 'b': b.batch = strtoul(optarg, NULL, 10); break;
		case 'c': conns = strtoul(optarg, NULL, 10); break;
		case 'p': b.personal = 1; break;
		case 'r': b.rcpts = strtoul(optarg, NULL, 10); break;
		case 's': b.size = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || b.batch == 0 || conns == 0 || conns > 256)
		usage();
	if (relay_target_parse(argv[optind], &b.target, &error) < 0) {
		fprintf(stderr, "relay_bench: %s\n", error);
		return 2;
	}
	b.body = body_new(b.size);
	w = xcalloc(conns, sizeof(*w));
	t0 = now();
	for (i = 0; i < conns; i++) {
		w[i].b = &b;
		w[i].rcpts = b.rcpts / conns + (i < b.rcpts % conns);
		pthread_create(&w[i].th, NULL, worker_run, &w[i]);
	}
	for (i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		sent += w[i].sent;
		failed += w[i].failed;
		msgs += w[i].msgs;
	}
	dt = now() - t0;
	printf("relay_bench: %s conns=%zu batch=%zu size=%zu %s: %zu rcpts "
	    "(%zu failed) %zu msgs in %.3f s: %.0f rcpt/s %.0f msg/s\n",
	    argv[optind], conns, b.batch, strlen(b.body), b.personal ?
	    "personalized" : "shared", sent, failed, msgs, dt,
	    (double)sent / dt, (double)msgs / dt);
	free(w);
	free(b.body);
	relay_target_clear(&b.target);
	return failed > 0;
}
