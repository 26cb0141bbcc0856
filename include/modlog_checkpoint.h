/*
 * modlog_checkpoint.h — signed checkpoints of a list's moderation log
 * (modlog_checkpoint.c), the way Certificate Transparency signs tree
 * heads: the list's Ed25519 key (token.h) signs (list, count, head hash,
 * time); members keep what they received; `postino log verify
 * --checkpoint` proves the log still extends one.
 *
 * Signed on demand, when one is published: the latest kept checkpoint
 * is reused while the log's head has not moved, otherwise a new one is
 * signed and kept (table modlog_checkpoints).  Needs the keys
 * (token_init).
 */
#ifndef POSTINO_MODLOG_CHECKPOINT_H
#define POSTINO_MODLOG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"

struct buf;
struct store;

/*
 * The latest signed checkpoint of the list (list_addr goes in the signed
 * text).  When the log no longer holds the kept checkpoint's entry with
 * its hash (rows deleted or rewritten behind postino's back), the kept
 * one is returned as it is and a warning logged: postino never signs
 * over a log that does not extend what it published.  0, or -1 on a
 * store error.
 */
int	 modlog_checkpoint_latest(struct store *, int64_t list_id,
	    const char *list_addr, struct checkpoint *);
/* The same as its one-line text (the {{checkpoint}} of the log mails),
 * appended to out. */
int	 modlog_checkpoint_line(struct store *, int64_t list_id,
	    const char *list_addr, struct buf *out);
/*
 * Does the list's log still extend cp?  0 yes, 1 no, -1 store error;
 * why gets one line saying which (what is missing, what differs).
 */
int	 modlog_checkpoint_verify(struct store *, int64_t list_id,
	    const char *list_addr, const struct checkpoint *, struct buf *why);

/* The newest `limit` entries (0: all) as postino-log-entry lines (see
 * modlog_checkpoint.c), appended to out.  pseudonym: the list's
 * modlog_names.  0, or -1 on a store error. */
int	 modlog_chain_lines(struct store *, int64_t list_id, int pseudonym,
	    size_t limit, struct buf *out);

#endif
