/*
 * moderation_int.h — what moderation.c shares with moderation_confirm.c
 * (an owner's or moderator's post confirmed by its own sender).
 */
#ifndef POSTINO_MODERATION_INT_H
#define POSTINO_MODERATION_INT_H

#include "moderation.h"

/* Append p's entry (action, reason, who: "" for postino) to the log. */
int	 moderation_log(const struct list_ctx *, const struct store_post *p,
	    const char *action, const char *reason, const char *who);
/* Within the daily cap for mailing addr?  1 yes, 0 no, -1 error. */
int	 moderation_may_answer(const struct list_ctx *, const char *addr);
/* res says p was decided already: how, by whom, when. */
void	 moderation_too_late(const struct store_post *p,
	    struct mod_result *res);

/* moderation_confirm.c: the confirmation of a post held for its own
 * sender is mailed (moderation_record); its deadline passed unconfirmed:
 * discarded with reason, logged, nobody told. */
int	 moderation_confirm_ask(const struct list_ctx *,
	    const struct store_post *);
int	 moderation_confirm_lapse(const struct list_ctx *,
	    const struct store_post *, const char *reason);

#endif
