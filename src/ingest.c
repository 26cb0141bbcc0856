/*
 * ingest.c — what accepting a message means, for the server's hooks
 * (LMTP, SMTP) and for pipe mode (`postino deliver`): route the
 * recipient, parse the message once, commit durably, wake the processor.
 *
 * Owns nothing: the store and the config are the caller's.  Failures are
 * logged where they happen (the store logs its own) and answered with an
 * ingest outcome; the caller replies or exits through ingest_status().
 */
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "msg.h"
#include "router.h"
#include "store.h"

enum ingest_outcome
ingest_rcpt_check(const struct ingest_ctx *in, const char *addr,
    struct ingest_rcpt *r)
{
	if (store_damaged())
		return INGEST_TEMPFAIL;
	switch (router_rcpt(in->st, in->cfg->recipient_delimiter, addr, r)) {
	case 1:
		return INGEST_OK;
	case 0:
		return INGEST_NOUSER;
	default:
		return INGEST_TEMPFAIL;
	}
}

enum ingest_outcome
ingest_validate(const char *body, size_t len, const char **error_r)
{
	struct msg *m = NULL;

	if (msg_parse(body, len, &m, error_r) < 0)
		return INGEST_MALFORMED;
	msg_free(&m);
	return INGEST_OK;
}

enum ingest_outcome
ingest_commit(const struct ingest_ctx *in, struct ingest *const *items,
    size_t n)
{
	struct store *st = in->st_commit != NULL ? in->st_commit : in->st;

	if (store_damaged())
		return INGEST_TEMPFAIL;
	if (store_ingest(st, items, n) < 0)
		return store_error_full(st) ? INGEST_FULL : INGEST_TEMPFAIL;
	if (in->stored != NULL)
		in->stored(in->stored_arg);
	return INGEST_OK;
}

enum ingest_outcome
ingest_message(const struct ingest_ctx *in, const char *sender,
    struct ingest_rcpt *r, const char *body, size_t len)
{
	struct ingest item, *items[1];

	memset(&item, 0, sizeof(item));
	snprintf(item.sender, sizeof(item.sender), "%s", sender);
	item.rcpts = r;
	item.nrcpts = 1;
	item.body = body;
	item.len = len;
	items[0] = &item;
	return ingest_commit(in, items, 1);
}
