/*
 * moderation.h — what happens to a post that the rules did not simply
 * accept: every decision is logged in the moderation log, the author is
 * told, and a held post waits for a moderator, of whom the first to
 * decide wins.
 */
#ifndef POSTINO_MODERATION_H
#define POSTINO_MODERATION_H

#include <time.h>

#include "addr.h"
#include "config.h"
#include "store.h"

struct list_ctx;

/*
 * A post was just stored held, rejected or discarded by the rules (in
 * the processor's transaction): append its log entry and, for held and
 * rejected posts, tell the author (never for automatic mail, and within
 * the daily request cap for non-members).  0, or -1 on error.
 */
int	 moderation_record(const struct list_ctx *, const struct store_post *);

/* What a decision on a held post came to. */
struct mod_result {
	int	 outcome;	/* MOD_DECIDED, MOD_TOO_LATE, MOD_OWN_POST,
				 * MOD_NO_POST */
	char	*state;		/* when too late: the decision that won */
	char	*by;		/* and who made it ("" for postino) */
	time_t	 when;
};

#define MOD_DECIDED	0
#define MOD_TOO_LATE	1
#define MOD_OWN_POST	2
#define MOD_NO_POST	3
#define MOD_MEMBER_POST	4	/* discard refused: a member's post */
#define MOD_NO_ROLE	5	/* confirm: no longer owner or moderator */

/*
 * Approve (state POST_ACCEPTED), reject (POST_REJECTED, reason
 * required) or discard (POST_DISCARDED: only a non-member's post,
 * MOD_MEMBER_POST otherwise; nobody is told; "" reason keeps the one it
 * was held for) held post post_id of list, as moderator ("" when the owner
 * acts from the shell), in the caller's transaction: the post changes
 * only if still held; an approval releases it (release.h), a rejection
 * tells the author the reason; the log gets the entry.  Nobody decides
 * on a post of his own.  0 with *res filled (clear with
 * mod_result_clear), or -1 on error.
 */
int	 moderation_decide(const struct list_ctx *, int64_t post_id,
	    enum post_state,
	    const char *moderator, const char *reason, struct mod_result *res);
void	 mod_result_clear(struct mod_result *);

/* Is addr an owner or a moderator of the list now (compared as address
 * keys, as roles are stored)?  1 yes, with addr rewritten as the role has it; 0 no;
 * -1 on a store error. */
int	 moderation_is_reviewer(const struct list_ctx *, char addr[ADDR_MAX]);

/*
 * The author of rejected post post_id appeals (text: his words): the
 * owners and the moderators other than the one who rejected it get the
 * appeal with reply addresses to uphold or overturn.  One appeal per
 * post.  0 with *res (MOD_DECIDED: appeal sent; MOD_TOO_LATE: already
 * appealed), or -1.
 */
int	 moderation_appeal(const struct list_ctx *, int64_t post_id,
	    const char *text, struct mod_result *);
/*
 * Decide an appeal, once and for all: overturn (the post goes to the
 * members) or uphold.  The author is told; the log gets the entry, with
 * text (the deciding moderator's words, "" for none) as its reason.
 */
int	 moderation_appeal_decide(const struct list_ctx *, int64_t post_id,
	    int overturn, const char *who, const char *text,
	    struct mod_result *);

/*
 * The sender's own confirmation (LIST+post-TOKEN@, token address addr)
 * of post_id, held for it (rules.h: sender owner|moderator): released
 * through release_post and logged as "confirmed" by addr, if addr is
 * still an owner or a moderator (MOD_NO_ROLE otherwise) and the post
 * still held (MOD_TOO_LATE otherwise).  In the caller's transaction.
 * 0 with *res, or -1.
 */
int	 moderation_confirm(const struct list_ctx *, int64_t post_id,
	    const char *addr, struct mod_result *res);

/*
 * Held posts over half their time get a reminder to their moderators;
 * posts past their deadline get the list's hold_default (approve,
 * reject, or escalate: the owners get them with one more deadline, then
 * they are rejected).  Each post in its own transaction.  The number of
 * posts handled, or -1.
 */
int	 moderation_tick(struct store *, const struct config *, time_t now);

#endif
