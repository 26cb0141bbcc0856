/*
 * subscription.h — everything a member or would-be member does by mail:
 * subscribe, confirm, leave, delivery modes, thread mute/follow, help,
 * the owner address, and commands to LIST-request@.
 */
#ifndef POSTINO_SUBSCRIPTION_H
#define POSTINO_SUBSCRIPTION_H

#include "store.h"

struct buf;
struct list_ctx;

/*
 * Handle a mail to one of the list's command addresses (in->ext is the
 * extension, or "request"), inside the caller's transaction.  Replies and
 * confirmations are queued as notices (direct jobs) in that transaction.
 * Automatic mail (null sender, auto-responders, our own loops) is never
 * answered; an address over the daily request cap is logged and ignored.
 * A line for the log is appended to note.  0 when the mail is done with,
 * -1 on a store error (the caller rolls back; the mail is retried).
 */
int	 subscription_handle(const struct list_ctx *,
	    const struct store_inbox *, struct buf *note);

/*
 * An owner decides a pending request (subscribe_policy approve) from the
 * shell: approve makes addr a member (welcome mail, owners told), decline
 * tells addr the request was declined; the owners' tokens for it stop
 * working.  1 done, 0 no request of addr is pending, -1 on error.  In
 * the caller's transaction.
 */
int	 subscription_request_decide(const struct list_ctx *,
	    const char *addr, int approve, struct buf *note);

/*
 * addr leaves the list without a mail of his (the one-click page of
 * http.c): the goodbye and the owners' notice go out as for a leave by
 * mail, inside the caller's transaction.  A line for the log is appended
 * to note.  0, or -1 on a store error.
 */
int	 subscription_leave(const struct list_ctx *, const char *addr,
	    struct buf *note);

/*
 * The welcome mail to addr, a member the shell just added (`postino
 * member add --welcome`): the same text as after a confirmation, with
 * mode his delivery mode ("each", ...), To: "name" <addr> when name is
 * not NULL or "".  No owner is told (an owner added him).  Queued in the
 * caller's transaction; 0, or -1 on error.
 */
int	 subscription_welcome(const struct list_ctx *, const char *addr,
	    const char *name, const char *mode, struct buf *note);

#endif
