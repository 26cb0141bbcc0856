/*
 * modlog.h — the moderation log: every decision about a post or a rule,
 * appended, never changed, and chained so that an edit or a deletion
 * anywhere is detectable.
 *
 * Entry n carries hash_n = BLAKE2b-256(hash_{n-1} || fields_n), fields
 * length-prefixed (token_chain in token.h), with hash_0 = 32 zero bytes.
 * The hash is not keyed: anyone with a copy of the log can verify it, and
 * members who keep the chain head published in the log mails can tell
 * when history was rewritten.
 */
#ifndef POSTINO_MODLOG_H
#define POSTINO_MODLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store_modlog.h"	/* MODLOG_HASH, struct modlog_entry */

struct buf;
struct store;

/* Actions (the words stored and shown). */
#define MODLOG_HELD		"held"
#define MODLOG_APPROVED		"approved"
#define MODLOG_REJECTED		"rejected"
#define MODLOG_DISCARDED	"discarded"
#define MODLOG_EXPIRED		"expired"
#define MODLOG_ESCALATED	"escalated"
#define MODLOG_APPEALED		"appealed"
#define MODLOG_OVERTURNED	"overturned"
#define MODLOG_UPHELD		"upheld"
#define MODLOG_RULE_CHANGED	"rule_changed"
#define MODLOG_ROLE_CHANGED	"role_changed"	/* an owner or moderator */
#define MODLOG_CONFIRMED	"confirmed"	/* by its own sender */

/*
 * Append e to the list's log inside the caller's (IMMEDIATE) transaction,
 * so the decision and its entry commit together.  Fills e->seq and
 * e->hash.  0, or -1 on error.
 */
int	 modlog_append(struct store *, int64_t list_id,
	    struct modlog_entry *e);

/*
 * Check the whole chain of a list: 0 intact, 1 broken (*bad_seq_r is the
 * first entry whose hash, predecessor or sequence is wrong, or the first
 * missing number), -1 on error.
 */
int	 modlog_verify(struct store *, int64_t list_id, int64_t *bad_seq_r);

/* Entries of a list, newest first, at most limit (0: all).  The entry's
 * strings are borrowed for the call.  fn returns non-zero to stop. */
int	 modlog_each(struct store *, int64_t list_id, size_t limit,
	    int (*fn)(const struct modlog_entry *, void *), void *arg);

/* Counts per action and per rule, median time to decision, posts
 * expired, since `since`; the head hash; as text lines into out. */
struct modlog_summary {
	size_t	 entries;
	size_t	 held, approved, rejected, discarded, expired, appealed,
		 overturned;
	double	 median_decision_s;	/* held -> approved/rejected */
	uint8_t	 head[MODLOG_HASH];	/* hash of the newest entry */
	int64_t	 head_seq;
};
int	 modlog_summarize(struct store *, int64_t list_id, time_t since,
	    struct modlog_summary *);

/*
 * How a moderator is shown to members: by address, or (list setting
 * modlog_names = pseudonym, the default) as "moderator-XXXXXX", stable
 * per list and moderator, made with token_mac.  Into out.
 */
void	 modlog_display_moderator(const char *list_addr, const char *moderator,
	    int pseudonym, struct buf *out);
/* The moderator as form 2 entries hash it: nothing for postino (""),
 * else "moderator-" and the whole 16-character MAC whose first
 * characters make the pseudonym.  Appended to out; needs the keys. */
void	 modlog_moderator_id(const char *list_addr, const char *moderator,
	    struct buf *out);

#endif
