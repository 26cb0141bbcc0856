/*
 * digest.h — digests: the posts a list accepted since its last digest,
 * in one numbered mail for the members in digest mode.
 *
 * A digest is cut (store_digest.h: its posts get its id) and queued in
 * one transaction: two fan-out jobs, one per format (MIME, RFC 2046
 * §5.1.5; plain text, RFC 1153), rendered once each, and a copy of their
 * own for the few digest members who muted one of its threads.  Issues
 * are numbered within a volume; a new volume starts with each year of
 * the list's time zone, or on demand.  Texts come from the templates
 * digest_mime, digest_plain, digest_plain_message, digest_toc_thread and
 * digest_toc_entry.
 */
#ifndef POSTINO_DIGEST_H
#define POSTINO_DIGEST_H

#include <stdint.h>
#include <time.h>

#include "config.h"

struct buf;
struct store;
struct store_list;

/* What digest_send cut. */
struct digest_cut {
	int64_t	 digest_id;
	int64_t	 volume;
	int64_t	 issue;
	int64_t	 posts;
	int64_t	 personal;	/* copies for members who muted a thread */
};

/*
 * Cut the list's digest of the posts waiting and queue it, in a
 * transaction of its own.  1 queued (*cut filled), 0 nothing was
 * waiting, -1 error (logged).
 */
int	 digest_send(struct store *, const struct config *,
	    const struct store_list *, time_t now, struct digest_cut *cut);

/*
 * The next digest as it would go out now, in MIME or plain format, into
 * out; nothing changes.  1 built, 0 nothing waiting, -1 error.
 */
int	 digest_preview(struct store *, const struct config *,
	    const struct store_list *, int plain, time_t now, struct buf *out);

/*
 * The scheduler, called about once a second: every list whose
 * digest_schedule time has come, or whose waiting posts exceed
 * digest_size, gets its digest (never an empty one).  The number of
 * digests queued, or -1.
 */
int	 digest_tick(struct store *, const struct config *, time_t now);

#endif
