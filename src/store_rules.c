/*
 * store_rules.c — the rows of table rules: a list's published rules in
 * order (see rules.h for what they mean, store_rules.h for the contract).
 *
 * Owns those rows.  Positions stay dense (1..n) because every change
 * renumbers inside one transaction: the caller's when one is open, else
 * its own BEGIN IMMEDIATE, so two concurrent `rules add` cannot take the
 * same position.  Names are unique per list (UNIQUE (list_id, name));
 * a taken name is found by a SELECT first, so it is an answer (1), not a
 * logged constraint error.
 * Fails: -1, logged by the store's fault hook, with the own
 * transaction rolled back.  Strings handed to callbacks are borrowed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_rules.h"

static const char *const action_names[] = { "accept", "hold", "reject",
	"discard" };

const char *
rule_action_name(enum rule_action a)
{
	if ((size_t)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "hold";
	return action_names[a];
}

int
rule_action_parse(const char *s, enum rule_action *a_r)
{
	size_t i;

	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcmp(s, action_names[i]) == 0) {
			*a_r = (enum rule_action)i;
			return 0;
		}
	return -1;
}

void
rule_clear(struct rule *r)
{
	free(r->name);
	free(r->text);
	free(r->cond);
	free(r->arg);
	memset(r, 0, sizeof(*r));
}

/* The enum value of a stored action; the schema's CHECK keeps it valid,
 * so an unknown text (a hand-edited row) reads as the safe "hold". */
static enum rule_action
action_of(const char *s)
{
	enum rule_action a;

	return rule_action_parse(s, &a) == 0 ? a : RULE_HOLD;
}

int
store_rule_each(struct store *st, int64_t list_id,
    int (*fn)(const struct rule *, void *), void *arg)
{
	struct db_stmt *stmt;
	const char *action;
	struct rule r;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT id, position, name, text, cond, arg,"
	    " action FROM rules WHERE list_id = ?1 ORDER BY position, id",
	    "i", list_id);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		db_getf(stmt, "idTTTTt", &r.id, &r.position, &r.name, &r.text,
		    &r.cond, &r.arg, &action);
		r.action = action_of(action != NULL ? action : "");
		stop = fn(&r, arg);
		rule_clear(&r);
	}
	return store_end(stmt, rc);
}

/* Number of rules of a list, or -1. */
static int
rule_count(struct store *st, int64_t list_id)
{
	struct db_stmt *stmt;
	int n = -1;

	stmt = db_query(st->db, "SELECT count(*) FROM rules WHERE list_id = ?1",
	    "i", list_id);
	if (stmt == NULL)
		return -1;
	if (db_step(stmt) == DB_ROW)
		n = (int)db_col_int64(stmt, 0);
	db_reset(stmt);
	return n;
}

/* Position of the rule named name: 1 found (*pos_r), 0 not, -1 error. */
static int
rule_position(struct store *st, int64_t list_id, const char *name,
    int *pos_r)
{
	struct db_stmt *stmt;
	int rc;

	stmt = db_query(st->db, "SELECT position FROM rules"
	    " WHERE list_id = ?1 AND name = ?2", "it", list_id, name);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	*pos_r = (int)db_col_int64(stmt, 0);
	db_reset(stmt);
	return 1;
}

/* Add delta to the positions in [lo, hi] of a list. */
static int
rule_shift(struct store *st, int64_t list_id, int lo, int hi, int delta)
{
	if (lo > hi)
		return 0;
	return db_run(st->db, "UPDATE rules SET position = position + ?4"
	    " WHERE list_id = ?1 AND position BETWEEN ?2 AND ?3", "iddd",
	    list_id, lo, hi, delta) < 0 ? -1 : 0;
}

static int
rule_insert(struct store *st, int64_t list_id, const char *name,
    const char *cond, const char *arg, enum rule_action action,
    const char *text, int position)
{
	return db_run(st->db, "INSERT INTO rules (list_id, position, name,"
	    " text, cond, arg, action) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    "idttttt", list_id, position, name, text != NULL ? text : "",
	    cond, arg != NULL ? arg : "", rule_action_name(action)) < 0 ?
	    -1 : 0;
}

int
store_rule_add(struct store *st, int64_t list_id, const char *name,
    const char *cond, const char *arg, enum rule_action action,
    const char *text, int position)
{
	int own = !db_in_txn(st->db), n, pos, rc;

	if (own && store_begin(st) < 0)
		return -1;
	if ((rc = rule_position(st, list_id, name, &pos)) != 0)
		goto out;	/* 1: taken, -1: error */
	if ((n = rule_count(st, list_id)) < 0)
		goto fail;
	if (position <= 0 || position > n + 1)
		position = n + 1;
	if (rule_shift(st, list_id, position, n, 1) < 0 ||
	    rule_insert(st, list_id, name, cond, arg, action, text,
	    position) < 0)
		goto fail;
	if (own && store_commit(st) < 0)
		return -1;
	return 0;
fail:
	rc = -1;
out:
	if (own)
		store_rollback(st);
	return rc;
}

int
store_rule_rm(struct store *st, int64_t list_id, const char *name)
{
	int own = !db_in_txn(st->db), pos, rc;

	if (own && store_begin(st) < 0)
		return -1;
	if ((rc = rule_position(st, list_id, name, &pos)) <= 0)
		goto out;
	if (db_run(st->db, "DELETE FROM rules WHERE list_id = ?1 AND name = ?2",
	    "it", list_id, name) < 0 ||
	    rule_shift(st, list_id, pos + 1, INT32_MAX, -1) < 0)
		goto fail;
	if (own && store_commit(st) < 0)
		return -1;
	return 1;
fail:
	rc = -1;
out:
	if (own)
		store_rollback(st);
	return rc;
}

/* Set the position of the rule named name. */
static int
rule_place(struct store *st, int64_t list_id, const char *name, int pos)
{
	return db_run(st->db, "UPDATE rules SET position = ?3"
	    " WHERE list_id = ?1 AND name = ?2", "itd", list_id, name, pos) < 0 ?
	    -1 : 0;
}

int
store_rule_mv(struct store *st, int64_t list_id, const char *name,
    int position)
{
	int own = !db_in_txn(st->db), n, from, rc;

	if (own && store_begin(st) < 0)
		return -1;
	if ((rc = rule_position(st, list_id, name, &from)) <= 0)
		goto out;
	if ((n = rule_count(st, list_id)) < 0)
		goto fail;
	if (position > n)
		position = n;
	if (position < 1)
		position = 1;
	if ((position < from &&
	    rule_shift(st, list_id, position, from - 1, 1) < 0) ||
	    (position > from &&
	    rule_shift(st, list_id, from + 1, position, -1) < 0) ||
	    rule_place(st, list_id, name, position) < 0)
		goto fail;
	if (own && store_commit(st) < 0)
		return -1;
	return 1;
fail:
	rc = -1;
out:
	if (own)
		store_rollback(st);
	return rc;
}
