/*
 * process.h — the step after the acknowledgement: each inbox row is
 * routed (post or command), a post goes through the list's policy (loop,
 * automatic mail, membership, moderation) and, when accepted, becomes a
 * decorated fan-out job.  Runs in its own thread with its own store handle.
 */
#ifndef POSTINO_PROCESS_H
#define POSTINO_PROCESS_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "store.h"

/* A row that crashed the processor this many times is quarantined. */
#define PROCESS_MAX_ATTEMPTS	3
/* More Received: fields than this means a mail loop (Postfix uses 50). */
#define PROCESS_MAX_RECEIVED	50

struct process;

/*
 * Start the processor thread.  kick(kick_arg) is called after a job was
 * created, so the delivery engine starts at once.  0, or -1 with a
 * malloc'd *error_r.
 */
int	 process_start(const struct config *, void (*kick)(void *),
	    void *kick_arg, struct process **p_r, char **error_r);
/* Wake the processor: new inbox rows were committed. */
void	 process_kick(struct process *);
/* Finish the row in hand, stop the thread, free. */
void	 process_stop(struct process **);

/*
 * The outgoing copy of a post of list (headers, prefix, footer), and
 * whether it goes one transaction per recipient.  Used for posts a
 * moderator approves later.  0, or -1.
 */
struct msg;
struct buf;
int	 process_decorate(struct store *, const struct config *,
	    const struct store_list *, const struct msg *, struct buf *out,
	    int *per_rcpt_r);
/* Put "Archived-At: <archive_url/YYYY-MM/ID.html>" (RFC 5064) in front
 * of the outgoing copy of post post_id; nothing when archive_url is ""
 * or NULL. */
void	 process_archived_at(const char *archive_url, int64_t post_id,
	    time_t created, struct buf *body);
/* The list's footer as it ends its digests (never personal): appended
 * to out, nothing when the list has footer = no.  0, or -1. */
int	 process_footer(struct store *, const struct config *,
	    const struct store_list *, struct buf *out);

#endif
