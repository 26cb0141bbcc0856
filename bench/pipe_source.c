/*
 * pipe_source.c — a pipelining SMTP load generator: the channel's limit
 * that `make bench` sets postino's fan-out against.
 *
 *   pipe_source [-s SESSIONS] [-m TRANSACTIONS] [-r RCPTS] [-l SIZE] HOST:PORT
 *
 * smtp-source waits for each reply before the next command, so it
 * measures round trips, not the channel.  This client pipelines all that
 * RFC 2920 allows: MAIL, every RCPT and DATA go in one write; after the
 * 354 the message, its final dot and the next transaction's MAIL, RCPTs
 * and DATA go in the next.  Each session runs in its own thread and
 * sends its share of the TRANSACTIONS, each with RCPTS recipients and
 * one SIZE-byte message.  It needs no code of postino's, so it measures
 * the peer and the loopback alone.
 *
 * Prints one line: sessions, transactions, recipients, seconds,
 * recipients/s, transactions/s.  Exits 1 when a connection fails or the
 * peer refuses anything (the reply is printed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conf {
	struct sockaddr_in	 sin;
	size_t			 rcpts, size;
	char			*msg;		/* dot-stuffed body, CRLF */
	size_t			 msglen;
};

struct session {
	pthread_t		 th;
	const struct conf	*c;
	size_t			 ntxn;		/* this session's share */
	int			 fd, failed;
	char			 in[65536];
	size_t			 inlen;
	char			*out;
	size_t			 outlen, outcap;
};

static void
out_add(struct session *s, const char *p, size_t n)
{
	if (s->outlen + n > s->outcap) {
		s->outcap = (s->outlen + n) * 2;
		if ((s->out = realloc(s->out, s->outcap)) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(s->out + s->outlen, p, n);
	s->outlen += n;
}

static int
out_flush(struct session *s)
{
	size_t off = 0;
	ssize_t n;

	while (off < s->outlen) {
		n = write(s->fd, s->out + off, s->outlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("pipe_source: write");
			return -1;
		}
		off += (size_t)n;
	}
	s->outlen = 0;
	return 0;
}

/*
 * Read n final reply lines ("ddd " lines; continuation lines "ddd-" are
 * skipped), each expected to start with the digit want.  -1 on error.
 */
static int
replies(struct session *s, size_t n, char want)
{
	char *eol;
	ssize_t r;

	while (n > 0) {
		eol = memchr(s->in, '\n', s->inlen);
		if (eol == NULL) {
			if (s->inlen == sizeof(s->in)) {
				fprintf(stderr, "pipe_source: reply too long\n");
				return -1;
			}
			r = read(s->fd, s->in + s->inlen,
			    sizeof(s->in) - s->inlen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "pipe_source: connection"
				    " closed\n");
				return -1;
			}
			s->inlen += (size_t)r;
			continue;
		}
		if (eol - s->in >= 3 && s->in[3] != '-') {
			if (s->in[0] != want) {
				fprintf(stderr, "pipe_source: %.*s\n",
				    (int)(eol - s->in), s->in);
				return -1;
			}
			n--;
		}
		s->inlen -= (size_t)(eol + 1 - s->in);
		memmove(s->in, eol + 1, s->inlen);
	}
	return 0;
}

/* MAIL, the RCPTs and DATA of transaction i, queued for the next write. */
static void
envelope(struct session *s, size_t i)
{
	char line[128];
	size_t r;
	int n;

	n = snprintf(line, sizeof(line), "MAIL FROM:<bench-%zu@example.org>"
	    "\r\n", i);
	out_add(s, line, (size_t)n);
	for (r = 0; r < s->c->rcpts; r++) {
		n = snprintf(line, sizeof(line), "RCPT TO:<r%zu-%zu@example.net>"
		    "\r\n", i, r);
		out_add(s, line, (size_t)n);
	}
	out_add(s, "DATA\r\n", 6);
}

static int
session_connect(struct session *s)
{
	static const char ehlo[] = "EHLO pipe-source.example.org\r\n";
	int one = 1;

	if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(s->fd, (const struct sockaddr *)&s->c->sin,
	    sizeof(s->c->sin)) < 0) {
		perror("pipe_source: connect");
		return -1;
	}
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (replies(s, 1, '2') < 0)
		return -1;
	out_add(s, ehlo, sizeof(ehlo) - 1);
	if (out_flush(s) < 0 || replies(s, 1, '2') < 0)
		return -1;
	return 0;
}

static void *
session_run(void *arg)
{
	struct session *s = arg;
	size_t i;

	if (session_connect(s) < 0)
		goto fail;
	if (s->ntxn > 0)
		envelope(s, 0);
	for (i = 0; i < s->ntxn; i++) {
		if (out_flush(s) < 0 ||
		    replies(s, 1 + s->c->rcpts, '2') < 0 ||
		    replies(s, 1, '3') < 0)
			goto fail;
		out_add(s, s->c->msg, s->c->msglen);
		if (i + 1 < s->ntxn)
			envelope(s, i + 1);
		if (out_flush(s) < 0 || replies(s, 1, '2') < 0)
			goto fail;
	}
	out_add(s, "QUIT\r\n", 6);
	(void)out_flush(s);
	close(s->fd);
	return NULL;
fail:
	s->failed = 1;
	if (s->fd >= 0)
		close(s->fd);
	return NULL;
}

/* A message of about size bytes, lines of 72, ending in CRLF "." CRLF. */
static void
message_new(struct conf *c)
{
	static const char head[] = "From: bench@example.org\r\n"
	    "To: list@example.org\r\nSubject: pipe_source\r\n\r\n";
	size_t cap = c->size + sizeof(head) + 160, n = 0;
	char *p;

	if ((c->msg = malloc(cap)) == NULL) {
		perror("malloc");
		exit(1);
	}
	p = c->msg;
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	while ((size_t)(p - c->msg) + 72 < c->size) {
		p += snprintf(p, 80, "%06zu The quick brown fox jumps over the"
		    " lazy dog, again and again.\r\n", n++);
	}
	memcpy(p, ".\r\n", 3);
	c->msglen = (size_t)(p - c->msg) + 3;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pipe_source [-s sessions] [-m transactions]"
	    " [-r rcpts] [-l size] host:port\n");
	exit(64);
}

static int
parse_target(const char *arg, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(arg, ':');

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct conf c = { .rcpts = 1, .size = 4096 };
	struct session *ss;
	struct timespec t0, t1;
	size_t nsess = 1, ntxn = 1, i;
	double dt;
	int ch, failed = 0;

	while ((ch = getopt(argc, argv, "s:m:r:l:")) != -1) {
		switch (ch) {
		case 's': nsess = strtoul(optarg, NULL, 10); break;
		case 'm': ntxn = strtoul(optarg, NULL, 10); break;
		case 'r': c.rcpts = strtoul(optarg, NULL, 10); break;
		case 'l': c.size = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || nsess == 0 || c.rcpts == 0 ||
	    parse_target(argv[optind], &c.sin) < 0)
		usage();
	message_new(&c);
	if ((ss = calloc(nsess, sizeof(*ss))) == NULL) {
		perror("calloc");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nsess; i++) {
		ss[i].c = &c;
		ss[i].fd = -1;
		ss[i].ntxn = ntxn / nsess + (i < ntxn % nsess);
		if (pthread_create(&ss[i].th, NULL, session_run, &ss[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	for (i = 0; i < nsess; i++) {
		pthread_join(ss[i].th, NULL);
		failed |= ss[i].failed;
		free(ss[i].out);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!failed)
			printf("sessions %zu transactions %zu recipients %zu seconds"
		    " %.3f rcpt/s %.0f txn/s %.0f\n", nsess, ntxn,
		    ntxn * c.rcpts, dt, (double)(ntxn * c.rcpts) / dt,
		    (double)ntxn / dt);
	free(ss);
	free(c.msg);
	return failed;
}
