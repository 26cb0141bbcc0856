/*
 * proto.c — the session core shared by LMTP and SMTP: the session
 * object, the command line reader, the DATA reader, replies with enhanced
 * status codes, and the group commit.
 *
 * Framing is strict (RFC 5321 §2.3.8, §4.1.1.4): a command line ends at
 * the first LF and must end in CRLF, with no other CR and no NUL, and be at
 * most 512 octets.  A longer line is discarded up to its LF (never
 * buffered) and answered with one 500, so the session stays in sync.  A
 * bare LF ends the line it is in (the client believes it sent one line)
 * and gets 500 5.5.2: the client hears about its error and the session
 * stays in sync, which is kinder to a broken client than 421 and no more
 * dangerous, because the line is never executed.
 *
 * In DATA the only terminator is CRLF "." CRLF.  Any bare CR or LF, any
 * NUL, any text line over 1000 octets marks the message bad: we keep
 * reading (and stop storing) up to the real terminator, then refuse it
 * with 550 5.6.0.  This covers every SMTP smuggling variant: "\n.\n",
 * "\r.\r", "\r\n.\n" ... never end the data, and never get "repaired".
 *
 * Owns: the session and everything in it.  Fails: never; errors become
 * replies, and memory is bounded by PROTO_CMD_MAX per line, the caller's
 * input cap, PROTO_OUT_MAX of replies, and max_message_size per body.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_status.h"
#include "log.h"
#include "proto.h"

const char *
proto_name(enum server_proto proto)
{
	switch (proto) {
	case PROTO_LMTP:
		return "lmtp";
	case PROTO_SMTP:
		return "smtp";
	case PROTO_SOCKETMAP:
		return "socketmap";
	}
	return "?";
}

struct proto_session *
proto_new(enum server_proto proto, unsigned long id,
    const struct proto_conf *conf, const struct server_hooks *hooks,
    void *arg)
{
	struct proto_session *s;

	s = xcalloc(1, sizeof(*s));
	s->proto = proto;
	s->id = id;
	s->state = PROTO_S_GREET;
	s->conf = *conf;
	s->conf.hostname[sizeof(s->conf.hostname) - 1] = '\0';
	s->hooks = hooks;
	s->arg = arg;
	snprintf(s->logid, sizeof(s->logid), "%s %lu",
	    proto_name(proto), id);
	buf_init(&s->in);
	buf_init(&s->out);
	buf_init(&s->body);
	return s;
}

void
proto_free(struct proto_session **sp)
{
	struct proto_session *s = *sp;

	if (s == NULL)
		return;
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->body);
	buf_free(&s->accepted);
	free(s->ing.rcpts);
	free(s->seen);
	free(s);
	*sp = NULL;
}

void
proto_greet(struct proto_session *s)
{
	if (s->proto == PROTO_SOCKETMAP)
		return;		/* the client speaks first */
	proto_reply(s, 220, NULL, "%s %s postino ready", s->conf.hostname,
	    s->proto == PROTO_LMTP ? "LMTP" : "ESMTP");
}

void
proto_input(struct proto_session *s, const void *p, size_t n)
{
	buf_append(&s->in, p, n);
}

int
proto_in_transaction(const struct proto_session *s)
{
	return s->state == PROTO_S_MAIL || s->state == PROTO_S_DATA ||
	    s->state == PROTO_S_COMMIT;
}

/*
 * Append one reply line.  The text is ours or a hook's; either way it is
 * cut to fit the 512-octet reply limit and anything that could break the
 * framing (CR, LF, controls) becomes '?'.
 */
static void
reply_line(struct proto_session *s, int code, int more, const char *enh,
    const char *fmt, va_list ap)
{
	char text[400];
	size_t i;

	vsnprintf(text, sizeof(text), fmt, ap);
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 32 || text[i] == 127)
			text[i] = '?';
	buf_printf(&s->out, "%03d%c", code, more ? '-' : ' ');
	if (enh != NULL)
		buf_printf(&s->out, "%s ", enh);
	buf_printf(&s->out, "%s\r\n", text);
}

void
proto_reply(struct proto_session *s, int code, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_line(s, code, 0, enh, fmt, ap);
	va_end(ap);
}

/* A "250-..." continuation line of a multi-line reply. */
void
proto_reply_more(struct proto_session *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_line(s, code, 1, NULL, fmt, ap);
	va_end(ap);
}

void
proto_reply_data(struct proto_session *s, int code, const char *enh,
    const char *text)
{
	size_t i, n;

	n = s->proto == PROTO_LMTP ? s->naccepted : 1;
	for (i = 0; i < n; i++)
		proto_reply(s, code, enh, "%s", text);
}

void
proto_close(struct proto_session *s, const char *enh, const char *why)
{
	if (s->state == PROTO_S_CLOSED || s->state == PROTO_S_COMMIT)
		return;
	if (s->proto == PROTO_SOCKETMAP) {
		s->state = PROTO_S_CLOSED;	/* no 421 in netstrings */
		return;
	}
	proto_reply(s, 421, enh, "%s %s", s->conf.hostname, why);
	proto_reset(s);
	s->state = PROTO_S_CLOSED;
}

/* End the transaction and release its memory (the per-message arena). */
void
proto_reset(struct proto_session *s)
{
	s->ing.sender[0] = '\0';
	s->ing.nrcpts = 0;
	s->naccepted = 0;
	buf_reset(&s->accepted);
	if (s->seen_cap > 64) {		/* a big transaction's memory goes */
		free(s->seen);
		s->seen = NULL;
		s->seen_cap = 0;
		buf_free(&s->accepted);
	} else if (s->seen != NULL)
		memset(s->seen, 0, s->seen_cap * sizeof(*s->seen));
	s->ing.body = NULL;
	s->ing.len = 0;
	buf_free(&s->body);
	s->dbad = 0;
	s->dsize = 0;
	if (s->state != PROTO_S_GREET && s->state != PROTO_S_CLOSED)
		s->state = PROTO_S_READY;
}

/* FNV-1a over the target a recipient resolved to. */
static uint32_t
rcpt_hash(const struct ingest_rcpt *r)
{
	const unsigned char *p = (const unsigned char *)&r->list_id;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(r->list_id); i++)
		h = (h ^ p[i]) * 16777619u;
	for (p = (const unsigned char *)r->ext; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The slot of s->seen holding r's target, or the empty one for it. */
static uint32_t *
rcpt_seen_slot(struct proto_session *s, const struct ingest_rcpt *r)
{
	const struct ingest_rcpt *o;
	size_t i = rcpt_hash(r) & (s->seen_cap - 1);

	for (;; i = (i + 1) & (s->seen_cap - 1)) {
		if (s->seen[i] == 0)
			return &s->seen[i];
		o = &s->ing.rcpts[s->seen[i] - 1];
		if (o->list_id == r->list_id && strcmp(o->ext, r->ext) == 0)
			return &s->seen[i];
	}
}

/* Keep the table at most half full: rebuild it twice as big. */
static void
rcpt_seen_grow(struct proto_session *s)
{
	size_t i;

	if (2 * (s->ing.nrcpts + 1) <= s->seen_cap)
		return;
	free(s->seen);
	s->seen_cap = s->seen_cap ? 2 * s->seen_cap : 16;
	s->seen = xcalloc(s->seen_cap, sizeof(*s->seen));
	for (i = 0; i < s->ing.nrcpts; i++)
		*rcpt_seen_slot(s, &s->ing.rcpts[i]) = (uint32_t)i + 1;
}

int
proto_rcpt_accept(struct proto_session *s, const char *addr,
    const struct ingest_rcpt *r)
{
	uint32_t *slot;
	int dup;

	rcpt_seen_grow(s);
	slot = rcpt_seen_slot(s, r);
	dup = *slot != 0;
	if (!dup)
		*slot = (uint32_t)++s->ing.nrcpts;
	buf_append(&s->accepted, addr, strlen(addr) + 1);
	s->naccepted++;
	return dup;
}

void
proto_data_begin(struct proto_session *s)
{
	buf_free(&s->body);
	buf_reserve(&s->body, 0);
	s->dstate = D_BOL;	/* the CRLF of "DATA" starts the first line */
	s->dline = 0;
	s->dsize = 0;
	s->dbad = 0;
	s->state = PROTO_S_DATA;
}

/*
 * Answer one line that has been found bad before it was parsed.  The
 * details go to the debug log; the client gets a fixed text.
 */
static void
line_reject(struct proto_session *s, const char *why)
{
	log_debug("%s: command rejected: %s", s->logid, why);
	proto_reply(s, 500, "5.5.2", "Syntax error: %s", why);
}

/*
 * Take one command line from the input and run it.  Returns 1 when a
 * line was consumed (answered or being discarded), 0 when more input is
 * needed.
 */
static int
proto_line(struct proto_session *s)
{
	char line[PROTO_CMD_MAX + 1];
	const char *p, *lf;
	size_t avail = s->in.len - s->in_off, n;

	if (avail == 0)
		return 0;
	p = s->in.data + s->in_off;
	lf = memchr(p, '\n', avail);
	if (lf == NULL) {
		if (avail < PROTO_CMD_MAX && !s->discarding)
			return 0;
		/* Over-long: drop what we have, keep dropping to the LF. */
		s->discarding = 1;
		s->in_off = s->in.len;
		return 0;
	}
	n = (size_t)(lf - p) + 1;
	s->in_off += n;
	if (s->discarding || n > PROTO_CMD_MAX) {
		s->discarding = 0;
		line_reject(s, "line too long");
		return 1;
	}
	if (n < 2 || p[n - 2] != '\r') {
		line_reject(s, "bare LF");
		return 1;
	}
	if (memchr(p, '\r', n - 2) != NULL) {
		line_reject(s, "bare CR");
		return 1;
	}
	if (memchr(p, '\0', n - 2) != NULL) {
		line_reject(s, "NUL character");
		return 1;
	}
	memcpy(line, p, n - 2);
	line[n - 2] = '\0';
	session_command(s, line);
	return 1;
}

/* Store body bytes, unless the message is already refused or too big. */
static void
body_put(struct proto_session *s, const void *p, size_t n)
{
	s->dsize += n;
	if (s->dsize > s->conf.max_message_size)
		s->dbad |= PROTO_BAD_SIZE;
	if (s->dbad != 0) {
		if (s->body.data != NULL)
			buf_free(&s->body);	/* stop buffering: bounded */
		return;
	}
	buf_append(&s->body, p, n);
}

static int
plain(unsigned char c)
{
	return c != '\r' && c != '\n' && c != '\0';
}

/* A run of plain text octets starting at p: store it, count the line. */
static const unsigned char *
data_text(struct proto_session *s, const unsigned char *p,
    const unsigned char *end)
{
	const unsigned char *q = p;

	while (q < end && plain(*q))
		q++;
	s->dline += (size_t)(q - p);
	if (s->dline > PROTO_TEXT_MAX - 2)
		s->dbad |= PROTO_BAD_LINE;
	body_put(s, p, (size_t)(q - p));
	s->dstate = D_TEXT;
	return q;
}

/*
 * Feed one octet that is not a plain text octet, or that follows a CR or
 * a leading dot.  Returns 1 at the terminator.
 */
static int
data_octet(struct proto_session *s, unsigned char c)
{
	switch (s->dstate) {
	case D_BOL:
		if (c == '.') {
			s->dstate = D_DOT;	/* unstuffed: the dot is dropped */
			s->dline = 1;
			return 0;
		}
		break;
	case D_DOT:
		if (c == '\r') {
			s->dstate = D_DOTCR;
			return 0;
		}
		break;
	case D_DOTCR:
		if (c == '\n')
			return 1;
		s->dbad |= PROTO_BAD_CRLF;	/* ".\r" + not LF */
		break;
	case D_CR:
		if (c == '\n') {
			body_put(s, "\r\n", 2);
			s->dstate = D_BOL;
			s->dline = 0;
			return 0;
		}
		s->dbad |= PROTO_BAD_CRLF;	/* bare CR */
		break;
	case D_TEXT:
		break;
	}
	if (c == '\r') {
		s->dstate = D_CR;
		return 0;
	}
	/* Never D_BOL after a bare LF: "\n.\r\n" must not end the data. */
	s->dstate = D_TEXT;
	if (c == '\n')
		s->dbad |= PROTO_BAD_CRLF;
	else if (c == '\0')
		s->dbad |= PROTO_BAD_NUL;
	else
		data_text(s, &c, &c + 1);
	return 0;
}

/* Consume DATA input.  Returns 1 once the terminator was consumed. */
static int
proto_data(struct proto_session *s)
{
	const unsigned char *p, *end;

	if (s->in.len == s->in_off)
		return 0;
	p = (const unsigned char *)s->in.data + s->in_off;
	end = (const unsigned char *)s->in.data + s->in.len;
	while (p < end) {
		if ((s->dstate == D_TEXT || s->dstate == D_BOL) &&
		    plain(*p) && *p != '.') {
			p = data_text(s, p, end);
			continue;
		}
		if (data_octet(s, *p++)) {
			s->in_off = (size_t)(p - (const unsigned char *)
			    s->in.data);
			return 1;
		}
	}
	s->in_off = s->in.len;
	return 0;
}

enum proto_status
proto_run(struct proto_session *s)
{
	enum proto_status st = PROTO_WANT_INPUT;

	for (;;) {
		if (s->state == PROTO_S_CLOSED) {
			st = PROTO_CLOSE;
			break;
		}
		if (s->state == PROTO_S_COMMIT) {
			st = PROTO_WANT_COMMIT;
			break;
		}
		if (s->out.len >= PROTO_OUT_MAX) {
			st = PROTO_WANT_OUTPUT;
			break;
		}
		if (s->state == PROTO_S_DATA) {
			if (!proto_data(s))
				break;
			session_data_end(s);
		} else if (s->proto == PROTO_SOCKETMAP) {
			if (!socketmap_step(s))
				break;
		} else if (!proto_line(s))
			break;
	}
	buf_consume(&s->in, s->in_off);
	s->in_off = 0;
	return st;
}

struct ingest *
proto_commit_item(struct proto_session *s)
{
	return &s->ing;
}

/* Write the replies for a committed (INGEST_OK) or failed group. */
void
proto_commit_done(struct proto_session *s, enum ingest_outcome o)
{
	const struct ingest_status *st = ingest_status(o);
	char qid[PROTO_QID_MAX + 48];
	const char *a;
	size_t i;

	if (o == INGEST_OK) {
		s->nmsg++;
		snprintf(qid, sizeof(qid), "%s.%lu.%lu", s->conf.qid_prefix,
		    s->id, s->nmsg);
		log_info("%s: %s: message queued for %zu recipient%s, "
		    "%zu bytes", s->logid, qid, s->ing.nrcpts,
		    s->ing.nrcpts == 1 ? "" : "s", s->ing.len);
		if (s->proto == PROTO_SMTP)
			proto_reply(s, st->code, st->enh, "%s: queued as %s",
			    st->text, qid);
		for (i = 0, a = s->accepted.data; s->proto == PROTO_LMTP &&
		    i < s->naccepted; i++, a += strlen(a) + 1)
			proto_reply(s, st->code, st->rcpt_enh,
			    "<%s> %s: queued as %s", a, st->text, qid);
	} else {
		log_warnx("%s: message not queued: %s", s->logid,
		    o == INGEST_FULL ? "disk full" : "commit failed");
		proto_reply_data(s, st->code, st->enh, st->text);
	}
	s->state = PROTO_S_READY;
	proto_reset(s);
}

int
proto_commit_group(struct proto_session *const *ss, size_t n,
    const struct server_hooks *hooks, void *arg)
{
	struct ingest **items;
	enum ingest_outcome o;
	size_t i;

	if (n == 0)
		return 0;
	items = xcalloc(n, sizeof(*items));
	for (i = 0; i < n; i++)
		items[i] = &ss[i]->ing;
	o = hooks->commit(arg, (struct ingest *const *)items, n);
	for (i = 0; i < n; i++)
		proto_commit_done(ss[i], o);
	free(items);
	return o == INGEST_OK ? 0 : -1;
}
