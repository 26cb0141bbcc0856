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

#include "rules.h"

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
