/*
 * store_ban.c — the rows of table bans (store_ban.h).
 *
 * Owns those rows; a list's bans go with the list (a trigger of the
 * schema).  A taken glob is found by the UNIQUE constraint through
 * INSERT OR IGNORE, so it is an answer (1), not a logged error.
 * Fails: -1 after logging the SQLite error (store_fail()).
 */
#include <stdint.h>

#include "store_int.h"
#include "store_ban.h"

int
store_ban_add(struct store *st, int64_t list_id, const char *glob,
    int64_t created)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "INSERT OR IGNORE INTO bans (list_id, glob,"
	    " created) VALUES (?1, ?2, ?3)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, glob, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, created);
	if (store_step_done(st, stmt) < 0)
		return -1;
	return sqlite3_changes(st->sq) == 0 ? 1 : 0;
}

int
store_ban_rm(struct store *st, int64_t list_id, const char *glob)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "DELETE FROM bans WHERE list_id = ?1 AND"
	    " glob = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, glob, -1, SQLITE_STATIC);
	if (store_step_done(st, stmt) < 0)
		return -1;
	return sqlite3_changes(st->sq) > 0 ? 1 : 0;
}

int
store_ban_each(struct store *st, int64_t list_id,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st, "SELECT glob, created FROM bans"
	    " WHERE list_id = ?1 ORDER BY glob");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		stop = fn((const char *)sqlite3_column_text(stmt, 0),
		    sqlite3_column_int64(stmt, 1), arg);
	if (stop) {
		sqlite3_reset(stmt);
		return 0;
	}
	return store_step_end(st, stmt, rc);
}
