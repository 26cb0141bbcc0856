/*
 * store_digest.h — the store's part of digests (migration 4), under
 * digest.c.
 *
 * An accepted post waits with digest_id 0.  Cutting a digest gives every
 * waiting post of the list the new digest's id in the same statement that
 * counts them, inside the caller's transaction together with the digest's
 * fan-out jobs: a post is in exactly one digest, and a digest that exists
 * is being delivered.
 * Errors: -1 after logging the SQLite error (store_fail()).
 */
#ifndef POSTINO_STORE_DIGEST_H
#define POSTINO_STORE_DIGEST_H

#include <stdint.h>
#include <time.h>

struct store;
struct store_post;

/* Numbering and schedule of a list's digests (defaults when no row). */
struct digest_state {
	int64_t	 volume;	/* current volume, from 1 */
	int64_t	 issue;		/* last issue sent in it, 0 for none */
	int	 year;		/* local year of that issue, 0 for none */
	time_t	 next_due;	/* next scheduled send, 0 not computed */
	char	*due_for;	/* the schedule and zone next_due is for */
	int	 log_month;	/* YYYYMM of the last moderation summary */
};

/* A digest that was cut. */
struct store_digest {
	int64_t	 id;
	int64_t	 list_id;
	int64_t	 volume;
	int64_t	 issue;
	time_t	 created;
	int64_t	 posts;
};

int	 store_digest_state(struct store *, int64_t list_id,
	    struct digest_state *);
void	 store_digest_state_clear(struct digest_state *);
int	 store_digest_set_due(struct store *, int64_t list_id, time_t next_due,
	    const char *due_for);
/* Start a new volume: the next issue is number 1 of volume + 1. */
int	 store_digest_new_volume(struct store *, int64_t list_id,
	    int64_t *volume_r);

/* Accepted posts waiting for a digest: how many and their raw size. */
int	 store_digest_pending(struct store *, int64_t list_id,
	    int64_t *count_r, int64_t *bytes_r);
/*
 * In the caller's transaction: record issue `issue` of `volume` (its
 * local year `year`), give it every waiting post, and advance the list's
 * numbering.  *nposts_r 0 means nothing was waiting: no digest then
 * (*digest_id_r 0).  0, or -1.
 */
int	 store_digest_cut(struct store *, int64_t list_id, int64_t volume,
	    int64_t issue, int year, time_t now, int64_t *digest_id_r,
	    int64_t *nposts_r);
/* Record that the digest of month YYYYMM carried the log's summary. */
int	 store_digest_log_month(struct store *, int64_t list_id, int month);
/* The posts of a digest (digest_id 0: the waiting ones) in id order;
 * each post is borrowed for the call.  Stops when fn != 0.  0, or -1. */
int	 store_digest_posts(struct store *, int64_t list_id, int64_t digest_id,
	    int (*fn)(const struct store_post *, void *), void *arg);
/* Digest members who muted a thread of the digest: they get a copy of
 * their own.  fn gets member id, address and format ("mime"/"plain"). */
int	 store_digest_muters(struct store *, int64_t list_id,
	    int64_t digest_id, int (*fn)(int64_t member_id, const char *addr,
	    const char *format, void *), void *arg);
/* Each digest of a list, newest first, at most max (0: all). */
int	 store_digest_each(struct store *, int64_t list_id, size_t max,
	    int (*fn)(const struct store_digest *, void *), void *arg);

/* Set a member's digest format, "mime" or "plain" (no change when no
 * such member; store_member_get tells, and reads it back). */
int	 store_member_set_digest_format(struct store *, int64_t list_id,
	    const char *addr, const char *format);

/*
 * In the caller's transaction: the fan-out of a digest to the list's
 * digest members of one format ("mime" or "plain") with id <= max_member,
 * leaving out those who muted one of its threads; per_rcpt: one copy
 * per member, with his VERP sender (the list's verp).
 */
int	 store_job_digest(struct store *, int64_t list_id, int64_t digest_id,
	    const char *format, const char *env_from, const char *body,
	    size_t len, int64_t max_member, int per_rcpt, int64_t *job_id_r);

#endif
