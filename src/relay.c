/*
 * relay.c — the only outbound SMTP/LMTP client (see relay.h): connection,
 * socket I/O and reply parsing (the target strings are relay_target.c's).
 *
 * Owns: the relay connection (socket, write buffer, read buffer).  The
 * socket is non-blocking and every wait goes through poll() with the
 * configured timeout, so a silent relay costs at most one timeout per
 * read or write.
 *
 * Transactions live in relay_txn.c, the Maildir transport in
 * relay_maildir.c; relay_int.h is what they share.
 *
 * Reply parsing is strict: three digits of a known class, a line of at
 * most 512 octets, the same code on every line of a multi-line reply, at
 * most 100 lines; anything else is a protocol fault and the session ends.
 *
 * Fails: every function records the first reason the session broke in
 * c->fault and c->err and returns -1.  Nothing here exits the process.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "relay.h"
#include "relay_int.h"

#define REPLY_LINES_MAX	100		/* lines of one multi-line reply */
#define RBUF_CHUNK	16384
#define RBUF_MAX	(1024 * 1024)	/* unread replies held while writing */
#define QUIT_TIMEOUT_MS	2000

/* ---- helpers shared with relay_maildir.c ----------------------------- */

int
relay_addr_ok(const char *addr, int allow_null)
{
	size_t n = strnlen(addr, ADDR_MAX), i;
	unsigned char ch;

	if (n == ADDR_MAX || (n == 0 && !allow_null))
		return 0;
	for (i = 0; i < n; i++) {
		ch = (unsigned char)addr[i];
		if (ch < 0x20 || ch == 0x7f || ch == '<' || ch == '>')
			return 0;
	}
	return 1;
}

void
relay_rcpt_set(struct store_rcpt *r, enum outcome o, int code,
    const char *text)
{
	size_t n = strnlen(text, sizeof(r->text) - 1);

	r->outcome = o;
	r->code = code;
	memcpy(r->text, text, n);	/* once per recipient: no printf */
	r->text[n] = '\0';
}

/* ---- low-level I/O --------------------------------------------------- */

/* Record why the session broke (the first reason wins).  Returns -1. */
int
relay_fail(struct relay_conn *c, enum relay_fault f, const char *fmt, ...)
{
	va_list ap;

	if (c->fault != RF_NONE)
		return -1;
	c->fault = f;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int
io_wait(struct relay_conn *c, short events, short *revents_r)
{
	struct pollfd pfd;
	int n;

	pfd.fd = c->fd;
	pfd.events = events;
	for (;;) {
		pfd.revents = 0;
		n = poll(&pfd, 1, c->timeout_ms);
		if (n > 0) {
			*revents_r = pfd.revents;
			return 0;
		}
		if (n == 0)
			return relay_fail(c, RF_LOST, "timeout after %d ms waiting "
			    "for the relay", c->timeout_ms);
		if (errno != EINTR)
			return relay_fail(c, RF_LOST, "poll: %s", strerror(errno));
	}
}

/* Read what the relay sent (waiting for it) into c->r. */
static int
io_fill(struct relay_conn *c)
{
	ssize_t n;
	short rev;

	if (c->r.len - c->roff > RBUF_MAX)
		return relay_fail(c, RF_PROTO, "relay sent over %d bytes of "
		    "replies nobody asked for", RBUF_MAX);
	if (c->roff == c->r.len) {
		buf_reset(&c->r);
		c->roff = 0;
	} else if (c->roff >= RBUF_CHUNK) {
		buf_consume(&c->r, c->roff);
		c->roff = 0;
	}
	buf_reserve(&c->r, RBUF_CHUNK);
	for (;;) {
		n = recv(c->fd, c->r.data + c->r.len, c->r.cap - c->r.len - 1,
		    0);
		if (n > 0) {
			c->r.len += (size_t)n;
			c->r.data[c->r.len] = '\0';
			return 0;
		}
		if (n == 0)
			return relay_fail(c, RF_LOST, "connection closed by the relay");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return relay_fail(c, RF_LOST, "read: %s", strerror(errno));
		if (io_wait(c, POLLIN, &rev) < 0)
			return -1;
	}
}

/*
 * Write all of c->w.  While the relay does not take more, read its
 * replies so that neither side can block the other with full buffers.
 */
int
relay_io_flush(struct relay_conn *c)
{
	size_t off = 0;
	ssize_t n;
	short rev;

	while (off < c->w.len) {
		n = send(c->fd, c->w.data + off, c->w.len - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return relay_fail(c, RF_LOST, "write: %s", strerror(errno));
		if (io_wait(c, POLLOUT | POLLIN, &rev) < 0)
			return -1;
		if ((rev & POLLIN) && !(rev & POLLOUT) && io_fill(c) < 0)
			return -1;
	}
	buf_reset(&c->w);
	return 0;
}

/* Next reply line, NUL-terminated without its CRLF, valid until the next
 * read. */
static int
line_get(struct relay_conn *c, char **line_r, size_t *len_r)
{
	char *start, *nl;
	size_t len;

	for (;;) {
		if (c->r.len > c->roff && (nl = memchr(c->r.data + c->roff,
		    '\n', c->r.len - c->roff)) != NULL)
			break;
		if (c->r.len - c->roff >= RELAY_REPLY_LINE_MAX)
			return relay_fail(c, RF_PROTO, "reply line over %d octets",
			    RELAY_REPLY_LINE_MAX);
		if (io_fill(c) < 0)
			return -1;
	}
	start = c->r.data + c->roff;
	len = (size_t)(nl - start) + 1;
	if (len > RELAY_REPLY_LINE_MAX)
		return relay_fail(c, RF_PROTO, "reply line over %d octets",
		    RELAY_REPLY_LINE_MAX);
	c->roff += len;
	len--;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	start[len] = '\0';
	*line_r = start;
	*len_r = len;
	return 0;
}

/* ---- replies --------------------------------------------------------- */

/* A copy of untrusted text fit for logs and bounce reports. */
static void
text_add(char *dst, size_t size, const char *src)
{
	size_t n = strlen(dst);

	if (n > 0 && n + 1 < size)
		dst[n++] = ' ';
	for (; *src != '\0' && n + 1 < size; src++)
		dst[n++] = ((unsigned char)*src < 0x20 ||
		    (unsigned char)*src > 0x7e) ? '?' : *src;
	dst[n] = '\0';
}

static int
reply_code(const char *p, size_t len)
{
	if (len < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' ||
	    !isdigit((unsigned char)p[2]))
		return -1;
	if (len > 3 && p[3] != ' ' && p[3] != '-')
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/*
 * Read one (possibly multi-line) reply; fn, when set, sees the text of
 * every line.  0, or -1 on loss, timeout or garbage (c->fault set).
 */
int
relay_reply_read(struct relay_conn *c, struct relay_reply *r, relay_line_fn fn)
{
	char *p = NULL, bad[64];
	size_t len = 0, i;
	int code;

	r->code = 0;
	r->text[0] = '\0';
	for (i = 0; i < REPLY_LINES_MAX; i++) {
		if (line_get(c, &p, &len) < 0)
			return -1;
		code = reply_code(p, len);
		if (code < 0 || (i > 0 && code != r->code)) {
			bad[0] = '\0';
			text_add(bad, sizeof(bad), p);
			return relay_fail(c, RF_PROTO, "%s reply from the relay: "
			    "\"%s\"", code < 0 ? "malformed" :
			    "inconsistent multi-line", bad);
		}
		r->code = code;
		text_add(r->text, sizeof(r->text), i == 0 ? p :
		    p + (len > 4 ? 4 : len));
		if (fn != NULL)
			fn(c, len > 4 ? p + 4 : "");
		if (len == 3 || p[3] == ' ') {
			if (code != 421)
				c->answers++;
			return 0;
		}
	}
	return relay_fail(c, RF_PROTO, "reply of over %d lines", REPLY_LINES_MAX);
}

int
relay_send_unanswered(const struct relay_conn *c)
{
	return c->kind != RELAY_MAILDIR && c->sends > 1 &&
	    c->fault != RF_NONE && c->answers == c->answers_at_send;
}

/* A violation: a reply whose code cannot answer the command. */
int
relay_reply_unexpected(struct relay_conn *c, const char *cmd, const struct relay_reply *r)
{
	return relay_fail(c, RF_PROTO, "unexpected reply to %s: %s", cmd, r->text);
}

/* Replies are read and nothing more may come: leftovers are extra
 * replies, and then no reply of this exchange can be trusted. */
int
relay_reply_none_pending(struct relay_conn *c)
{
	if (c->roff < c->r.len)
		return relay_fail(c, RF_PROTO, "relay sent more replies than "
		    "commands");
	return 0;
}

/* ---- connection ------------------------------------------------------ */

static void
caps_line(struct relay_conn *c, const char *p)
{
	char *end;
	unsigned long long v;

	if (strcasecmp(p, "PIPELINING") == 0)
		c->pipelining = 1;
	else if (strcasecmp(p, "8BITMIME") == 0)
		c->eightbit = 1;
	else if (strcasecmp(p, "DSN") == 0)
		c->dsn = 1;
	else if (strncasecmp(p, "SIZE", 4) == 0 && (p[4] == ' ' ||
	    p[4] == '\0')) {
		v = strtoull(p + 4, &end, 10);
		c->size_max = (*end == '\0' && v <= (size_t)-1) ? (size_t)v : 0;
	}
}

static int
sock_open_tcp(struct relay_conn *c, const struct relay_target *t)
{
	struct addrinfo hints, *res, *ai;
	int rc, one = 1, soerr;
	socklen_t sl;
	short rev;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(t->host, t->port, &hints, &res)) != 0)
		return relay_fail(c, RF_LOST, "%s: %s", t->host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fault = RF_NONE;
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (c->fd < 0) {
			relay_fail(c, RF_LOST, "socket: %s", strerror(errno));
			continue;
		}
		soerr = 0;
		sl = sizeof(soerr);
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    (errno != EINPROGRESS || io_wait(c, POLLOUT, &rev) < 0 ||
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
		    soerr != 0)) {
			relay_fail(c, RF_LOST, "connect to %s port %s: %s", t->host,
			    t->port, strerror(soerr ? soerr : errno));
			close(c->fd);
			c->fd = -1;
			continue;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		break;
	}
	freeaddrinfo(res);
	return c->fd < 0 ? -1 : 0;
}

static int
sock_open_unix(struct relay_conn *c, const struct relay_target *t)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return relay_fail(c, RF_LOST, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return relay_fail(c, RF_LOST, "connect to %s: %s", t->path,
		    strerror(errno));
	return 0;
}

/* Greeting, then EHLO/LHLO (SMTP falls back to HELO on 5xx). */
static int
session_open(struct relay_conn *c, const char *helo)
{
	struct relay_reply r;

	if (relay_reply_read(c, &r, NULL) < 0)
		return -1;
	if (r.code != 220)
		return relay_fail(c, RF_LOST, "relay greeting: %s", r.text);
	buf_printf(&c->w, "%s %s\r\n", c->kind == RELAY_LMTP ? "LHLO" : "EHLO",
	    helo);
	if (relay_io_flush(c) < 0 || relay_reply_read(c, &r, caps_line) < 0)
		return -1;
	if (r.code / 100 == 5 && r.code != 421 && c->kind == RELAY_SMTP) {
		c->pipelining = c->eightbit = 0;
		c->size_max = 0;
		buf_printf(&c->w, "HELO %s\r\n", helo);
		if (relay_io_flush(c) < 0 || relay_reply_read(c, &r, NULL) < 0)
			return -1;
	}
	if (r.code / 100 != 2)
		return relay_fail(c, RF_LOST, "relay refused %s: %s",
		    c->kind == RELAY_LMTP ? "LHLO" : "EHLO", r.text);
	return relay_reply_none_pending(c);
}

int
relay_connect(const struct relay_target *t, const char *helo_name,
    int timeout, struct relay_conn **c_r, char *err, size_t errlen)
{
	struct relay_conn *c = xcalloc(1, sizeof(*c));
	int rc;

	*c_r = NULL;
	c->kind = t->kind;
	c->fd = -1;
	c->timeout_ms = (timeout > 0 && timeout < 86400 ? timeout : 300) * 1000;
	if (helo_name == NULL || *helo_name == '\0' ||
	    !relay_addr_ok(helo_name, 0) || strchr(helo_name, ' ') != NULL)
		helo_name = "localhost";
	if (t->kind == RELAY_MAILDIR) {
		if (relay_maildir_open(t->path, err, errlen) < 0)
			goto fail_quiet;
		c->dir = xstrdup(t->path);
		*c_r = c;
		return 0;
	}
	rc = t->host != NULL ? sock_open_tcp(c, t) : sock_open_unix(c, t);
	if (rc < 0 || session_open(c, helo_name) < 0)
		goto fail;
	*c_r = c;
	return 0;
fail:
	snprintf(err, errlen, "%s", c->err);
fail_quiet:
	c->fault = RF_LOST;
	relay_close(&c);
	return -1;
}

void
relay_close(struct relay_conn **cp)
{
	struct relay_conn *c = *cp;
	struct relay_reply r;

	if (c == NULL)
		return;
	if (c->fd >= 0) {
		if (c->fault == RF_NONE) {
			if (c->timeout_ms > QUIT_TIMEOUT_MS)
				c->timeout_ms = QUIT_TIMEOUT_MS;
			buf_reset(&c->w);
			buf_puts(&c->w, "QUIT\r\n");
			if (relay_io_flush(c) == 0)
				(void)relay_reply_read(c, &r, NULL);
		}
		close(c->fd);
	}
	buf_free(&c->w);
	buf_free(&c->r);
	free(c->dir);
	free(c);
	*cp = NULL;
}


