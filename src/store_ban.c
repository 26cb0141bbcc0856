/*
 * store_ban.c — the rows of table bans (store_ban.h).
 *
 * Owns those rows; a list's bans go with the list (a trigger of the
 * schema).  A taken glob is found by the UNIQUE constraint through
 * ON CONFLICT DO NOTHING, so it is an answer (1), not a logged error.
 * Fails: -1, the error logged by the store's fault hook.
 */
#include <stdint.h>

#include "store_int.h"
#include "store_ban.h"

int
store_ban_add(struct store *st, int64_t list_id, const char *glob,
    int64_t created)
{
	int64_t n;

	n = db_run(st->db, "INSERT INTO bans (list_id, glob, created)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (list_id, glob) DO NOTHING",
	    "iti", list_id, glob, created);
	if (n < 0)
		return -1;
	return n == 0 ? 1 : 0;
}

int
store_ban_rm(struct store *st, int64_t list_id, const char *glob)
{
	int64_t n;

	n = db_run(st->db, "DELETE FROM bans WHERE list_id = ?1 AND"
	    " glob = ?2", "it", list_id, glob);
	if (n < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int
store_ban_each(struct store *st, int64_t list_id,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	struct db_stmt *stmt;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT glob, created FROM bans"
	    " WHERE list_id = ?1 ORDER BY glob", "i", list_id);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW)
		stop = fn(db_col_text(stmt, 0), db_col_int64(stmt, 1), arg);
	return store_end(stmt, rc);
}
