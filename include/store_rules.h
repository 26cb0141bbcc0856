/*
 * store_rules.h — the store's part of a list's published rules (the rows
 * of table rules, migration 3), under rules.c.
 *
 * Positions of a list's rules are always 1..n, without gaps: add, rm and
 * mv renumber in one transaction, the caller's when one is open (then a
 * failure leaves the rollback to the caller), else their own BEGIN
 * IMMEDIATE.  Nothing here validates a rule: rules.c does, before.
 * Errors: -1 after logging the SQLite error (store_fail()).
 */
#ifndef POSTINO_STORE_RULES_H
#define POSTINO_STORE_RULES_H

#include <stdint.h>

struct store;

/* A rule as stored (rules.c validates and evaluates it; the row type
 * lives here so that the store stands below rules.c). */
enum rule_action { RULE_ACCEPT, RULE_HOLD, RULE_REJECT, RULE_DISCARD };

struct rule {
	int64_t			 id;
	int			 position;
	char			*name;
	char			*text;
	char			*cond;
	char			*arg;
	enum rule_action	 action;
};

/* Free the strings of r and zero it. */
void	 rule_clear(struct rule *);
/* The word stored and shown for an action ("accept", "hold", ...), and
 * back: 0 with *a_r set, -1 for a word that names no action. */
const char *rule_action_name(enum rule_action);
int	 rule_action_parse(const char *, enum rule_action *a_r);

/* Each rule of a list by position; the rule is borrowed for the call.
 * Stops when fn returns non-zero.  0, or -1 on error. */
int	 store_rule_each(struct store *, int64_t list_id,
	    int (*fn)(const struct rule *, void *), void *arg);
/* Insert at position (0 or past the end: at the end), the rules from
 * there on moving down one.  0, 1 name taken, -1 error. */
int	 store_rule_add(struct store *, int64_t list_id, const char *name,
	    const char *cond, const char *arg, enum rule_action,
	    const char *text, int position);
/* Delete, closing the gap.  1 removed, 0 no such rule, -1 error. */
int	 store_rule_rm(struct store *, int64_t list_id, const char *name);
/* Move to position (past the end: last; below 1: first), the rules in
 * between shifting by one.  1 moved, 0 no such rule, -1 error. */
int	 store_rule_mv(struct store *, int64_t list_id, const char *name,
	    int position);

#endif
