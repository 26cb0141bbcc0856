/*
 * relay_txn.c — sending transactions over a relay connection (relay.h).
 *
 * Owns: the state of each recipient while one relay_send() call runs.
 *
 * Pipelining (RFC 2920): MAIL, every RCPT and DATA go out in one write;
 * after the 354, the body, the final dot and the next transaction's
 * commands go out in one more write, so n transactions cost n + 1 round
 * trips whatever their recipients.  Replies are read strictly in the
 * order of the commands they answer and counted.  A reply that cannot
 * belong to its command (a code of the wrong class, more replies than
 * commands, bad syntax caught in relay.c) aborts the session, and every
 * recipient whose replies can no longer be trusted is deferred, never
 * guessed.
 *
 * Fails: relay_send returns -1 when the connection can no longer be used
 * (421, loss, timeout, protocol fault); recipients without a final reply
 * are then OUT_TEMP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "relay.h"
#include "relay_int.h"

/* Recipient states during one relay_send() call. */
enum rstate {
	RS_LOCAL,	/* decided here, never sent */
	RS_SENT,	/* RCPT queued or sent, no reply yet */
	RS_ACCEPTED,	/* RCPT 2xx, waiting for the final reply */
	RS_FINAL,	/* got its final reply */
};

/* One relay_send() call: the transactions and their recipients' states. */
struct send {
	struct relay_conn	*c;
	struct relay_txn	*txns;
	size_t			 n;
	unsigned char		*st;	/* one per recipient, all txns */
	size_t			*base;	/* first index in st of each txn */
};

/* ---- queuing commands ----------------------------------------------- */

void
relay_txn_fill(struct relay_txn *t)
{
	if (t->body == NULL && t->fill != NULL)
		t->fill(t, t->fill_arg);
}

/* Any byte above 0x7f?  Eight bytes at a time. */
int
relay_body_8bit(const char *p, size_t len)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080ULL) != 0;
}

static void
queue_mail(struct relay_conn *c, const struct relay_txn *t)
{
	buf_puts(&c->w, "MAIL FROM:<");
	buf_puts(&c->w, t->from);
	buf_putc(&c->w, '>');
	if (c->size_max > 0)
		buf_printf(&c->w, " SIZE=%zu", t->len);
	if (c->eightbit && (t->body8 > 0 ||
	    (t->body8 == 0 && relay_body_8bit(t->body, t->len))))
		buf_puts(&c->w, " BODY=8BITMIME");
	buf_puts(&c->w, "\r\n");
}

/* ORCPT=rfc822;ADDR (RFC 3461 §4.2) with ADDR as xtext: '+', '=' and
 * anything outside '!'..'~' as +HH. */
static void
queue_orcpt(struct relay_conn *c, const char *addr)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)addr, *run;
	char esc[3] = { '+', 0, 0 };

	buf_puts(&c->w, " ORCPT=rfc822;");
	while (*p != '\0') {
		for (run = p; *p >= '!' && *p <= '~' && *p != '+' && *p != '=';
		    p++)
			;
		buf_append(&c->w, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		buf_append(&c->w, esc, sizeof(esc));
		p++;
	}
}

static void
queue_rcpt(struct relay_conn *c, const struct relay_txn *t, const char *addr)
{
	buf_puts(&c->w, "RCPT TO:<");
	buf_puts(&c->w, addr);
	buf_putc(&c->w, '>');
	if (t->orcpt && c->dsn)
		queue_orcpt(c, addr);
	buf_puts(&c->w, "\r\n");
}

/* MAIL, the RCPT of every recipient still to send, and DATA. */
static void
queue_cmds(struct send *s, size_t i)
{
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	size_t k;

	queue_mail(s->c, t);
	for (k = 0; k < t->nrcpts; k++)
		if (st[k] != RS_LOCAL)
			queue_rcpt(s->c, t, t->rcpts[k].addr);
	buf_puts(&s->c->w, "DATA\r\n");
}

/* The body, dot-stuffed (RFC 5321 §4.5.2), and the final dot. */
static void
queue_body(struct relay_conn *c, const char *p, size_t len)
{
	const char *end = p + len, *nl;

	buf_reserve(&c->w, len + len / 32 + 8);
	if (len > 0 && *p == '.')
		buf_putc(&c->w, '.');
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		buf_append(&c->w, p, (size_t)(nl + 1 - p));
		p = nl + 1;
		if (p < end && *p == '.')
			buf_putc(&c->w, '.');
	}
	buf_append(&c->w, p, (size_t)(end - p));
	if (len > 0 && (len < 2 || end[-2] != '\r' || end[-1] != '\n'))
		buf_puts(&c->w, "\r\n");
	buf_puts(&c->w, ".\r\n");
}

/* ---- applying replies ----------------------------------------------- */

/* Set every recipient of txn i in state `from` to an outcome. */
static void
txn_set(struct send *s, size_t i, unsigned char from, enum outcome o,
    const struct relay_reply *r)
{
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	size_t k;

	for (k = 0; k < t->nrcpts; k++)
		if (st[k] == from) {
			relay_rcpt_set(&t->rcpts[k], o, r->code, r->text);
			st[k] = RS_FINAL;
		}
}

/* 1 MAIL accepted, 0 refused (recipients deferred), -1 broken. */
static int
reply_mail(struct send *s, size_t i, const struct relay_reply *r)
{
	if (r->code == 421)
		return relay_fail(s->c, RF_421, "%s", r->text);
	if (r->code / 100 == 2)
		return 1;
	if (r->code / 100 != 4 && r->code / 100 != 5)
		return relay_reply_unexpected(s->c, "MAIL", r);
	if (r->code / 100 == 5)
		log_warnx("relay: MAIL FROM:<%s> refused by our own relay "
		    "(check its configuration; recipients deferred): %s",
		    s->txns[i].from, r->text);
	txn_set(s, i, RS_SENT, OUT_TEMP, r);
	return 0;
}

static int
reply_rcpt(struct send *s, size_t i, size_t k, const struct relay_reply *r)
{
	struct store_rcpt *rc = &s->txns[i].rcpts[k];
	unsigned char *st = &s->st[s->base[i] + k];

	if (r->code == 421)
		return relay_fail(s->c, RF_421, "%s", r->text);
	if (*st != RS_SENT)		/* MAIL was refused: keep its outcome */
		return 0;
	if (r->code / 100 == 2) {
		*st = RS_ACCEPTED;
		return 0;
	}
	if (r->code / 100 != 4 && r->code / 100 != 5)
		return relay_reply_unexpected(s->c, "RCPT", r);
	/* 552 on RCPT means "too many recipients": retry it later. */
	relay_rcpt_set(rc, r->code / 100 == 4 || r->code == 552 ? OUT_TEMP :
	    OUT_PERM, r->code, r->text);
	*st = RS_FINAL;
	return 0;
}

/* 1 go ahead (354), 0 refused (accepted recipients decided), -1 broken. */
static int
reply_data(struct send *s, size_t i, const struct relay_reply *r)
{
	if (r->code == 421)
		return relay_fail(s->c, RF_421, "%s", r->text);
	if (r->code == 354)
		return relay_reply_none_pending(s->c) < 0 ? -1 : 1;
	if (r->code / 100 != 4 && r->code / 100 != 5)
		return relay_reply_unexpected(s->c, "DATA", r);
	txn_set(s, i, RS_ACCEPTED, r->code / 100 == 4 ? OUT_TEMP : OUT_PERM, r);
	return 0;
}

/* The final reply r applies to the accepted recipients of txn i (SMTP),
 * or to recipient k only (LMTP). */
static int
reply_final(struct send *s, size_t i, size_t k, const struct relay_reply *r)
{
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	enum outcome o;
	size_t j;

	if (r->code == 421)
		return relay_fail(s->c, RF_421, "%s", r->text);
	if (r->code / 100 == 3)
		return relay_reply_unexpected(s->c, "end of data", r);
	o = r->code / 100 == 2 ? OUT_OK : r->code / 100 == 4 ? OUT_TEMP :
	    OUT_PERM;
	for (j = 0; j < t->nrcpts; j++)
		if (st[j] == RS_ACCEPTED && (s->c->kind == RELAY_SMTP ||
		    j == k)) {
			relay_rcpt_set(&t->rcpts[j], o, r->code, r->text);
			st[j] = RS_FINAL;
		}
	return 0;
}

/* Replies after the dot: one (SMTP) or one per accepted recipient
 * (LMTP, RFC 2033 §4.2). */
static int
read_final(struct send *s, size_t i)
{
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	struct relay_reply r;
	size_t k, nacc = 0;

	for (k = 0; k < t->nrcpts; k++)
		nacc += st[k] == RS_ACCEPTED;
	if (nacc == 0 && s->c->kind == RELAY_LMTP)
		return relay_fail(s->c, RF_PROTO, "LMTP relay accepted DATA "
		    "without recipients");
	if (s->c->kind == RELAY_SMTP) {
		if (relay_reply_read(s->c, &r, NULL) < 0)
			return -1;
		return reply_final(s, i, 0, &r);
	}
	for (k = 0; k < t->nrcpts; k++) {
		if (st[k] != RS_ACCEPTED)
			continue;
		if (relay_reply_read(s->c, &r, NULL) < 0 ||
		    reply_final(s, i, k, &r) < 0)
			return -1;
	}
	return 0;
}

/* Reply to MAIL, each RCPT and DATA: 1 on 354, 0 when refused, -1. */
static int
read_cmd_replies(struct send *s, size_t i)
{
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	struct relay_reply r;
	size_t k;

	if (relay_reply_read(s->c, &r, NULL) < 0 || reply_mail(s, i, &r) < 0)
		return -1;
	for (k = 0; k < t->nrcpts; k++) {
		if (st[k] == RS_LOCAL)
			continue;
		if (relay_reply_read(s->c, &r, NULL) < 0 ||
		    reply_rcpt(s, i, k, &r) < 0)
			return -1;
	}
	if (relay_reply_read(s->c, &r, NULL) < 0)
		return -1;
	return reply_data(s, i, &r);
}

static int
read_rset(struct relay_conn *c)
{
	struct relay_reply r;

	if (relay_reply_read(c, &r, NULL) < 0)
		return -1;
	if (r.code == 421)
		return relay_fail(c, RF_421, "%s", r.text);
	if (r.code / 100 != 2)
		return relay_reply_unexpected(c, "RSET", &r);
	return 0;
}

/* ---- the two drivers ------------------------------------------------ */

/*
 * The session broke while txn `from` was in progress: every recipient
 * from there on without a final reply is deferred.  After a protocol
 * violation no reply of that transaction is trusted.
 */
static int
send_abort(struct send *s, size_t from)
{
	struct relay_conn *c = s->c;
	char text[sizeof(c->err) + 64];
	size_t i, k;
	int revert = c->fault == RF_PROTO, code = c->fault == RF_421 ? 421 : 451;
	unsigned char *st;

	if (c->fault == RF_NONE)
		relay_fail(c, RF_LOST, "connection lost");
	if (c->fault == RF_LOST)
		snprintf(text, sizeof(text), "connection lost before final "
		    "reply: %s", c->err);
	else
		snprintf(text, sizeof(text), "%s", c->err);
	log_warnx("relay: session aborted: %s", c->err);
	for (i = from; i < s->n; i++) {
		st = s->st + s->base[i];
		for (k = 0; k < s->txns[i].nrcpts; k++)
			if (st[k] != RS_LOCAL && (st[k] != RS_FINAL || revert))
				relay_rcpt_set(&s->txns[i].rcpts[k], OUT_TEMP,
				    code, text);
	}
	return -1;
}

/* Index of the first transaction from i on with something to send. */
static size_t
txn_next(struct send *s, size_t i)
{
	size_t k;

	for (; i < s->n; i++)
		for (k = 0; k < s->txns[i].nrcpts; k++)
			if (s->st[s->base[i] + k] != RS_LOCAL)
				return i;
	return s->n;
}

/* RFC 2920: each round trip carries the end of one transaction and the
 * whole command group of the next. */
static int
send_pipelined(struct send *s)
{
	struct relay_conn *c = s->c;
	size_t i, next;
	int go;

	if ((i = txn_next(s, 0)) == s->n)
		return 0;
	queue_cmds(s, i);
	while (i < s->n) {
		if (relay_io_flush(c) < 0 || (go = read_cmd_replies(s, i)) < 0)
			return send_abort(s, i);
		next = txn_next(s, i + 1);
		if (go) {
			relay_txn_fill(&s->txns[i]);
			queue_body(c, s->txns[i].body, s->txns[i].len);
		} else
			buf_puts(&c->w, "RSET\r\n");
		if (next < s->n)
			queue_cmds(s, next);
		if (relay_io_flush(c) < 0)
			return send_abort(s, i);
		/* While the relay takes this one in: the next one's body. */
		if (next < s->n)
			relay_txn_fill(&s->txns[next]);
		if ((go ? read_final(s, i) : read_rset(c)) < 0)
			return send_abort(s, i);
		if (next == s->n && relay_reply_none_pending(c) < 0)
			return send_abort(s, i);
		i = next;
	}
	return 0;
}

/* Send what is in c->w and read one reply. */
static int
cmd(struct relay_conn *c, struct relay_reply *r)
{
	if (relay_io_flush(c) < 0 || relay_reply_read(c, r, NULL) < 0)
		return -1;
	return 0;
}

/* Without PIPELINING: one command, one reply. */
static int
send_txn_serial(struct send *s, size_t i)
{
	struct relay_conn *c = s->c;
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	struct relay_reply r;
	size_t k, nacc = 0;
	int rc;

	queue_mail(c, t);
	if (cmd(c, &r) < 0 || (rc = reply_mail(s, i, &r)) < 0)
		return -1;
	for (k = 0; rc == 1 && k < t->nrcpts; k++) {
		if (st[k] == RS_LOCAL)
			continue;
		queue_rcpt(c, t, t->rcpts[k].addr);
		if (cmd(c, &r) < 0 || reply_rcpt(s, i, k, &r) < 0)
			return -1;
		nacc += st[k] == RS_ACCEPTED;
	}
	if (nacc > 0) {
		buf_puts(&c->w, "DATA\r\n");
		if (cmd(c, &r) < 0 || (rc = reply_data(s, i, &r)) < 0)
			return -1;
		if (rc == 1) {
			relay_txn_fill(t);
			queue_body(c, t->body, t->len);
			return relay_io_flush(c) < 0 ? -1 : read_final(s, i);
		}
	}
	buf_puts(&c->w, "RSET\r\n");
	return relay_io_flush(c) < 0 ? -1 : read_rset(c);
}

static int
send_serial(struct send *s)
{
	size_t i;

	for (i = txn_next(s, 0); i < s->n; i = txn_next(s, i + 1))
		if (send_txn_serial(s, i) < 0)
			return send_abort(s, i);
	return 0;
}

/* ---- relay_send ------------------------------------------------------ */

/* Decide here what must not be sent: bad addresses, oversized messages. */
static void
send_check(struct send *s, size_t i)
{
	struct relay_txn *t = &s->txns[i];
	unsigned char *st = s->st + s->base[i];
	struct relay_conn *c = s->c;
	char text[128];
	size_t k;
	int from_ok = relay_addr_ok(t->from, 1);

	if (t->body8 == 0)
		relay_txn_fill(t);	/* BODY=8BITMIME needs to see it */
	for (k = 0; k < t->nrcpts; k++) {
		st[k] = RS_SENT;
		if (!from_ok)
			relay_rcpt_set(&t->rcpts[k], OUT_TEMP, 451,
			    "451 4.1.7 invalid sender address, not sent");
		else if (!relay_addr_ok(t->rcpts[k].addr, 0))
			relay_rcpt_set(&t->rcpts[k], OUT_PERM, 553,
			    "553 5.1.3 invalid recipient address, not sent");
		else if (c->size_max > 0 && t->len > c->size_max) {
			snprintf(text, sizeof(text), "552 5.3.4 message of %zu "
			    "bytes exceeds the relay's limit of %zu", t->len,
			    c->size_max);
			relay_rcpt_set(&t->rcpts[k], OUT_PERM, 552, text);
		} else {
			relay_rcpt_set(&t->rcpts[k], OUT_TEMP, 451,
			    "451 4.3.0 not sent");
			continue;
		}
		st[k] = RS_LOCAL;
	}
	if (!from_ok && t->nrcpts > 0)
		log_warnx("relay: invalid envelope sender, %zu recipients "
		    "deferred", t->nrcpts);
}

int
relay_send(struct relay_conn *c, struct relay_txn *txns, size_t n)
{
	struct send s;
	size_t i, total = 0;
	int rc;

	if (c->kind == RELAY_MAILDIR) {
		for (i = 0; i < n; i++)
			relay_txn_fill(&txns[i]);
		relay_maildir_send(c->dir, txns, n);
		return 0;
	}
	c->sends++;
	c->answers_at_send = c->answers;
	for (i = 0; i < n; i++)
		total += txns[i].nrcpts;
	s.c = c;
	s.txns = txns;
	s.n = n;
	s.base = xmalloc((n + 1) * sizeof(*s.base) + total);
	s.st = (unsigned char *)(s.base + n + 1);
	for (i = 0, total = 0; i < n; i++) {
		s.base[i] = total;
		total += txns[i].nrcpts;
		send_check(&s, i);
	}
	buf_reset(&c->w);
	if (c->fault != RF_NONE)
		rc = send_abort(&s, 0);
	else
		rc = c->pipelining ? send_pipelined(&s) : send_serial(&s);
	free(s.base);
	return rc;
}
