/*
 * socketmap.c — Postfix socketmap look-ups: "is this a list address?"
 *
 * Postfix asks one question per netstring ("recipients team@example.org")
 * and waits for one netstring answer; the connection is kept for more.
 * The answer comes from the same rcpt hook as LMTP's RCPT TO, so the MTA
 * accepts exactly what postino would accept: every list and its command
 * addresses (cmdaddr.c: LIST+subscribe@, LIST-request@, ...), and no
 * other extension.  Postfix sends a
 * socketmap the full address only (socketmap_table(5): no partial keys),
 * but the partial keys other tables get are answered consistently: the
 * address without its extension is the list, and "@domain" or a bare
 * local part is NOTFOUND (never a wildcard).
 *
 * Framing is strict: a length of 1 to 5 digits without leading zeros, a
 * colon, the payload, a comma.  A malformed netstring or one longer than
 * SOCKETMAP_REQ_MAX gets "PERM ..." and the connection is closed, since
 * nothing after it can be trusted to be in sync.  A well-framed but
 * unusable request (no space, unknown map, NUL in the key) gets PERM and
 * the session goes on.
 *
 * Owns nothing: the session (proto.c) owns the buffers.  Fails: never;
 * every input has a defined reply.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "proto.h"
#include "socketmap.h"
#include "store.h"

#define SOCKETMAP_DIGITS	5	/* "99999:" is the longest prefix */

int
socketmap_parse(const char *in, size_t len, size_t *used_r,
    const char **req_r, size_t *reqlen_r, const char **why_r)
{
	size_t i, n = 0;

	for (i = 0; i < len && in[i] >= '0' && in[i] <= '9'; i++) {
		if (i == SOCKETMAP_DIGITS || (i == 1 && in[0] == '0')) {
			*why_r = "bad netstring length";
			return -1;
		}
		n = n * 10 + (size_t)(in[i] - '0');
	}
	if (i == len)
		return 0;
	if (i == 0 || in[i] != ':') {
		*why_r = "bad netstring length";
		return -1;
	}
	if (n > SOCKETMAP_REQ_MAX) {
		*why_r = "request too long";
		return -1;
	}
	if (len < i + 1 + n + 1)
		return 0;
	if (in[i + 1 + n] != ',') {
		*why_r = "netstring not terminated by a comma";
		return -1;
	}
	*req_r = in + i + 1;
	*reqlen_r = n;
	*used_r = i + 1 + n + 1;
	return 1;
}

void
socketmap_reply(struct buf *out, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	buf_printf(out, "%d:%.*s,", n, n, text);
}

/* The key, checked like an RCPT TO address, then asked of the hook. */
static void
answer_key(const char *key, struct buf *out, const struct server_hooks *h,
    void *arg, const char *logid)
{
	struct ingest_rcpt r;
	char addr[ADDR_MAX];
	const char *why;

	if (strchr(key, '@') == NULL || key[0] == '@' ||
	    addr_normalize(key, addr, &why) < 0) {
		log_debug("%s: not an address: '%.80s'", logid, key);
		socketmap_reply(out, "NOTFOUND ");
		return;
	}
	memset(&r, 0, sizeof(r));
	switch (h->rcpt(arg, addr, &r)) {
	case INGEST_OK:
		log_debug("%s: <%s> found", logid, addr);
		socketmap_reply(out, "OK postino");
		break;
	case INGEST_NOUSER:
		log_info("%s: unknown recipient <%s>", logid, addr);
		socketmap_reply(out, "NOTFOUND ");
		break;
	default:
		socketmap_reply(out, "TEMP temporary failure, try again");
		break;
	}
}

void
socketmap_answer(const char *req, size_t n, struct buf *out,
    const struct server_hooks *h, void *arg, const char *logid)
{
	char text[SOCKETMAP_REQ_MAX + 1];
	const char *sp;
	size_t mlen = strlen(SOCKETMAP_MAP);

	if (n > SOCKETMAP_REQ_MAX || memchr(req, '\0', n) != NULL) {
		socketmap_reply(out, "PERM bad request");
		return;
	}
	memcpy(text, req, n);
	text[n] = '\0';
	if ((sp = strchr(text, ' ')) == NULL) {
		socketmap_reply(out, "PERM expected 'NAME KEY'");
		return;
	}
	if ((size_t)(sp - text) != mlen || memcmp(text, SOCKETMAP_MAP,
	    mlen) != 0) {
		log_warnx("%s: unknown map name (postino answers '%s')",
		    logid, SOCKETMAP_MAP);
		socketmap_reply(out, "PERM unknown map name, use "
		    SOCKETMAP_MAP);
		return;
	}
	answer_key(sp + 1, out, h, arg, logid);
}

int
socketmap_step(struct proto_session *s)
{
	const char *req, *why;
	size_t used, n;
	int rc;

	if (s->in_off >= s->in.len)
		return 0;
	rc = socketmap_parse(s->in.data + s->in_off, s->in.len - s->in_off,
	    &used, &req, &n, &why);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		log_info("%s: %s, closing", s->logid, why);
		socketmap_reply(&s->out, "PERM %s", why);
		s->in_off = s->in.len;
		s->state = PROTO_S_CLOSED;
		return 1;
	}
	socketmap_answer(req, n, &s->out, s->hooks, s->arg, s->logid);
	s->in_off += used;
	return 1;
}
