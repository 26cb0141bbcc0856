/*
 * ingest.h — accepting a message: the one door for LMTP, SMTP and pipe
 * mode.
 *
 * A recipient is checked through the router, a message is parsed once
 * to refuse what the processor could not read, and accepted messages
 * are committed durably (a group of them in one transaction for the
 * server, one for `postino deliver`).  Every answer is an ingest outcome;
 * ingest_status() maps it to a reply or an exit code.  A damaged
 * database (store_damaged()) makes every answer INGEST_TEMPFAIL, so that
 * nothing is acknowledged that could not be kept.
 */
#ifndef POSTINO_INGEST_H
#define POSTINO_INGEST_H

#include <stddef.h>

#include "config.h"
#include "ingest_status.h"
#include "store.h"

struct ingest_ctx {
	struct store		*st;	/* a STORE_DURABLE handle, borrowed */
	struct store		*st_commit; /* the server's committer
					 * thread's own; NULL: st */
	const struct config	*cfg;	/* the one in force; its owner swaps
					 * it on reload */
	/* Called after each successful commit (the server wakes the
	 * processor); NULL for none. */
	void			(*stored)(void *arg);
	void			*stored_arg;
};

/* Is addr one of ours?  INGEST_OK with r filled, INGEST_NOUSER, or
 * INGEST_TEMPFAIL. */
enum ingest_outcome ingest_rcpt_check(const struct ingest_ctx *,
	    const char *addr, struct ingest_rcpt *r);
/* INGEST_OK, or INGEST_MALFORMED with a static *error_r. */
enum ingest_outcome ingest_validate(const char *body, size_t len,
	    const char **error_r);
/* Store items in one transaction: INGEST_OK when all are durable, else
 * none is (INGEST_FULL or INGEST_TEMPFAIL). */
enum ingest_outcome ingest_commit(const struct ingest_ctx *,
	    struct ingest *const *items, size_t n);
/* Pipe mode: store one message from sender ("" = null sender) for the
 * recipient r found by ingest_rcpt_check(); as ingest_commit(). */
enum ingest_outcome ingest_message(const struct ingest_ctx *,
	    const char *sender, struct ingest_rcpt *r, const char *body,
	    size_t len);

#endif
