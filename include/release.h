/*
 * release.h — the one path from a decided post to its delivery: the
 * outgoing copy (list headers, subject prefix, footer), the envelope
 * sender, Archived-At, the fan-out job and the author's following of
 * the thread.  Whoever decided (the processor on arrival, a moderator
 * by mail or from the shell, a hold deadline, an appeal) releases the
 * post here, so a step added to the way out (VERP, DMARC From
 * rewriting) is written once.
 */
#ifndef POSTINO_RELEASE_H
#define POSTINO_RELEASE_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "store.h"

struct list_ctx;
struct msg;

/* An accepted post on its way out, prepared before the write lock. */
struct release {
	struct buf	 body;		/* the decorated copy */
	struct buf	 env_from;	/* envelope sender */
	char		*archive_url;	/* for Archived-At; "" none */
	int		 per_rcpt;	/* one transaction per recipient */
	int64_t		 author_member;	/* follows the thread; 0 nobody */
	char		*dmarc_domain;	/* looked up: cached on commit */
	int		 dmarc_policy;	/* enum dmarc_policy */
	time_t		 dmarc_expires;
};

/*
 * Build the copy of m for list lc, reading only.  author_member (0: the
 * author is no member) will follow the thread.  0, or -1 (logged).
 */
int	 release_prepare(const struct list_ctx *, const struct msg *m,
	    int64_t author_member, struct release *);
/*
 * Queue the prepared copy of post p (p->id set) in the caller's
 * transaction: Archived-At, fan-out job, thread follow.  0, or -1.
 */
int	 release_commit(struct store *, struct release *,
	    const struct store_post *p);
void	 release_clear(struct release *);

/* Both, for stored post p decided later (its author looked up now). */
int	 release_post(const struct list_ctx *, const struct store_post *p);

/* The list's footer as it ends its digests (never personal): appended
 * to out, nothing when the list has footer = no.  0, or -1. */
int	 release_footer(const struct list_ctx *, struct buf *out);

#endif
