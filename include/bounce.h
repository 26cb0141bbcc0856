/*
 * bounce.h — bounce processing: what came back (a DSN to a list's VERP
 * address, a 5xx from the relay), whose it was, and what it costs the
 * member (Mailman's model).
 *
 * Hard bounces (5.x.x) count 1, soft ones (4.x.x, Action: delayed) 0.5,
 * at most once a day; policy, spam and DMARC refusals (x.7.x) and full
 * mailboxes (x.2.2) do not count.  A score that saw no bounce for
 * bounce_info_stale_after starts again from 0.  At
 * bounce_score_threshold the member is disabled (no list mail) and gets
 * bounce_you_are_disabled_warnings warnings, each with a
 * LIST+reenable-TOKEN@ reply address, one every ..._interval; after the
 * last interval he is removed.  The owners are told when
 * bounce_notify_owner is yes.  Every step is logged.
 */
#ifndef POSTINO_BOUNCE_H
#define POSTINO_BOUNCE_H

#include <time.h>

#include "config.h"

struct buf;
struct list_ctx;
struct msg;
struct store;
struct store_inbox;

enum bounce_kind {
	BOUNCE_NONE,		/* not a failure (delivered, relayed) */
	BOUNCE_EXEMPT,		/* a failure not the member's fault */
	BOUNCE_SOFT,
	BOUNCE_HARD,
};

/* The token purpose of a LIST+reenable-TOKEN@ address. */
#define BOUNCE_REENABLE	"bounce_reenable"

/* Classify one recipient of a report; action and status may be "". */
enum bounce_kind bounce_classify(const char *action, const char *status,
	    const char *diag);
/* The same for a row of bounces: code (5xx/4xx) and "X.Y.Z text", or
 * the relay's reply as it came, "550 X.Y.Z text". */
enum bounce_kind bounce_classify_text(int code, const char *text);
const char	*bounce_kind_name(enum bounce_kind);

/*
 * Mail to LIST+bounces[-ID-MAC]@ (verp: what follows "bounces-", or "").
 * A delivery report is recorded for the member its VERP address names
 * (a MAC that does not verify is logged and ignored) or, without VERP,
 * the member named by Original-Recipient or Final-Recipient.  Anything
 * else (auto-replies, vacation notices) is dropped without a word.  What
 * happened is appended to note.  0, or -1 on a store error.
 */
int	 bounce_handle(const struct list_ctx *, const struct store_inbox *,
	    const struct msg *, const char *verp, struct buf *note);

/* Scheduler tasks: score new bounces, send due warnings, remove; and
 * reset stale scores.  The count of things done, or -1. */
int	 bounce_tick(struct store *, const struct config *, time_t now);
int	 bounce_stale_tick(struct store *, const struct config *, time_t now);

#endif
