/*
 * store.h — the store: every SQL statement, written once for SQLite and
 * PostgreSQL and run through db.h (the engine is chosen by the URI).
 *
 * SQLite: one database file in WAL mode.  Each thread opens its own handle.
 * Handles opened with STORE_DURABLE use synchronous=FULL: a commit on them
 * survives power loss, and the ingest path acknowledges mail only after
 * such a commit.  STORE_RELAXED handles (delivery progress) use
 * synchronous=NORMAL: a commit survives a crash of the process, and a
 * power loss can at worst resend a batch.
 *
 * Implementation is split by concern: store.c (open, migrations,
 * transactions, statement cache), store_schema.c (the migrations),
 * store_list.c (lists, settings, roles, members), store_post.c (ingest,
 * inbox, posts), store_queue.c (jobs, fan-out cursors, retries, bounces).
 *
 * Errors: functions return 0 (or 1/0 for found/not found) and -1 on error;
 * the error is logged where it happened, and store_error_full() tells a
 * caller that must choose a reply whether the disk was full.
 * Strings returned in structs are malloc'd and freed by the matching
 * *_free / *_clear function.
 */
#ifndef POSTINO_STORE_H
#define POSTINO_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "postino.h"

struct store;
struct buf;

#define STORE_DURABLE	0x01	/* synchronous=FULL */
#define STORE_RELAXED	0x02	/* synchronous=NORMAL */
#define STORE_READONLY	0x04
#define STORE_NOCKPT	0x08	/* leave WAL checkpoints to other handles */

int	 store_open(const char *path, int flags, struct store **st_r,
	    const char **error_r);
void	 store_close(struct store **);
int	 store_begin(struct store *);		/* BEGIN IMMEDIATE */
int	 store_begin_read(struct store *);	/* db_begin_read */
void	 store_end_read(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);
int	 store_error_full(const struct store *);	/* last error SQLITE_FULL? */

/*
 * What the last failure on this handle (and thread) was: temporary (disk
 * full, I/O error, busy, locked, out of memory: retry later, never count
 * it as a crash), a damaged page, or anything else.  Cleared by
 * store_begin() and store_fault_clear().  Ordered: worst last.
 */
enum store_fault { STORE_F_NONE, STORE_F_PERM, STORE_F_TEMP,
    STORE_F_CORRUPT };
enum store_fault store_fault(const struct store *);
void	 store_fault_clear(struct store *);
/* The text of that failure ("database or disk is full"), static. */
const char *store_fault_str(const struct store *);
/* 1 once any handle of this process met a damaged page (logged once). */
int	 store_damaged(void);
/*
 * PRAGMA quick_check: 0 the database is sound, 1 damaged (what SQLite
 * found is appended to report), -1 the check itself failed (why, in
 * report).  Reads every page: seconds on a large database.
 */
int	 store_check(struct store *, struct buf *report);
const char *store_errmsg(const struct store *);
/* Changes whenever another handle (or process) commits: a cheap way to
 * notice work queued by `postino` commands.  -1 on error. */
int64_t	 store_data_version(struct store *);

/* ---- lists (store_list.c) ---------------------------------------- */

struct store_list {
	int64_t	 id;
	char	*addr;		/* normalised list address, lower case */
	time_t	 created;
};

/* Create a list; 0 ok, 1 exists already, -1 error. */
int	 store_list_create(struct store *, const char *addr, int64_t *id_r);
/* Look up by exact (lower-case) address: 1 found, 0 not, -1 error. */
int	 store_list_get(struct store *, const char *addr, struct store_list *);
int	 store_list_get_id(struct store *, int64_t id, struct store_list *);
void	 store_list_clear(struct store_list *);
/* Call fn for each list in address order; stops early when fn != 0. */
int	 store_list_each(struct store *,
	    int (*fn)(const struct store_list *, void *), void *arg);
int	 store_list_delete(struct store *, int64_t list_id);

/* Per-list settings (validated by listconf.c before they get here).
 * get: 1 found (*value_r malloc'd), 0 unset, -1 error. */
int	 store_list_setting_get(struct store *, int64_t list_id,
	    const char *key, char **value_r);
int	 store_list_setting_set(struct store *, int64_t list_id,
	    const char *key, const char *value);
int	 store_list_setting_each(struct store *, int64_t list_id,
	    int (*fn)(const char *key, const char *value, void *), void *arg);

/* Roles: "owner" or "moderator". */
int	 store_role_add(struct store *, int64_t list_id, const char *role,
	    const char *addr);
int	 store_role_rm(struct store *, int64_t list_id, const char *role,
	    const char *addr);
/* Has addr (compared as its key) this role?  1 yes, with addr rewritten
 * as stored; 0 no; -1 error. */
int	 store_role_find(struct store *, int64_t list_id, const char *role,
	    char addr[ADDR_MAX]);
int	 store_role_each(struct store *, int64_t list_id, const char *role,
	    int (*fn)(const char *addr, void *), void *arg);

/* ---- members (store_list.c) -------------------------------------- */

enum member_mode { MODE_EACH, MODE_DIGEST, MODE_NOMAIL, MODE_FOLLOW };

struct store_member {
	int64_t		 id;
	int64_t		 list_id;
	char		*addr;
	enum member_mode mode;
	time_t		 created;
	int		 moderated;	/* every post of his is held */
	int		 digest_plain;	/* digests as RFC 1153 text */
	time_t		 disabled;	/* by bounces (0: gets mail) */
	char		*name;		/* display name, "" when none */
};

const char *member_mode_name(enum member_mode);
int	 member_mode_parse(const char *, enum member_mode *);

/* Add; 0 added, 1 already a member, -1 error.  addr is normalised. */
int	 store_member_add(struct store *, int64_t list_id, const char *addr,
	    enum member_mode, int64_t *id_r);
/* The same with his display name (addr_mailbox_parse; "" when none). */
int	 store_member_add_named(struct store *, int64_t list_id,
	    const char *addr, const char *name, enum member_mode,
	    int64_t *id_r);
/* Remove; 1 removed, 0 was not a member, -1 error. */
int	 store_member_rm(struct store *, int64_t list_id, const char *addr);
/* Find by address (case-insensitive): 1 found, 0 not, -1 error. */
int	 store_member_get(struct store *, int64_t list_id, const char *addr,
	    struct store_member *);
/* Hold every post of this member (moderated != 0), or stop. */
int	 store_member_set_moderated(struct store *, int64_t list_id,
	    int64_t id, int moderated);
/* Find by id within a list (list_id 0: any list, m->list_id says which):
 * 1 found, 0 not, -1 error. */
int	 store_member_get_id(struct store *, int64_t list_id, int64_t id,
	    struct store_member *);
int	 store_member_set_mode(struct store *, int64_t list_id,
	    const char *addr, enum member_mode);
/* Set his display name (checked by the caller; "" clears it). */
int	 store_member_set_name(struct store *, int64_t list_id, int64_t id,
	    const char *name);
void	 store_member_clear(struct store_member *);
int	 store_member_each(struct store *, int64_t list_id,
	    int (*fn)(const struct store_member *, void *), void *arg);
int64_t	 store_member_count(struct store *, int64_t list_id);
int64_t	 store_member_max_id(struct store *);	/* highest member id, 0 if none */

/*
 * Bulk import inside one transaction the caller opened: prepared once,
 * called per address.  0 added, 1 duplicate, -1 error.
 */
int	 store_member_import_one(struct store *, int64_t list_id,
	    const char *addr, const char *name, enum member_mode);

/* ---- ingest, inbox and posts (store_post.c) ---------------------- */

/*
 * One received message and the recipients it was accepted for.  The body
 * is the message as received, CRLF line ends, dot-unstuffed.
 */
struct ingest_rcpt {
	char	 addr[ADDR_MAX];	/* as given in RCPT TO, normalised */
	int64_t	 list_id;
	char	 ext[ADDR_LOCAL_MAX + 1];/* "" for the list itself, else the
					  * plus-extension or "request" */
};

struct ingest {
	char			 sender[ADDR_MAX];	/* "" = null sender */
	struct ingest_rcpt	*rcpts;
	size_t			 nrcpts;
	const char		*body;
	size_t			 len;
};

/*
 * Store n messages and their inbox rows in ONE transaction (group commit)
 * on a STORE_DURABLE handle.  Returns 0 when all are durable, -1 when none
 * is (the transaction was rolled back).
 */
int	 store_ingest(struct store *, struct ingest *const *items, size_t n);

/* An inbox row waiting to be processed (routed) after its ack. */
struct store_inbox {
	int64_t	 id;
	int64_t	 message_id;
	int64_t	 list_id;
	char	*rcpt;
	char	*ext;
	char	*sender;
	char	*body;		/* the raw message, NUL-terminated */
	size_t	 len;
	int	 attempts;
	int64_t	 max_member;	/* highest member id when it was received */
};

/*
 * Count one more attempt for up to n rows with attempts < max_attempts,
 * in one statement, and return their ids and new attempt counts (the
 * number claimed, or -1).  Load each with store_inbox_get.  A row that
 * crashes the processor is so tried at most max_attempts times.
 */
int	 store_inbox_claim(struct store *, int max_attempts, size_t n,
	    int64_t *ids, int *attempts);
/* Give back the attempt counted by a claim (the work failed for a
 * passing reason, a full disk, not a crash).  0, or -1. */
int	 store_inbox_unclaim(struct store *, const int64_t *ids, size_t n);
/* Load one row and its message without counting an attempt: 1/0/-1. */
int	 store_inbox_get(struct store *, int64_t id, struct store_inbox *);
/* Delete a processed row (and its message when no longer referenced). */
int	 store_inbox_done(struct store *, int64_t inbox_id);
/* Rows that reached max_attempts are moved to quarantine. */
int	 store_inbox_quarantine(struct store *, int max_attempts);
void	 store_inbox_clear(struct store_inbox *);

/* A quarantined row, borrowed for the call of store_quarantine_each. */
struct store_quarantine {
	int64_t		 id;
	int64_t		 list_id;
	const char	*rcpt;
	const char	*ext;
	const char	*sender;
	int		 attempts;
	time_t		 created;
};
int	 store_quarantine_each(struct store *,
	    int (*fn)(const struct store_quarantine *, void *), void *arg);
/* Put quarantined row id back into the inbox, to be processed again
 * from its first attempt: 1 done, 0 no such row, -1 error. */
int	 store_quarantine_release(struct store *, int64_t id);

enum post_state { POST_HELD, POST_ACCEPTED, POST_REJECTED, POST_DISCARDED };

struct store_post {
	int64_t		 id;
	int64_t		 list_id;
	int64_t		 message_id;	/* raw message in messages */
	char		*msgid;		/* Message-ID header value */
	char		*subject;	/* decoded UTF-8 */
	char		*author;	/* From: address */
	char		*sender;	/* envelope sender */
	enum post_state	 state;
	char		*reason;	/* why held / rejected / discarded */
	char		*thread;	/* root Message-ID of its thread */
	char		*rule;		/* the rule that decided, or "" */
	char		*decided_by;	/* moderator address, or "" */
	time_t		 deadline;	/* a held post is decided by then */
	int		 reminded;	/* moderators reminded at half time */
	int		 escalated;	/* passed on to the owners */
	char		*appeal;	/* "", pending, upheld, overturned */
	char		*confirm;	/* held for this sender's own
					 * confirmation (LIST+post-TOKEN@),
					 * or "" */
	int64_t		 max_member;	/* members with a higher id joined later */
	time_t		 created;
	time_t		 decided;
};

const char *post_state_name(enum post_state);

/* Insert a post row; the raw message stays referenced by it. */
int	 store_post_add(struct store *, struct store_post *p, int64_t *id_r);
int	 store_post_get(struct store *, int64_t id, struct store_post *);
int	 store_post_set_state(struct store *, int64_t id, enum post_state,
	    const char *reason);
/*
 * Decide a held post: only a post still held changes (the first decision
 * wins).  *changed_r is 1 when this call decided it, 0 when it was no
 * longer held.  In the caller's transaction.  0, or -1 on error.
 */
int	 store_post_decide(struct store *, int64_t id, enum post_state,
	    const char *reason, const char *rule, const char *decided_by,
	    int *changed_r);
/*
 * Held posts whose reminder (half time) or deadline is due at now, oldest
 * first, at most max: fn gets each (borrowed for the call).
 */
int	 store_post_due(struct store *, time_t now, size_t max,
	    int (*fn)(const struct store_post *, void *), void *arg);
/* Record that a held post's moderators were reminded / that it was
 * escalated with a new deadline. */
int	 store_post_reminded(struct store *, int64_t id);
int	 store_post_escalated(struct store *, int64_t id, time_t deadline);
/*
 * Move a post's appeal from `from` to `to` ("" -> pending -> upheld or
 * overturned); *changed_r 0 when it was not in `from` (someone else
 * decided first).  0, or -1.
 */
int	 store_post_appeal(struct store *, int64_t id, const char *from,
	    const char *to, int *changed_r);
/* How many posts of author on the list were accepted (rules "new:N"). */
int64_t	 store_post_count_accepted(struct store *, int64_t list_id,
	    const char *author);
/* Each post of a list in a state (state < 0: any), newest first. */
int	 store_post_each(struct store *, int64_t list_id, int state,
	    int (*fn)(const struct store_post *, void *), void *arg);
/* Raw bytes of a stored message; *body_r malloc'd, NUL-terminated. */
int	 store_message_get(struct store *, int64_t message_id, char **body_r,
	    size_t *len_r);
void	 store_post_clear(struct store_post *);

/* ---- tokens, request limits (store_token.c) ----------------------- */

/*
 * A token row is found by the keyed hash of the token (token.h), never by
 * the token.  purpose: "subscribe", "unsubscribe", "approve" (an owner's
 * approval of a subscription), and later ones.  data: purpose-specific.
 */
struct store_token {
	char	*purpose;
	int64_t	 list_id;
	char	*addr;
	char	*data;
	time_t	 created;
	time_t	 expires;
	time_t	 used;		/* 0 while unused */
};

enum token_status {
	TOKEN_OK,		/* valid: now marked used */
	TOKEN_UNKNOWN,
	TOKEN_USED,
	TOKEN_EXPIRED,
};

int	 store_token_add(struct store *, const uint8_t *hash, size_t hashlen,
	    const char *purpose, int64_t list_id, const char *addr,
	    const char *data, time_t now, time_t expires);
/*
 * Look a token of list_id up and, when it is valid (unused, not expired),
 * mark it used in the same statement, so that two concurrent uses cannot
 * both succeed.  A token of another list reads as TOKEN_UNKNOWN and is
 * left untouched.  *status says which; t is filled whenever the row
 * exists (clear it with store_token_clear).  0, or -1 on a store error.
 */
int	 store_token_take(struct store *, const uint8_t *hash, size_t hashlen,
	    int64_t list_id, time_t now, enum token_status *status,
	    struct store_token *t);
void	 store_token_clear(struct store_token *);
/* The row of token hash of list_id whatever its state (to know what a
 * token is for before using it): 1 and *t (clear it), 0 none, -1. */
int	 store_token_get(struct store *, const uint8_t *hash, size_t hashlen,
	    int64_t list_id, struct store_token *t);
/* 1 when hash is an unused, unexpired token of list_id, 0 not, -1. */
int	 store_token_live(struct store *, const uint8_t *hash, size_t hashlen,
	    int64_t list_id, time_t now);
/* 1 when (list, addr, purpose) has an unused, unexpired token. */
int	 store_token_pending(struct store *, int64_t list_id,
	    const char *addr, const char *purpose, time_t now);
/* Mark the pending token of (list, addr, purpose) used, as a decision
 * from the shell does: 1 done, 0 none was pending, -1 error. */
int	 store_token_pending_use(struct store *, int64_t list_id,
	    const char *addr, const char *purpose, time_t now);
/* Each pending (unused, unexpired) token of a purpose, oldest first;
 * fn returns non-zero to stop.  0, or -1 on error. */
int	 store_token_pending_each(struct store *, int64_t list_id,
	    const char *purpose, time_t now,
	    int (*fn)(const struct store_token *, void *), void *arg);
/* Delete tokens expired, or used, before `before`.  Rows deleted, or -1. */
int	 store_token_purge(struct store *, time_t before);

/*
 * Count one more request by addr to list on day (days since the epoch)
 * and return the count including this one in *count_r.
 */
int	 store_request_count(struct store *, int64_t list_id,
	    const char *addr, int64_t day, int *count_r);
/* Forget the counts of days before before_day.  Rows deleted, or -1. */
int	 store_request_purge(struct store *, int64_t before_day);

/* ---- threads (store_token.c) --------------------------------------- */

/* pref: "mute", "follow", or NULL to clear. */
int	 store_thread_pref_set(struct store *, int64_t member_id,
	    const char *thread, const char *pref);
/* 1 and *pref_r ("mute"/"follow", static) when set, 0 when not, -1. */
int	 store_thread_pref_get(struct store *, int64_t member_id,
	    const char *thread, const char **pref_r);

/* ---- delivery queue (store_queue.c) ------------------------------ */

/*
 * A job sends one outgoing message.  A fan-out job walks the members of a
 * list with a cursor (member id), in batches; claimed batches are recorded
 * as in-flight ranges until the relay answered, so a crash resends only
 * what was in flight.  Recipients that got a temporary failure, and the
 * recipients of direct jobs (notices to one address), live in the retry
 * set with a next-attempt time.
 */
struct store_job {
	int64_t	 id;
	int64_t	 list_id;	/* 0 for a direct job */
	int64_t	 post_id;	/* 0 when not a post */
	char	*kind;		/* "fanout" | "direct" */
	char	*env_from;
	char	*body;
	size_t	 len;
	int64_t	 cursor;
	int64_t	 max_member;
	char	*state;		/* "active" | "done" */
	int	 per_rcpt;	/* one transaction per recipient */
	char	*list_addr;	/* "" for a direct job */
	char	*thread;	/* root Message-ID of the post's thread */
	time_t	 created;
	int64_t	 sent, failed, deferred, inflight;
};

struct store_rcpt {
	int64_t	 member_id;	/* 0 for direct recipients */
	int64_t	 retry_id;	/* 0 when from a fan-out range */
	int	 attempts;
	time_t	 first_attempt;
	char	 addr[ADDR_MAX];
	/* filled by the sender: */
	enum outcome	 outcome;
	int		 code;
	char		 text[256];
};

struct store_batch {
	int64_t		 job_id;
	int64_t		 lo, hi;	/* fan-out range (lo, hi]; 0,0 for retries */
	int64_t		 inflight_id;	/* 0 for retries */
	struct store_rcpt *rcpts;
	size_t		 nrcpts;
};

/* Create a fan-out job for a post, in the caller's transaction. */
int	 store_job_fanout(struct store *, int64_t list_id, int64_t post_id,
	    const char *env_from, const char *body, size_t len,
	    int64_t max_member, int per_rcpt, const char *thread,
	    int64_t *job_id_r);
/* Create a direct job to n addresses, in the caller's transaction. */
int	 store_job_direct(struct store *, const char *env_from,
	    const char *const *rcpts, size_t n, const char *body, size_t len,
	    int64_t *job_id_r);
/* Load a job (with its body). 1 found, 0 not, -1 error. */
int	 store_job_get(struct store *, int64_t job_id, struct store_job *);
void	 store_job_clear(struct store_job *);
int	 store_job_each(struct store *, int active_only,
	    int (*fn)(const struct store_job *, void *), void *arg);

/*
 * Claim up to max recipients that are due: first orphaned in-flight
 * ranges (from before a restart), then due retries, then the next range
 * of an active fan-out job.  1 claimed, 0 nothing due, -1 error.
 * *next_due_r is set to the earliest future retry time (0 if none).
 */
int	 store_batch_claim(struct store *, size_t max, time_t now,
	    struct store_batch *, time_t *next_due_r);
/*
 * Record the outcome of every recipient of a claimed batch in one
 * transaction: OK counted as sent, TEMP into the retry set with back-off
 * (or failed past the lifetime), PERM recorded as a bounce.
 */
int	 store_batch_finish(struct store *, struct store_batch *, time_t now,
	    int retry_min, int retry_max, int retry_lifetime);
/* Give a claimed batch back unsent (its outcome could not be recorded):
 * its range or retries are claimed again at once.  0, or -1. */
int	 store_batch_release(struct store *, struct store_batch *);
void	 store_batch_clear(struct store_batch *);
/* At start-up: every in-flight range left by a previous run is orphaned. */
int	 store_queue_recover(struct store *);

struct store_retry {
	int64_t	 job_id;
	char	*addr;
	int	 attempts;
	time_t	 next_attempt;
	char	*last_error;
};
int	 store_retry_each(struct store *,
	    int (*fn)(const struct store_retry *, void *), void *arg);

/* ---- bounce processing (store_bounce.c) --------------------------- */

/* One row of bounces, waiting to be scored. */
struct store_bounce_event {
	int64_t	 id;
	int64_t	 list_id;
	int64_t	 member_id;
	int	 code;		/* 5xx, 4xx, or 0 */
	char	*text;		/* "5.1.1 diagnostic" */
};

/* A member's bounce record (joined with his row). */
struct store_bounce {
	int64_t	 member_id;
	int64_t	 list_id;
	char	*addr;
	double	 score;
	time_t	 last_bounce;
	char	*last_diag;
	char	*reason;	/* why disabled, "" if not */
	int	 warnings;	/* sent since disabled */
	time_t	 next_action;	/* next warning or removal */
	time_t	 disabled;	/* 0: enabled */
};

/* Record a bounce of member_id (a DSN) for the scheduler to score. */
int	 store_bounce_add(struct store *, int64_t list_id, int64_t member_id,
	    const char *addr, time_t now, int code, const char *text);
/* Up to max unscored rows, oldest first, into *v_r (free with
 * store_bounce_events_free).  The count, or -1. */
int	 store_bounce_unscored(struct store *, size_t max,
	    struct store_bounce_event **v_r);
void	 store_bounce_events_free(struct store_bounce_event *, int n);
int	 store_bounce_mark_scored(struct store *, int64_t id);
/*
 * Add weight to the member's score, at most once a day (day = now /
 * 86400); a score whose last bounce is older than stale starts from 0.
 * The diagnostic is kept either way.  1 counted (*score_r the new
 * score), 0 already counted today, -1 error.
 */
int	 store_bounce_score(struct store *, int64_t list_id, int64_t member_id,
	    time_t now, double weight, const char *diag, long long stale,
	    double *score_r);
/* Disable the member (no more mail), first action due at next. */
int	 store_bounce_disable(struct store *, int64_t member_id, time_t now,
	    const char *reason, time_t next);
/* One more warning sent; the next action is due at next. */
int	 store_bounce_warned(struct store *, int64_t member_id, time_t next);
/* Enable again and forget the score.  1 done, 0 no record, -1 error. */
int	 store_bounce_reset(struct store *, int64_t member_id);
/* The record of one member: 1 found, 0 none, -1 error. */
int	 store_bounce_get(struct store *, int64_t member_id,
	    struct store_bounce *);
void	 store_bounce_clear(struct store_bounce *);
/* Records of a list (list_id > 0) or of every list's disabled members
 * due by now (list_id 0), in member order, into *v_r; count or -1. */
int	 store_bounce_list(struct store *, int64_t list_id, time_t due,
	    struct store_bounce **v_r);
void	 store_bounce_list_free(struct store_bounce *, int n);
/* 1 when a journal row waits to be scored or a disabled member's next
 * step is due by now (a read: no write lock), 0 not, -1 error. */
int	 store_bounce_pending(struct store *, time_t now);
/* Scores of enabled members of the list with no bounce since before go
 * back to 0; the number reset, or -1. */
int	 store_bounce_stale(struct store *, int64_t list_id, time_t before);

#endif
