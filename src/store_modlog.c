/*
 * store_modlog.c — the rows of table modlog: append, read the last one,
 * walk them in either order, and the counts a summary needs.
 *
 * Owns the modlog rows.  It never updates or deletes one: the log is
 * append-only, and modlog.c decides what goes in (seq, prev, hash).  A
 * row's list_id stays when its list goes, so a list's history can still
 * be read and verified by id.
 *
 * Reads give borrowed strings (valid during the callback only); a hash
 * blob of the wrong size is reported, not trusted (store_modlog_row).
 * Fails: -1 after logging the SQLite error (store_fail()).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "store_modlog.h"

/* The columns modlog_row() reads, in its order. */
#define MODLOG_COLS	"seq, time, action, post_id, msgid, subject, rule," \
			" reason, moderator, prev, hash, form, modid"

static const char *
col_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s != NULL ? (const char *)s : "";
}

/* Copy a hash blob; 1 when it had the right size, else 0 (zeroed). */
static int
col_hash(sqlite3_stmt *stmt, int col, uint8_t out[MODLOG_HASH])
{
	const void *p = sqlite3_column_blob(stmt, col);

	if (p == NULL || sqlite3_column_bytes(stmt, col) != MODLOG_HASH) {
		memset(out, 0, MODLOG_HASH);
		return 0;
	}
	memcpy(out, p, MODLOG_HASH);
	return 1;
}

static void
modlog_row(sqlite3_stmt *stmt, struct store_modlog_row *r)
{
	memset(r, 0, sizeof(*r));
	r->e.seq = sqlite3_column_int64(stmt, 0);
	r->e.time = (time_t)sqlite3_column_int64(stmt, 1);
	r->e.action = col_text(stmt, 2);
	r->e.post_id = sqlite3_column_int64(stmt, 3);
	r->e.msgid = col_text(stmt, 4);
	r->e.subject = col_text(stmt, 5);
	r->e.rule = col_text(stmt, 6);
	r->e.reason = col_text(stmt, 7);
	r->e.moderator = col_text(stmt, 8);
	r->prev_ok = col_hash(stmt, 9, r->prev);
	r->hash_ok = col_hash(stmt, 10, r->e.hash);
	r->e.form = sqlite3_column_int(stmt, 11);
	r->e.modid = col_text(stmt, 12);
}

int
store_modlog_last(struct store *st, int64_t list_id, int64_t *seq_r,
    uint8_t hash[MODLOG_HASH])
{
	sqlite3_stmt *stmt;
	int rc;

	*seq_r = 0;
	memset(hash, 0, MODLOG_HASH);
	stmt = store_stmt(st, "SELECT seq, hash FROM modlog"
	    " WHERE list_id = ?1 ORDER BY seq DESC LIMIT 1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return store_step_end(st, stmt, rc);
	*seq_r = sqlite3_column_int64(stmt, 0);
	(void)col_hash(stmt, 1, hash);
	sqlite3_reset(stmt);
	return 1;
}

int
store_modlog_hash_at(struct store *st, int64_t list_id, int64_t seq,
    uint8_t hash[MODLOG_HASH])
{
	sqlite3_stmt *stmt;
	int rc;

	memset(hash, 0, MODLOG_HASH);
	if (seq == 0)
		return 1;
	stmt = store_stmt(st, "SELECT hash FROM modlog"
	    " WHERE list_id = ?1 AND seq = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, seq);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return store_step_end(st, stmt, rc);
	(void)col_hash(stmt, 0, hash);
	sqlite3_reset(stmt);
	return 1;
}

static void
bind_str(sqlite3_stmt *stmt, int col, const char *s)
{
	sqlite3_bind_text(stmt, col, s != NULL ? s : "", -1, SQLITE_STATIC);
}

int
store_modlog_insert(struct store *st, int64_t list_id,
    const struct modlog_entry *e, const uint8_t prev[MODLOG_HASH])
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "INSERT INTO modlog (list_id, seq, time,"
	    " action, post_id, msgid, subject, rule, reason, moderator,"
	    " prev, hash, form, modid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, e->seq);
	sqlite3_bind_int64(stmt, 3, (int64_t)e->time);
	bind_str(stmt, 4, e->action);
	sqlite3_bind_int64(stmt, 5, e->post_id);
	bind_str(stmt, 6, e->msgid);
	bind_str(stmt, 7, e->subject);
	bind_str(stmt, 8, e->rule);
	bind_str(stmt, 9, e->reason);
	bind_str(stmt, 10, e->moderator);
	sqlite3_bind_blob(stmt, 11, prev, MODLOG_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 12, e->hash, MODLOG_HASH, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 13, e->form);
	bind_str(stmt, 14, e->modid);
	return store_step_done(st, stmt);
}

int
store_modlog_each(struct store *st, int64_t list_id, int newest_first,
    size_t limit, int (*fn)(const struct store_modlog_row *, void *),
    void *arg)
{
	struct store_modlog_row r;
	sqlite3_stmt *stmt;
	int rc;

	/* LIMIT -1 is no limit in SQLite. */
	if (newest_first)
		stmt = store_stmt(st, "SELECT " MODLOG_COLS " FROM modlog"
		    " WHERE list_id = ?1 ORDER BY seq DESC LIMIT ?2");
	else
		stmt = store_stmt(st, "SELECT " MODLOG_COLS " FROM modlog"
		    " WHERE list_id = ?1 ORDER BY seq ASC LIMIT ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, limit == 0 || limit > INT64_MAX ? -1 :
	    (int64_t)limit);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		modlog_row(stmt, &r);
		if (fn(&r, arg) != 0) {
			sqlite3_reset(stmt);
			return 0;
		}
	}
	return store_step_end(st, stmt, rc);
}

int
store_modlog_count(struct store *st, int64_t list_id, time_t since,
    int by_rule, int (*fn)(const char *key, int64_t n, void *), void *arg)
{
	sqlite3_stmt *stmt;
	int rc;

	if (by_rule)
		stmt = store_stmt(st, "SELECT rule, COUNT(*) FROM modlog"
		    " WHERE list_id = ?1 AND time >= ?2 AND rule != ''"
		    " GROUP BY rule ORDER BY rule");
	else
		stmt = store_stmt(st, "SELECT action, COUNT(*) FROM modlog"
		    " WHERE list_id = ?1 AND time >= ?2"
		    " GROUP BY action ORDER BY action");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, (int64_t)since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn(col_text(stmt, 0), sqlite3_column_int64(stmt, 1),
		    arg) != 0) {
			sqlite3_reset(stmt);
			return 0;
		}
	return store_step_end(st, stmt, rc);
}

int
store_modlog_decision_times(struct store *st, int64_t list_id, time_t since,
    int (*fn)(int64_t secs, void *), void *arg)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_stmt(st, "SELECT MIN(d.time) - h.held FROM modlog d"
	    " JOIN (SELECT post_id, MIN(time) AS held FROM modlog"
	    "  WHERE list_id = ?1 AND action = 'held' AND post_id != 0"
	    "  GROUP BY post_id) h ON h.post_id = d.post_id"
	    " WHERE d.list_id = ?1 AND d.action IN ('approved', 'rejected')"
	    " GROUP BY d.post_id HAVING MIN(d.time) >= ?2 ORDER BY 1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, (int64_t)since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn(sqlite3_column_int64(stmt, 0), arg) != 0) {
			sqlite3_reset(stmt);
			return 0;
		}
	return store_step_end(st, stmt, rc);
}

/* ---- signed checkpoints ---------------------------------------------- */

int
store_modlog_checkpoint_put(struct store *st, int64_t list_id,
    const struct checkpoint *cp)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "INSERT INTO modlog_checkpoints (list_id,"
	    " count, head, time, sig) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, cp->count);
	sqlite3_bind_blob(stmt, 3, cp->head, CHECKPOINT_HASH, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (int64_t)cp->time);
	sqlite3_bind_blob(stmt, 5, cp->sig, CHECKPOINT_SIG, SQLITE_STATIC);
	return store_step_done(st, stmt);
}

int
store_modlog_checkpoint_last(struct store *st, int64_t list_id,
    struct checkpoint *cp)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(cp, 0, sizeof(*cp));
	stmt = store_stmt(st, "SELECT count, head, time, sig"
	    " FROM modlog_checkpoints WHERE list_id = ?1"
	    " ORDER BY id DESC LIMIT 1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return store_step_end(st, stmt, rc);
	rc = 0;
	if (sqlite3_column_bytes(stmt, 1) == CHECKPOINT_HASH &&
	    sqlite3_column_bytes(stmt, 3) == CHECKPOINT_SIG) {
		cp->count = sqlite3_column_int64(stmt, 0);
		memcpy(cp->head, sqlite3_column_blob(stmt, 1),
		    CHECKPOINT_HASH);
		cp->time = (time_t)sqlite3_column_int64(stmt, 2);
		memcpy(cp->sig, sqlite3_column_blob(stmt, 3), CHECKPOINT_SIG);
		rc = 1;
	}
	sqlite3_reset(stmt);
	return rc;
}
