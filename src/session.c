/*
 * session.c — the LMTP (RFC 2033) and SMTP (RFC 5321) verbs: one table of
 * {verb, protocols, run}, the command-order rules, MAIL parameters (SIZE,
 * BODY), recipients, and what happens at the final dot.
 *
 * LMTP and SMTP differ in the greeting verb (LHLO versus EHLO/HELO; the
 * wrong one gets 500 5.5.1 so that a misconfigured MTA notices) and in the
 * replies after DATA (one per accepted recipient in LMTP, RFC 2033 §4.2).
 *
 * Owns nothing beyond the session (proto.h).  Fails: never; every outcome
 * is a reply, and hook failures are 4xx.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ingest_status.h"
#include "log.h"
#include "proto.h"

#define V_LMTP	0x01
#define V_SMTP	0x02
#define V_ALL	(V_LMTP | V_SMTP)

struct verb {
	const char	*name;
	int		 protos;
	void		(*run)(struct proto_session *, char *arg);
};

static void verb_hello(struct proto_session *, char *);
static void verb_helo(struct proto_session *, char *);
static void verb_mail(struct proto_session *, char *);
static void verb_rcpt(struct proto_session *, char *);
static void verb_data(struct proto_session *, char *);
static void verb_rset(struct proto_session *, char *);
static void verb_noop(struct proto_session *, char *);
static void verb_quit(struct proto_session *, char *);
static void verb_vrfy(struct proto_session *, char *);
static void verb_help(struct proto_session *, char *);

static const struct verb verbs[] = {
	{ "LHLO", V_LMTP, verb_hello },
	{ "EHLO", V_SMTP, verb_hello },
	{ "HELO", V_SMTP, verb_helo },
	{ "MAIL", V_ALL,  verb_mail },
	{ "RCPT", V_ALL,  verb_rcpt },
	{ "DATA", V_ALL,  verb_data },
	{ "RSET", V_ALL,  verb_rset },
	{ "NOOP", V_ALL,  verb_noop },
	{ "QUIT", V_ALL,  verb_quit },
	{ "VRFY", V_ALL,  verb_vrfy },
	{ "HELP", V_ALL,  verb_help },
};

void
session_command(struct proto_session *s, char *line)
{
	const struct verb *v = NULL;
	char *arg;
	size_t i;
	int mine;

	if ((arg = strchr(line, ' ')) != NULL)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcasecmp(line, verbs[i].name) == 0)
			v = &verbs[i];
	if (v == NULL) {
		log_debug("%s: unknown command", s->logid);
		proto_reply(s, 500, "5.5.2", "Command unrecognized");
		return;
	}
	mine = s->proto == PROTO_LMTP ? V_LMTP : V_SMTP;
	if ((v->protos & mine) == 0) {
		log_info("%s: %s on the %s port", s->logid, v->name,
		    s->proto == PROTO_LMTP ? "LMTP" : "SMTP");
		proto_reply(s, 500, "5.5.1", "%s not accepted here, use %s",
		    v->name, s->proto == PROTO_LMTP ? "LHLO" : "EHLO");
		return;
	}
	v->run(s, arg);
}

/* LHLO and EHLO: EHLO semantics, which include a reset. */
static void
verb_hello(struct proto_session *s, char *arg)
{
	if (*arg == '\0') {
		proto_reply(s, 501, "5.5.4", "Syntax: %s hostname",
		    s->proto == PROTO_LMTP ? "LHLO" : "EHLO");
		return;
	}
	if (s->state == PROTO_S_GREET)
		s->state = PROTO_S_READY;
	proto_reset(s);
	proto_reply_more(s, 250, "%s", s->conf.hostname);
	proto_reply_more(s, 250, "PIPELINING");
	proto_reply_more(s, 250, "SIZE %zu", s->conf.max_message_size);
	proto_reply_more(s, 250, "8BITMIME");
	proto_reply(s, 250, NULL, "ENHANCEDSTATUSCODES");
}

static void
verb_helo(struct proto_session *s, char *arg)
{
	if (*arg == '\0') {
		proto_reply(s, 501, "5.5.4", "Syntax: HELO hostname");
		return;
	}
	if (s->state == PROTO_S_GREET)
		s->state = PROTO_S_READY;
	proto_reset(s);
	proto_reply(s, 250, NULL, "%s", s->conf.hostname);
}

/*
 * SIZE=n (RFC 1870: 1*20DIGIT).  A value that is well formed but does not
 * fit in 64 bits is simply larger than any limit: 552, not 501.
 */
static int
param_size(struct proto_session *s, const char *v, size_t n)
{
	uint64_t size = 0;
	int huge = 0;
	size_t i;

	if (v == NULL || n == 0 || n > 20) {
		proto_reply(s, 501, "5.5.4", "Bad SIZE value");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9') {
			proto_reply(s, 501, "5.5.4", "Bad SIZE value");
			return -1;
		}
		if (size > (UINT64_MAX - 9) / 10)
			huge = 1;
		else
			size = size * 10 + (uint64_t)(v[i] - '0');
	}
	if (huge || size > s->conf.max_message_size) {
		proto_reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
		return -1;
	}
	return 0;
}

static int
param_body(struct proto_session *s, const char *v, size_t n)
{
	if (v != NULL && ((n == 4 && strncasecmp(v, "7BIT", 4) == 0) ||
	    (n == 8 && strncasecmp(v, "8BITMIME", 8) == 0)))
		return 0;
	proto_reply(s, 555, "5.5.4", "Unsupported BODY type");
	return -1;
}

/* MAIL parameters "KEY[=VALUE] ...".  0, or -1 once replied. */
static int
mail_params(struct proto_session *s, const char *p)
{
	const char *eq, *val;
	size_t len, klen;
	int seen_size = 0, seen_body = 0, rc;

	for (; *p != '\0'; p += len, p += strspn(p, " ")) {
		len = strcspn(p, " ");
		eq = memchr(p, '=', len);
		klen = eq != NULL ? (size_t)(eq - p) : len;
		val = eq != NULL ? eq + 1 : NULL;
		if (klen == 4 && strncasecmp(p, "SIZE", 4) == 0 && seen_size++)
			rc = 1;
		else if (klen == 4 && strncasecmp(p, "SIZE", 4) == 0)
			rc = param_size(s, val, len - klen - (val != NULL));
		else if (klen == 4 && strncasecmp(p, "BODY", 4) == 0 &&
		    seen_body++)
			rc = 1;
		else if (klen == 4 && strncasecmp(p, "BODY", 4) == 0)
			rc = param_body(s, val, len - klen - (val != NULL));
		else {
			proto_reply(s, 555, "5.5.4", "Unsupported parameter");
			rc = -1;
		}
		if (rc == 1)
			proto_reply(s, 501, "5.5.4", "Duplicate parameter");
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void
verb_mail(struct proto_session *s, char *arg)
{
	char sender[ADDR_MAX];
	const char *params, *error;

	if (s->state == PROTO_S_GREET) {
		proto_reply(s, 503, "5.5.1", "Send %s first",
		    s->proto == PROTO_LMTP ? "LHLO" : "EHLO or HELO");
		return;
	}
	if (s->state != PROTO_S_READY) {
		proto_reply(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) != 0) {
		proto_reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return;
	}
	if (addr_parse_path(arg + 5, 1, sender, &params, &error) < 0) {
		proto_reply(s, 501, "5.1.7", "Bad sender address: %s", error);
		return;
	}
	if (mail_params(s, params) < 0)
		return;
	memcpy(s->ing.sender, sender, sizeof(s->ing.sender));
	s->state = PROTO_S_MAIL;
	proto_reply(s, 250, "2.1.0", "Ok");
}

/* Room for one more recipient; the array only grows to max_recipients. */
static struct ingest_rcpt *
rcpt_slot(struct proto_session *s)
{
	if (s->ing.nrcpts == s->rcpt_cap) {
		s->rcpt_cap = s->rcpt_cap ? s->rcpt_cap * 2 : 8;
		if (s->rcpt_cap > (size_t)s->conf.max_recipients)
			s->rcpt_cap = (size_t)s->conf.max_recipients;
		s->ing.rcpts = xrealloc(s->ing.rcpts,
		    s->rcpt_cap * sizeof(*s->ing.rcpts));
	}
	memset(&s->ing.rcpts[s->ing.nrcpts], 0, sizeof(*s->ing.rcpts));
	return &s->ing.rcpts[s->ing.nrcpts];
}

static void
verb_rcpt(struct proto_session *s, char *arg)
{
	char addr[ADDR_MAX];
	const char *params, *error;
	const struct ingest_status *st;
	enum ingest_outcome o;
	struct ingest_rcpt *r;

	if (s->state != PROTO_S_MAIL) {
		proto_reply(s, 503, "5.5.1", "Need MAIL command first");
		return;
	}
	if (strncasecmp(arg, "TO:", 3) != 0) {
		proto_reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return;
	}
	if (addr_parse_path(arg + 3, 0, addr, &params, &error) < 0) {
		proto_reply(s, 501, "5.1.3", "Bad recipient address: %s",
		    error);
		return;
	}
	if (*params != '\0') {
		proto_reply(s, 555, "5.5.4", "Unsupported parameter");
		return;
	}
	if (s->naccepted >= (size_t)s->conf.max_recipients) {
		proto_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	r = rcpt_slot(s);
	memcpy(r->addr, addr, sizeof(r->addr));
	o = s->hooks->rcpt(s->arg, addr, r);
	st = ingest_status(o);
	switch (o) {
	case INGEST_OK:
		if (proto_rcpt_accept(s, addr, r))
			log_info("%s: duplicate recipient <%s>: one copy",
			    s->logid, addr);
		proto_reply(s, st->code, st->rcpt_enh, "%s", st->text);
		break;
	case INGEST_NOUSER:
		log_info("%s: unknown recipient <%s>", s->logid, addr);
		proto_reply(s, st->code, st->rcpt_enh, "<%s>: %s", addr,
		    st->text);
		break;
	default:
		proto_reply(s, st->code, st->rcpt_enh, "%s", st->text);
		break;
	}
}

static void
verb_data(struct proto_session *s, char *arg)
{
	if (s->state != PROTO_S_MAIL) {
		proto_reply(s, 503, "5.5.1", "Need MAIL command first");
		return;
	}
	if (s->naccepted == 0) {
		proto_reply(s, 503, "5.5.1", "No valid recipients");
		return;
	}
	if (*arg != '\0') {
		proto_reply(s, 501, "5.5.4", "Syntax: DATA");
		return;
	}
	proto_data_begin(s);
	proto_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

/* Why a finished DATA phase is refused; NULL when it is not. */
static const char *
data_refusal(const struct proto_session *s, enum ingest_outcome *o_r)
{
	*o_r = INGEST_BAD_DATA;
	if (s->dbad & PROTO_BAD_CRLF)
		return "bare CR or LF in data";
	if (s->dbad & PROTO_BAD_NUL)
		return "NUL in data";
	if (s->dbad & PROTO_BAD_LINE)
		return "text line over 1000 octets";
	*o_r = INGEST_TOO_BIG;
	if (s->dbad & PROTO_BAD_SIZE)
		return "message too big";
	return NULL;
}

/* A hook's text, made fit for a log line and a reply. */
static void
text_clean(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 32 || dst[i] == 127)
			dst[i] = '?';
}

void
session_data_end(struct proto_session *s)
{
	const struct ingest_status *st;
	const char *why, *error = NULL;
	enum ingest_outcome o;
	char text[256];

	if ((why = data_refusal(s, &o)) != NULL) {
		st = ingest_status(o);
		log_info("%s: rejected: %s (%zu bytes)", s->logid, why,
		    s->dsize);
		snprintf(text, sizeof(text), "%s: %s", st->text, why);
		proto_reply_data(s, st->code, st->enh, text);
		proto_reset(s);
		return;
	}
	s->ing.body = s->body.data;
	s->ing.len = s->body.len;
	if ((o = s->hooks->validate(s->arg, s->ing.body, s->ing.len,
	    &error)) != INGEST_OK) {
		st = ingest_status(o);
		text_clean(text, sizeof(text), error != NULL ? error :
		    st->text);
		log_info("%s: rejected: %s", s->logid, text);
		proto_reply_data(s, st->code, st->enh, text);
		proto_reset(s);
		return;
	}
	s->state = PROTO_S_COMMIT;
}

static void
verb_rset(struct proto_session *s, char *arg)
{
	(void)arg;
	proto_reset(s);
	proto_reply(s, 250, "2.0.0", "Ok");
}

static void
verb_noop(struct proto_session *s, char *arg)
{
	(void)arg;
	proto_reply(s, 250, "2.0.0", "Ok");
}

static void
verb_quit(struct proto_session *s, char *arg)
{
	(void)arg;
	proto_reset(s);
	proto_reply(s, 221, "2.0.0", "%s closing connection",
	    s->conf.hostname);
	s->state = PROTO_S_CLOSED;
}

static void
verb_vrfy(struct proto_session *s, char *arg)
{
	if (*arg == '\0') {
		proto_reply(s, 501, "5.5.4", "Syntax: VRFY address");
		return;
	}
	proto_reply(s, 252, "2.5.2", "Cannot VRFY user, but will accept "
	    "message and attempt delivery");
}

static void
verb_help(struct proto_session *s, char *arg)
{
	(void)arg;
	proto_reply(s, 214, "2.0.0", "Commands: %s MAIL RCPT DATA RSET NOOP "
	    "QUIT VRFY HELP", s->proto == PROTO_LMTP ? "LHLO" : "EHLO HELO");
}
