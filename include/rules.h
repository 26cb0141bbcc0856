/*
 * rules.h — a list's published rules: what is held, rejected, discarded
 * or accepted, checked in order, first match wins.
 *
 * Each rule has a name (what moderators and logs cite), a text that
 * members can read (LIST+rules@), a condition, and an action.
 * Conditions:
 *   sender nonmember | member | moderated | new:N   who posts (new:N = a
 *                                 member's first N accepted posts)
 *   sender owner | moderator      From: is an owner / a moderator of the
 *                                 list now (list role); a post accepted
 *                                 so waits for its sender's one-reply
 *                                 confirmation (LIST+post-TOKEN@): From:
 *                                 can be forged
 *   sender GLOB                   From: or the envelope sender matches an
 *                                 address glob (*@example.org), ASCII
 *                                 case-insensitive
 *   size N                        the message is larger than N bytes (K, M)
 *   mime TYPE/SUBTYPE             some part has this type (SUBTYPE may be *)
 *   header NAME:PATTERN           a header matches a glob (case-insensitive)
 *   links N                       the text has more than N http(s) links
 *   all                           every post (the emergency switch)
 * Actions: accept, hold, reject, discard.  discard is refused for rules
 * that can match a member's post (only "sender nonmember" or automatic
 * mail may be dropped silently).  With no rule matching, a member's post
 * is accepted and a non-member's held.  Owners and moderators get no
 * exemption.
 */
#ifndef POSTINO_RULES_H
#define POSTINO_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "store_rules.h"	/* struct rule, enum rule_action */

struct msg;
struct store;

/* What the poster is, for sender conditions. */
struct rule_sender {
	int	 member;		/* 1 member, 0 not */
	int	 moderated;		/* member flagged moderated */
	int64_t	 accepted_posts;	/* of this member so far */
	const char *from;		/* From:'s address, or NULL */
	const char *envelope;		/* the envelope sender, or NULL */
	int	 owner;			/* From: is an owner of the list now */
	int	 moderator;		/* From: is a moderator of the list now */
};

/* An address glob (LOCAL@DOMAIN, * and ?): 0, or -1 with a static
 * *error_r.  Bans (ban.h) and "sender GLOB" rules read the same. */
int	 rules_glob_check(const char *glob, const char **error_r);
/* Whether glob p (* and ?) matches s, ASCII case-insensitive. */
int	 rules_glob_match(const char *p, const char *s);

/* A rule's name: 1 to 64 letters, digits, '.', '_' or '-'; a rule's text:
 * one line of at most 500 characters (UTF-8) without control characters.
 * 0, or -1 with a static *error_r. */
int	 rules_name_check(const char *name, const char **error_r);
int	 rules_text_check(const char *text, const char **error_r);

/* Check a (cond, arg, action) triple; 0 or -1 with a static *error_r. */
int	 rules_check(const char *cond, const char *arg, const char *action,
	    const char **error_r);

/* Rules of a list in order; fn returns non-zero to stop. */
int	 rules_each(struct store *, int64_t list_id,
	    int (*fn)(const struct rule *, void *), void *arg);
/* Add at the end (position 0) or at position; 0, 1 name taken, -1. */
int	 rules_add(struct store *, int64_t list_id, const char *name,
	    const char *cond, const char *arg, const char *action,
	    const char *text, int position);
/* 1 removed, 0 no such rule, -1 error. */
int	 rules_rm(struct store *, int64_t list_id, const char *name);
/* Move to position (1-based); 1 moved, 0 no such rule, -1 error. */
int	 rules_mv(struct store *, int64_t list_id, const char *name,
	    int position);

/* 1 when rule r accepts a post for its sender's role (sender owner,
 * sender moderator): such a post is confirmed by its sender first. */
int	 rules_by_role(const struct rule *r);

/*
 * Evaluate the rules against a post.  Returns the action; *rule_r is set
 * to the matching rule (caller clears it) or left with name NULL when the
 * default decided.  -1 on a store error.
 */
int	 rules_eval(struct store *, int64_t list_id, const struct msg *,
	    size_t size, const struct rule_sender *, struct rule *rule_r);

#endif
