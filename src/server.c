/*
 * server.c — listeners, the event loop, timeouts, and group commit.
 *
 * One thread, poll(2), non-blocking sockets.  Each connection wraps a
 * proto_session (proto.h), which does all the protocol work on bytes;
 * this file only moves bytes, keeps time (CLOCK_MONOTONIC) and decides
 * when to commit.
 *
 * Group commit: a session whose message is complete stops reading
 * (PROTO_WANT_COMMIT) but keeps what it has buffered.  After all ready
 * events of one loop iteration were handled, every waiting message goes
 * to the committer thread (server_commit.c) in ONE group (one
 * transaction, one fsync), and the loop goes on reading the other
 * sessions meanwhile; the messages completed during that fsync form the
 * next group.  The batch size adapts to the load and to the disk without
 * any timer.  A group's sessions are answered when its outcome is back.
 *
 * Memory per connection is bounded: we read only while less than
 * SERVER_IN_MAX bytes are buffered and less than PROTO_OUT_MAX bytes of
 * replies are unsent, so a client that pipelines 100,000 NOOPs without
 * reading the replies is simply not read from.
 *
 * Owns: the listeners (opened by server_listen.c; their unix socket
 * files are unlinked here), connections, the self-pipe.  Fails: a
 * session never ends the process; server_run returns -1 only when
 * poll(2) itself fails.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "buf.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "server_int.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A listener's own limits.  A unix socket is the MTA itself: no cap per
 * client (every peer is "local"), only the listener's limit.
 */
void
listener_configure(const struct server *srv, struct listener *l)
{
	int max = 0;

	if (l->proto == PROTO_LMTP)
		max = srv->lmtp_max;
	else if (l->proto == PROTO_SMTP)
		max = srv->smtp_max;
	l->adm.name = proto_name(l->proto);
	l->adm.max = max > 0 ? max : srv->max_sessions;
	l->adm.per_client = l->unix_path != NULL ? 0 : srv->per_client;
	l->adm.stress_ms = srv->stress_idle * 1000;
}

void
server_configure(struct server *srv, const struct config *cfg)
{
	size_t i;

	snprintf(srv->pconf.hostname, sizeof(srv->pconf.hostname), "%s",
	    cfg->hostname != NULL && *cfg->hostname ? cfg->hostname :
	    "localhost");
	srv->pconf.max_message_size = cfg->max_message_size;
	srv->pconf.max_recipients = cfg->max_recipients < 100 ? 100 :
	    cfg->max_recipients;
	srv->max_sessions = cfg->max_sessions < 1 ? 1 : cfg->max_sessions;
	srv->lmtp_max = cfg->lmtp_max_sessions;
	srv->smtp_max = cfg->smtp_max_sessions;
	srv->per_client = cfg->max_sessions_per_client;
	srv->stress_idle = cfg->stress_idle_timeout;
	srv->idle_timeout = cfg->idle_timeout;
	srv->data_timeout = cfg->data_timeout;
	srv->session_timeout = cfg->session_timeout;
	for (i = 0; i < srv->nls; i++)
		listener_configure(srv, &srv->ls[i]);
}

struct server *
server_new(const struct config *cfg, const struct server_hooks *hooks,
    void *arg)
{
	struct server *srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->hooks = *hooks;
	srv->arg = arg;
	srv->next_id = 1;
	/* Queue ids unique across restarts, like Postfix's time+inode. */
	snprintf(srv->pconf.qid_prefix, sizeof(srv->pconf.qid_prefix),
	    "%08llX%lX", (unsigned long long)time(NULL) & 0xffffffffULL,
	    (unsigned long)getpid());
	server_configure(srv, cfg);
	srv->sock_mode = cfg->lmtp_socket_mode;
	if (cfg->lmtp_socket_group != NULL && *cfg->lmtp_socket_group)
		srv->sock_group = xstrdup(cfg->lmtp_socket_group);
	if (pipe(srv->pipe) < 0 || server_nonblock(srv->pipe[0]) < 0 ||
	    server_nonblock(srv->pipe[1]) < 0)
		fatal("server: self-pipe");
	return srv;
}

static void
conn_free(struct conn **cp)
{
	struct conn *c = *cp;

	if (c == NULL)
		return;
	if (c->l != NULL)
		admit_count(&c->l->adm, -1);
	proto_free(&c->ps);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	*cp = NULL;
}

void
server_free(struct server **srvp)
{
	struct server *srv = *srvp;
	size_t i;

	if (srv == NULL)
		return;
	server_commit_stop(srv);
	for (i = 0; i < srv->nconns; i++)
		conn_free(&srv->conns[i]);
	for (i = 0; i < srv->nls; i++) {
		if (srv->ls[i].fd >= 0)
			close(srv->ls[i].fd);
		if (srv->ls[i].unix_path != NULL)
			unlink(srv->ls[i].unix_path);
		free(srv->ls[i].unix_path);
	}
	close(srv->pipe[0]);
	close(srv->pipe[1]);
	free(srv->conns);
	free(srv->pfd);
	free(srv->sock_group);
	free(srv);
	*srvp = NULL;
}

/* ---- listeners ------------------------------------------------------ */

/* ---- signals -------------------------------------------------------- */

void
server_wake(struct server *srv)
{
	int saved = errno;

	/* A full pipe already wakes the loop: the error is harmless. */
	if (write(srv->pipe[1], "x", 1) < 0)
		errno = saved;
	errno = saved;
}

void
server_stop(struct server *srv)
{
	srv->stop_req = 1;
	server_wake(srv);
}

void
server_reload(struct server *srv)
{
	srv->reload_req = 1;
	server_wake(srv);
}

/* ---- connections ---------------------------------------------------- */

/* Send what we can; a failed write ends the connection. */
static void
conn_flush(struct conn *c)
{
	struct buf *out = &c->ps->out;
	ssize_t n;

	while (out->len > 0 && !c->dead) {
		n = send(c->fd, out->data, out->len, MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(out, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		log_debug("%s: write: %s", c->ps->logid, strerror(errno));
		c->dead = 1;
	}
	if (out->len == 0 && out->cap > 2 * PROTO_OUT_MAX)
		buf_free(out);		/* give back a burst's memory */
}

static int
conn_wants_input(const struct conn *c)
{
	return !c->eof && !c->dead && c->status != PROTO_WANT_COMMIT &&
	    c->status != PROTO_CLOSE && c->ps->in.len < SERVER_IN_MAX &&
	    c->ps->out.len < PROTO_OUT_MAX;
}

static void
conn_read(struct conn *c, int64_t now)
{
	char chunk[SERVER_READ];
	ssize_t n;

	n = recv(c->fd, chunk, sizeof(chunk), 0);
	if (n > 0) {
		proto_input(c->ps, chunk, (size_t)n);
		c->t_input = now;
	} else if (n == 0)
		c->eof = 1;
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		log_debug("%s: read: %s", c->ps->logid, strerror(errno));
		c->eof = 1;
	}
}

/* Answer as much buffered input as the output room allows. */
static void
conn_run(struct server *srv, struct conn *c, int64_t now)
{
	do {
		c->status = proto_run(c->ps);
		conn_flush(c);
	} while (c->status == PROTO_WANT_OUTPUT && !c->dead &&
	    c->ps->out.len < PROTO_OUT_MAX);
	if (c->ps->state != PROTO_S_DATA)
		c->t_data = 0;
	else if (c->t_data == 0)
		c->t_data = now;
	if (srv->stopping && c->status != PROTO_CLOSE &&
	    !proto_in_transaction(c->ps)) {
		proto_close(c->ps, "4.3.2", "shutting down");
		c->status = PROTO_CLOSE;
		conn_flush(c);
	}
	if (c->status == PROTO_CLOSE && c->t_close == 0)
		c->t_close = now;
}

/* The numeric peer address of a TCP connection, or "" (unix socket). */
static void
conn_peer(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
    char *peer, size_t size)
{
	int on = 1;

	peer[0] = '\0';
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (getnameinfo((const struct sockaddr *)ss, sslen, peer, size, NULL,
	    0, NI_NUMERICHOST) != 0)
		snprintf(peer, size, "unknown");
}

static void
conn_new(struct server *srv, struct listener *l, int fd, const char *peer,
    int64_t now)
{
	struct conn *c;

	if (srv->nconns == srv->capconns) {
		srv->capconns = srv->capconns ? srv->capconns * 2 : 16;
		srv->conns = xrealloc(srv->conns,
		    srv->capconns * sizeof(*srv->conns));
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->l = l;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	admit_count(&l->adm, 1);
	c->ps = proto_new(l->proto, srv->next_id++, &srv->pconf, &srv->hooks,
	    srv->arg);
	c->t_start = c->t_input = now;
	c->idle_ms = srv->idle_timeout * 1000;
	c->data_ms = srv->data_timeout * 1000;
	c->session_ms = srv->session_timeout * 1000;
	srv->conns[srv->nconns++] = c;
	log_info("%s: connect from %s", c->ps->logid,
	    *peer != '\0' ? peer : "local");
	proto_greet(c->ps);
	conn_flush(c);
}

/* Refused (listener full, or the client over its cap): one best-effort
 * line, then close. */
static void
server_busy(struct server *srv, int fd, const struct listener *l,
    enum admit_verdict why, const char *peer)
{
	char line[PROTO_HOST_MAX + 96];
	int n;

	if (l->proto == PROTO_SOCKETMAP) {
		/* No greeting in this protocol: Postfix sees the close
		 * and answers its client 451, so nothing is lost. */
		log_warnx("%s: too many sessions (%d), connection refused",
		    l->adm.name, l->adm.max);
		close(fd);
		return;
	}
	if (why == ADMIT_CLIENT) {
		log_warnx("%s: too many connections from %s (%d), connection "
		    "refused", l->adm.name, peer, l->adm.per_client);
		n = snprintf(line, sizeof(line), "421 4.7.0 %s too many "
		    "connections from your address, try again later\r\n",
		    srv->pconf.hostname);
	} else {
		log_warnx("%s: too many sessions (%d), connection refused",
		    l->adm.name, l->adm.max);
		n = snprintf(line, sizeof(line), "421 4.3.2 %s too busy, try "
		    "again later\r\n", srv->pconf.hostname);
	}
	if (n > 0 && send(fd, line, (size_t)n, MSG_NOSIGNAL) < 0)
		log_debug("busy reply: %s", strerror(errno));
	close(fd);
}

/* Sessions of listener l from address peer (TCP listeners only). */
static int
server_client_count(const struct server *srv, const struct listener *l,
    const char *peer)
{
	size_t i;
	int n = 0;

	if (l->adm.per_client <= 0)
		return 0;
	for (i = 0; i < srv->nconns; i++)
		if (srv->conns[i]->l == l &&
		    strcmp(srv->conns[i]->peer, peer) == 0)
			n++;
	return n;
}

static void
server_accept(struct server *srv, struct listener *l, int64_t now)
{
	struct sockaddr_storage ss;
	enum admit_verdict why;
	char peer[SERVER_PEER_MAX];
	socklen_t sslen;
	int fd, i;

	for (i = 0; i < SERVER_ACCEPT_BURST; i++) {
		sslen = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		conn_peer(fd, &ss, sslen, peer, sizeof(peer));
		why = admit_check(&l->adm, server_client_count(srv, l, peer));
		if (why != ADMIT_OK)
			server_busy(srv, fd, l, why, peer);
		else
			conn_new(srv, l, fd, peer, now);
	}
}

/* ---- the loop ------------------------------------------------------- */

static int64_t
conn_deadline(const struct conn *c)
{
	int64_t d;

	if (c->dead)
		return 0;
	if (c->status == PROTO_WANT_COMMIT)
		return INT64_MAX;
	if (c->status == PROTO_CLOSE)
		return c->t_close + SERVER_LINGER_MS;
	d = c->t_input + admit_idle_ms(&c->l->adm, c->idle_ms);
	if (c->t_start + c->session_ms < d)
		d = c->t_start + c->session_ms;
	if (c->t_data != 0 && c->t_data + c->data_ms < d)
		d = c->t_data + c->data_ms;
	return d;
}

static void
conn_timeout(struct conn *c, int64_t now)
{
	if (now < conn_deadline(c))
		return;
	if (c->status == PROTO_CLOSE) {
		c->dead = 1;	/* the client does not read its 421 */
		return;
	}
	log_info("%s: timeout%s, closing", c->ps->logid,
	    c->ps->state == PROTO_S_DATA ? " in DATA, nothing stored" : "");
	proto_close(c->ps, "4.4.2", "timeout, closing");
	c->status = PROTO_CLOSE;
	c->t_close = now;
	conn_flush(c);
}

/* Fill the poll set; returns its size and the poll timeout in ms. */
static size_t
server_pollset(struct server *srv, int64_t now, int *timeout_r)
{
	int64_t next = srv->stopping ? srv->grace_end : now + 60000, d;
	size_t i, n = 0;
	struct conn *c;

	if (srv->cappfd < 1 + srv->nls + srv->nconns) {
		srv->cappfd = 1 + srv->nls + srv->nconns + 16;
		srv->pfd = xrealloc(srv->pfd, srv->cappfd * sizeof(*srv->pfd));
	}
	srv->pfd[n].fd = srv->pipe[0];
	srv->pfd[n++].events = POLLIN;
	for (i = 0; i < srv->nls; i++, n++) {
		srv->pfd[n].fd = srv->stopping ? -1 : srv->ls[i].fd;
		srv->pfd[n].events = POLLIN;
	}
	for (i = 0; i < srv->nconns; i++, n++) {
		c = srv->conns[i];
		srv->pfd[n].fd = c->fd;
		srv->pfd[n].events = (conn_wants_input(c) ? POLLIN : 0) |
		    (c->ps->out.len > 0 ? POLLOUT : 0);
		if (srv->pfd[n].events == 0)
			srv->pfd[n].fd = -1;
		if ((d = conn_deadline(c)) < next)
			next = d;
		if (c->status == PROTO_WANT_COMMIT && !c->committing &&
		    !srv->busy)
			next = now;	/* to be handed to the committer */
	}
	*timeout_r = next <= now ? 0 : (int)(next - now);
	return n;
}

static void
server_drain_pipe(struct server *srv)
{
	char junk[64];

	while (read(srv->pipe[0], junk, sizeof(junk)) > 0)
		continue;
}

static void
server_events(struct server *srv, size_t npfd, int64_t now)
{
	struct pollfd *p;
	struct conn *c;
	size_t i, nconns = srv->nconns;

	if (srv->pfd[0].revents & POLLIN)
		server_drain_pipe(srv);
	for (i = 0; i < srv->nls && !srv->stopping; i++)
		if (srv->pfd[1 + i].revents & POLLIN)
			server_accept(srv, &srv->ls[i], now);
	/* Connections accepted just now have no poll slot yet. */
	for (i = 0; i < nconns && 1 + srv->nls + i < npfd; i++) {
		p = &srv->pfd[1 + srv->nls + i];
		c = srv->conns[i];
		if (p->fd < 0 || p->revents == 0)
			continue;
		if (p->revents & POLLOUT)
			conn_flush(c);
		if (c->committing)
			continue;	/* the committer reads its message */
		if ((p->revents & (POLLIN | POLLHUP | POLLERR)) &&
		    conn_wants_input(c))
			conn_read(c, now);
		conn_run(srv, c, now);
	}
}

/*
 * The group commit (server_commit.c): when the outcome of the group out
 * is back, answer its sessions; each goes on with the input it had
 * buffered behind its final dot.
 */
static void
server_answer(struct server *srv)
{
	size_t i, n;
	int64_t now;

	if ((n = server_commit_reap(srv)) > 0) {
		now = now_ms();
		for (i = 0; i < n; i++)
			conn_run(srv, srv->group[i], now);
	}
}

/* Free connections that are done; keep the array dense. */
static void
server_reap(struct server *srv, int64_t now)
{
	struct conn *c;
	size_t i, j;
	int done;

	for (i = 0, j = 0; i < srv->nconns; i++) {
		c = srv->conns[i];
		done = c->dead ||
		    (c->status == PROTO_CLOSE && c->ps->out.len == 0) ||
		    (c->status == PROTO_CLOSE && srv->stopping &&
		    now >= srv->grace_end) ||
		    (c->eof && c->status == PROTO_WANT_INPUT);
		if (done && c->status == PROTO_WANT_COMMIT)
			done = 0;	/* its message is in no group yet */
		if (!done) {
			srv->conns[j++] = c;
			continue;
		}
		log_info("%s: disconnect%s", c->ps->logid,
		    c->ps->state == PROTO_S_DATA ?
		    " in DATA, nothing stored" : "");
		conn_free(&c);
	}
	srv->nconns = j;
}

static void
server_begin_stop(struct server *srv, int64_t now)
{
	size_t i;

	log_info("server: stopping, %zu session%s open", srv->nconns,
	    srv->nconns == 1 ? "" : "s");
	srv->stopping = 1;
	srv->grace_end = now + SERVER_GRACE_MS;
	for (i = 0; i < srv->nls; i++) {
		close(srv->ls[i].fd);
		srv->ls[i].fd = -1;
	}
	for (i = 0; i < srv->nconns; i++)
		if (!srv->conns[i]->committing)
			conn_run(srv, srv->conns[i], now);
}

/* Timeouts, and at the end of the grace period, close everyone. */
static void
server_timeouts(struct server *srv, int64_t now)
{
	struct conn *c;
	size_t i;

	for (i = 0; i < srv->nconns; i++) {
		c = srv->conns[i];
		if (srv->stopping && now >= srv->grace_end &&
		    c->status != PROTO_WANT_COMMIT &&
		    c->status != PROTO_CLOSE) {
			log_info("%s: grace period over", c->ps->logid);
			proto_close(c->ps, "4.3.2", "shutting down");
			c->status = PROTO_CLOSE;
			c->t_close = now;
			conn_flush(c);
		} else
			conn_timeout(c, now);
	}
}

/*
 * Commit delay: when messages are ready but other sessions are in the
 * middle of their DATA, wait up to SERVER_COMMIT_DELAY_US for them, so
 * that one fsync covers more messages (PostgreSQL's commit_delay).  The
 * wait is never longer than the delay, and nobody waits when no other
 * message is on its way.
 */
static int
server_should_delay(struct server *srv, struct timespec *wait_r)
{
	struct timespec now;
	size_t i, ready = 0, coming = 0;
	long long waited;

	for (i = 0; i < srv->nconns; i++) {
		if (srv->conns[i]->status == PROTO_WANT_COMMIT &&
		    !srv->conns[i]->committing)
			ready++;
		else if (srv->conns[i]->ps->state == PROTO_S_DATA &&
		    srv->conns[i]->status == PROTO_WANT_INPUT)
			coming++;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ready == 0 || coming == 0 || srv->stopping) {
		srv->delay_since.tv_sec = 0;
		return 0;
	}
	if (srv->delay_since.tv_sec == 0)
		srv->delay_since = now;
	waited = (now.tv_sec - srv->delay_since.tv_sec) * 1000000LL +
	    (now.tv_nsec - srv->delay_since.tv_nsec) / 1000;
	if (waited >= SERVER_COMMIT_DELAY_US) {
		srv->delay_since.tv_sec = 0;
		return 0;
	}
	wait_r->tv_sec = 0;
	wait_r->tv_nsec = (SERVER_COMMIT_DELAY_US - waited) * 1000;
	return 1;
}

int
server_run(struct server *srv)
{
	struct timespec delay;
	int delaying = 0;
	int64_t now;
	size_t npfd;
	int timeout;

	if (!srv->cstarted)
		server_commit_start(srv);
	for (;;) {
		now = now_ms();
		if (srv->stop_req && !srv->stopping)
			server_begin_stop(srv, now);
		server_reap(srv, now);
		if (srv->stopping && srv->nconns == 0) {
			log_info("server: stopped");
			return 0;
		}
		npfd = server_pollset(srv, now, &timeout);
		if (delaying && timeout != 0) {
			if (ppoll(srv->pfd, (nfds_t)npfd, &delay, NULL) < 0 &&
			    errno != EINTR) {
				log_warn("server: ppoll");
				return -1;
			}
		} else if (poll(srv->pfd, (nfds_t)npfd, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("server: poll");
			return -1;
		}
		now = now_ms();
		server_events(srv, npfd, now);
		server_answer(srv);
		delaying = server_should_delay(srv, &delay);
		if (!delaying)
			(void)server_commit_dispatch(srv);
		server_timeouts(srv, now_ms());
		if (srv->reload_req && !srv->busy) {
			srv->reload_req = 0;
			server_reap(srv, now_ms());
			return 1;
		}
	}
}
