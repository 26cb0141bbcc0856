/*
 * subscription_int.h — what subscription.c shares with the files that
 * handle the rest of a list's command addresses (sub_moderation.c).
 */
#ifndef POSTINO_SUBSCRIPTION_INT_H
#define POSTINO_SUBSCRIPTION_INT_H

#include <time.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "store.h"
#include "template.h"

struct list_ctx;
struct msg;

struct sctx {
	const struct list_ctx	*lc;		/* the list, its settings */
	struct store		*st;		/* lc's */
	const struct config	*cfg;		/* lc's */
	const struct store_list	*list;		/* lc's */
	const struct store_inbox *in;
	struct msg		*m;
	char			 who[ADDR_MAX];	/* who wrote: From:, else sender */
	time_t			 now;
	struct buf		 results;	/* result lines for the reply */
	int			 need_reply;	/* a command mailed nothing else */
	struct buf		 reply_ext;	/* "word-TOKEN": the reply is
						 * From that address, or "" */
	struct buf		*note;
};

/* Queue template name to `to` (notice.h), answering the mail in hand. */
int	 sub_mail(struct sctx *, const char *name, const struct tvar *vars,
	    size_t n, const char *to, const char *reply_to,
	    const char *from_role);
/* The same, To: "to_name" <to> (to_name NULL or "": the address alone). */
int	 sub_mail_to(struct sctx *, const char *name, const struct tvar *vars,
	    size_t n, const char *to, const char *to_name,
	    const char *reply_to, const char *from_role);
/* The same for a notice that expects a reply to the address reply_to
 * of token tok: From and Reply-To that address, tok in the Subject. */
int	 sub_mail_token(struct sctx *, const char *name,
	    const struct tvar *vars, size_t n, const char *to,
	    const char *reply_to, const char *tok, const char *from_role);
/* Add a result line to the reply; the reply will be sent. */
int	 sub_result_v(struct sctx *, const char *name, const struct tvar *vars,
	    size_t n);
int	 sub_result(struct sctx *, const char *name, const char *var,
	    const char *value);
/* Take token tok of this list (single use): 1 valid (*t filled; clear
 * it either way), 0 it did not work and the reply says so, -1 error. */
int	 sub_token_take(struct sctx *, const char *tok, struct store_token *t);
/* A token that did not work: say which way. */
int	 sub_token_failed(struct sctx *, enum token_status, const char *tok);

/* One command's context (in is NULL for the shell's); clear it. */
void	 sub_ctx_init(struct sctx *, const struct list_ctx *,
	    const struct store_inbox *in, struct buf *note);
void	 sub_ctx_clear(struct sctx *);

/* sub_member.c: joining and leaving. */
int	 sub_subscribe(struct sctx *);
int	 sub_unsubscribe(struct sctx *);
/* LIST+confirm-TOKEN@, or LIST+decline-TOKEN@ (decline != 0). */
int	 sub_confirm(struct sctx *, const char *tok, int decline);
/* 1 and *mb (clear it) when addr is a member, 0 not, -1 error. */
int	 sub_is_member(struct sctx *, const char *addr, struct store_member *);
/* addr leaves now: goodbye mail, the owners told. */
int	 sub_leave(struct sctx *, const char *addr);

/* sub_moderation.c */
/* to: POST_ACCEPTED, POST_REJECTED or POST_DISCARDED */
int	 sub_moderate(struct sctx *, enum post_state to, const char *tok);
/* LIST+moderate-TOKEN@: the decision is in the reply's first line. */
int	 sub_moderate_reply(struct sctx *, const char *tok);
int	 sub_rules(struct sctx *);
/* A banned address (ban.h) is refused with a generic text, the daemon's
 * log saying which ban: 1 refused, 0 not banned, -1 error. */
int	 sub_banned(struct sctx *, const char *addr);
/* The list's published rules as text, for the rules and welcome mails. */
int	 sub_rules_text(struct sctx *, struct buf *);
int	 sub_log(struct sctx *);
int	 sub_appeal(struct sctx *, const char *kind, const char *tok);
/* LIST+post-TOKEN@: an owner's or moderator's own post confirmed. */
int	 sub_post_confirm(struct sctx *, const char *tok);

/* sub_bounce.c: LIST+reenable-TOKEN@, a disabled member is back. */
int	 sub_reenable(struct sctx *, const char *tok);

#endif
