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
 * Fails: -1, logged by the store's fault hook.
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
col_text(struct db_stmt *stmt, int col)
{
	const char *s = db_col_text(stmt, col);

	return s != NULL ? s : "";
}

/* Copy a hash blob; 1 when it had the right size, else 0 (zeroed). */
static int
col_hash(struct db_stmt *stmt, int col, uint8_t out[MODLOG_HASH])
{
	size_t len;
	const void *p = db_col_blob(stmt, col, &len);

	if (p == NULL || len != MODLOG_HASH) {
		memset(out, 0, MODLOG_HASH);
		return 0;
	}
	memcpy(out, p, MODLOG_HASH);
	return 1;
}

static void
modlog_row(struct db_stmt *stmt, struct store_modlog_row *r)
{
	memset(r, 0, sizeof(*r));
	r->e.seq = db_col_int64(stmt, 0);
	r->e.time = (time_t)db_col_int64(stmt, 1);
	r->e.action = col_text(stmt, 2);
	r->e.post_id = db_col_int64(stmt, 3);
	r->e.msgid = col_text(stmt, 4);
	r->e.subject = col_text(stmt, 5);
	r->e.rule = col_text(stmt, 6);
	r->e.reason = col_text(stmt, 7);
	r->e.moderator = col_text(stmt, 8);
	r->prev_ok = col_hash(stmt, 9, r->prev);
	r->hash_ok = col_hash(stmt, 10, r->e.hash);
	r->e.form = (int)db_col_int64(stmt, 11);
	r->e.modid = col_text(stmt, 12);
}

int
store_modlog_lock(struct store *st, int64_t list_id)
{
	struct db_stmt *stmt;
	int rc;

	stmt = db_query(st->db, "SELECT id FROM lists WHERE id = ?1"
	    " {FOR_UPDATE}", "i", list_id);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW)
		continue;
	return store_end(stmt, rc) < 0 ? -1 : 0;
}

int
store_modlog_last(struct store *st, int64_t list_id, int64_t *seq_r,
    uint8_t hash[MODLOG_HASH])
{
	struct db_stmt *stmt;
	int rc;

	*seq_r = 0;
	memset(hash, 0, MODLOG_HASH);
	stmt = db_query(st->db, "SELECT seq, hash FROM modlog"
	    " WHERE list_id = ?1 ORDER BY seq DESC LIMIT 1", "i", list_id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	*seq_r = db_col_int64(stmt, 0);
	(void)col_hash(stmt, 1, hash);
	db_reset(stmt);
	return 1;
}

int
store_modlog_hash_at(struct store *st, int64_t list_id, int64_t seq,
    uint8_t hash[MODLOG_HASH])
{
	struct db_stmt *stmt;
	int rc;

	memset(hash, 0, MODLOG_HASH);
	if (seq == 0)
		return 1;
	stmt = db_query(st->db, "SELECT hash FROM modlog"
	    " WHERE list_id = ?1 AND seq = ?2", "ii", list_id, seq);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	(void)col_hash(stmt, 0, hash);
	db_reset(stmt);
	return 1;
}

/* NULL as "": the columns are NOT NULL. */
static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

int
store_modlog_insert(struct store *st, int64_t list_id,
    const struct modlog_entry *e, const uint8_t prev[MODLOG_HASH])
{
	return db_run(st->db, "INSERT INTO modlog (list_id, seq, time,"
	    " action, post_id, msgid, subject, rule, reason, moderator,"
	    " prev, hash, form, modid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14)", "iiititttttbbdt", list_id,
	    e->seq, (int64_t)e->time, str(e->action), e->post_id,
	    str(e->msgid), str(e->subject), str(e->rule), str(e->reason),
	    str(e->moderator), (const void *)prev, (size_t)MODLOG_HASH,
	    (const void *)e->hash, (size_t)MODLOG_HASH, e->form,
	    str(e->modid)) < 0 ? -1 : 0;
}

int
store_modlog_each(struct store *st, int64_t list_id, int newest_first,
    size_t limit, int (*fn)(const struct store_modlog_row *, void *),
    void *arg)
{
	struct store_modlog_row r;
	struct db_stmt *stmt;
	int64_t n;
	int rc;

	/* No limit is the largest one (both engines reject LIMIT -1 or
	 * LIMIT NULL in one way or another). */
	n = limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
	if (newest_first)
		stmt = db_query(st->db, "SELECT " MODLOG_COLS " FROM modlog"
		    " WHERE list_id = ?1 ORDER BY seq DESC LIMIT ?2", "ii",
		    list_id, n);
	else
		stmt = db_query(st->db, "SELECT " MODLOG_COLS " FROM modlog"
		    " WHERE list_id = ?1 ORDER BY seq ASC LIMIT ?2", "ii",
		    list_id, n);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW) {
		modlog_row(stmt, &r);
		if (fn(&r, arg) != 0)
			break;
	}
	return store_end(stmt, rc);
}

int
store_modlog_count(struct store *st, int64_t list_id, time_t since,
    int by_rule, int (*fn)(const char *key, int64_t n, void *), void *arg)
{
	struct db_stmt *stmt;
	int rc;

	if (by_rule)
		stmt = db_query(st->db, "SELECT rule, COUNT(*) FROM modlog"
		    " WHERE list_id = ?1 AND time >= ?2 AND rule != ''"
		    " GROUP BY rule ORDER BY rule", "ii", list_id,
		    (int64_t)since);
	else
		stmt = db_query(st->db, "SELECT action, COUNT(*) FROM modlog"
		    " WHERE list_id = ?1 AND time >= ?2"
		    " GROUP BY action ORDER BY action", "ii", list_id,
		    (int64_t)since);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW)
		if (fn(col_text(stmt, 0), db_col_int64(stmt, 1), arg) != 0)
			break;
	return store_end(stmt, rc);
}

int
store_modlog_decision_times(struct store *st, int64_t list_id, time_t since,
    int (*fn)(int64_t secs, void *), void *arg)
{
	struct db_stmt *stmt;
	int rc;

	/* MIN(h.held): one h row per post, but PostgreSQL wants every
	 * column outside GROUP BY in an aggregate. */
	stmt = db_query(st->db, "SELECT MIN(d.time) - MIN(h.held) FROM modlog d"
	    " JOIN (SELECT post_id, MIN(time) AS held FROM modlog"
	    "  WHERE list_id = ?1 AND action = 'held' AND post_id != 0"
	    "  GROUP BY post_id) h ON h.post_id = d.post_id"
	    " WHERE d.list_id = ?1 AND d.action IN ('approved', 'rejected')"
	    " GROUP BY d.post_id HAVING MIN(d.time) >= ?2 ORDER BY 1", "ii",
	    list_id, (int64_t)since);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW)
		if (fn(db_col_int64(stmt, 0), arg) != 0)
			break;
	return store_end(stmt, rc);
}

/* ---- signed checkpoints ---------------------------------------------- */

int
store_modlog_checkpoint_put(struct store *st, int64_t list_id,
    const struct checkpoint *cp)
{
	return db_run(st->db, "INSERT INTO modlog_checkpoints (list_id,"
	    " count, head, time, sig) VALUES (?1, ?2, ?3, ?4, ?5)", "iibib",
	    list_id, (int64_t)cp->count, (const void *)cp->head,
	    (size_t)CHECKPOINT_HASH, (int64_t)cp->time, (const void *)cp->sig,
	    (size_t)CHECKPOINT_SIG) < 0 ? -1 : 0;
}

int
store_modlog_checkpoint_last(struct store *st, int64_t list_id,
    struct checkpoint *cp)
{
	struct db_stmt *stmt;
	const void *head, *sig;
	size_t hlen, slen;
	int64_t count, t;
	int rc;

	memset(cp, 0, sizeof(*cp));
	stmt = db_query(st->db, "SELECT count, head, time, sig"
	    " FROM modlog_checkpoints WHERE list_id = ?1"
	    " ORDER BY id DESC LIMIT 1", "i", list_id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	db_getf(stmt, "ibib", &count, &head, &hlen, &t, &sig, &slen);
	rc = 0;
	if (head != NULL && sig != NULL && hlen == CHECKPOINT_HASH &&
	    slen == CHECKPOINT_SIG) {
		cp->count = count;
		memcpy(cp->head, head, CHECKPOINT_HASH);
		cp->time = (time_t)t;
		memcpy(cp->sig, sig, CHECKPOINT_SIG);
		rc = 1;
	}
	db_reset(stmt);
	return rc;
}
