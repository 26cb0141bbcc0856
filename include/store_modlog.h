/*
 * store_modlog.h — the store's side of the moderation log (store_modlog.c):
 * the rows of table modlog, appended and read, never changed.
 *
 * Part of the store's interface (store.h): only store_*.c talk to sqlite3.
 * modlog.c computes the hashes; the store only keeps and returns them.
 * Errors: -1 after logging the SQLite error, as everywhere in the store.
 */
#ifndef POSTINO_STORE_MODLOG_H
#define POSTINO_STORE_MODLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "checkpoint.h"

struct store;

#define MODLOG_HASH	32

/* One entry of the log, as modlog.c makes it and the store keeps it
 * (the row type lives here so that the store stands below modlog.c). */
struct modlog_entry {
	int64_t		 seq;		/* set by modlog_append */
	time_t		 time;
	const char	*action;
	int64_t		 post_id;	/* 0 when not about a post */
	const char	*msgid;
	const char	*subject;
	const char	*rule;		/* "" when none */
	const char	*reason;
	const char	*moderator;	/* address, "" for postino itself */
	int		 form;		/* 1: hash of moderator, 2: of modid */
	const char	*modid;		/* the moderator as hashed (form 2) */
	uint8_t		 hash[MODLOG_HASH];
};

/* One row as read: the entry (strings borrowed for the callback) and the
 * hash of its predecessor as stored.  A blob that is not MODLOG_HASH
 * bytes long reads as all zero with its *_ok flag cleared. */
struct store_modlog_row {
	struct modlog_entry	 e;
	uint8_t			 prev[MODLOG_HASH];
	int			 prev_ok, hash_ok;
};

/* The newest row of a list: 1 with *seq_r and hash, 0 when the log is
 * empty (*seq_r 0, hash all zero), -1 on error. */
/*
 * Hold the list's log for this transaction, so that two nodes sharing a
 * PostgreSQL database append one after the other instead of racing for
 * the same seq (the lists row, FOR UPDATE; nothing to do on SQLite,
 * whose writers are serialised).  0, or -1 on error.
 */
int	 store_modlog_lock(struct store *, int64_t list_id);
int	 store_modlog_last(struct store *, int64_t list_id, int64_t *seq_r,
	    uint8_t hash[MODLOG_HASH]);
/* The stored hash of entry seq: 1 found (hash), 0 no such entry, -1
 * error.  Entry 0, the start of every chain, is all zero. */
int	 store_modlog_hash_at(struct store *, int64_t list_id, int64_t seq,
	    uint8_t hash[MODLOG_HASH]);
/* Insert e (e->seq and e->hash already set) after prev; in the caller's
 * transaction.  A seq taken already is an error (UNIQUE). */
int	 store_modlog_insert(struct store *, int64_t list_id,
	    const struct modlog_entry *e, const uint8_t prev[MODLOG_HASH]);
/*
 * Rows of a list in seq order (newest_first: the reverse), at most limit
 * (0: all).  fn returns non-zero to stop; it must not use the store.
 * 0, or -1 on error.
 */
int	 store_modlog_each(struct store *, int64_t list_id, int newest_first,
	    size_t limit, int (*fn)(const struct store_modlog_row *, void *),
	    void *arg);
/* Rows since `since` counted per action (by_rule: per non-empty rule):
 * fn(key, count, arg) once per key, in key order. */
int	 store_modlog_count(struct store *, int64_t list_id, time_t since,
	    int by_rule, int (*fn)(const char *key, int64_t n, void *),
	    void *arg);
/* Seconds from a post's first "held" to its first "approved" or
 * "rejected", for each post decided since `since`, shortest first. */
int	 store_modlog_decision_times(struct store *, int64_t list_id,
	    time_t since, int (*fn)(int64_t secs, void *), void *arg);

/*
 * Signed checkpoints (table modlog_checkpoints): keep one (its list field
 * is not stored), and read the newest kept for a list: 1 found, 0 none,
 * -1 error.  A row whose blobs have the wrong size reads as not found.
 */
int	 store_modlog_checkpoint_put(struct store *, int64_t list_id,
	    const struct checkpoint *);
int	 store_modlog_checkpoint_last(struct store *, int64_t list_id,
	    struct checkpoint *);

#endif
