/*
 * store_digest.c — the rows of digests and digest_state, the posts'
 * digest_id, members' digest_format, and digest fan-out jobs (see
 * store_digest.h for the contract).
 *
 * Owns those rows.  The numbering row of a list is created on first use
 * (INSERT OR IGNORE), so lists made before migration 4 need nothing.
 * Fails: -1 after logging the SQLite error (store_fail()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "store_digest.h"
#include "store_int.h"

static int
state_row(struct store *st, int64_t list_id)
{
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT OR IGNORE INTO digest_state (list_id) VALUES (?1)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	return store_step_done(st, s);
}

int
store_digest_state(struct store *st, int64_t list_id, struct digest_state *ds)
{
	sqlite3_stmt *s;
	int rc;

	memset(ds, 0, sizeof(*ds));
	ds->volume = 1;
	s = store_stmt(st, "SELECT volume, issue, year, next_due, due_for,"
	    " log_month FROM digest_state WHERE list_id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ds->volume = sqlite3_column_int64(s, 0);
		ds->issue = sqlite3_column_int64(s, 1);
		ds->year = sqlite3_column_int(s, 2);
		ds->next_due = (time_t)sqlite3_column_int64(s, 3);
		ds->due_for = store_col_str(s, 4);
		ds->log_month = sqlite3_column_int(s, 5);
	} else
		ds->due_for = xstrdup("");
	return store_step_end(st, s, rc);
}

void
store_digest_state_clear(struct digest_state *ds)
{
	free(ds->due_for);
	memset(ds, 0, sizeof(*ds));
}

int
store_digest_set_due(struct store *st, int64_t list_id, time_t next_due,
    const char *due_for)
{
	sqlite3_stmt *s;

	if (state_row(st, list_id) < 0)
		return -1;
	s = store_stmt(st, "UPDATE digest_state SET next_due = ?2,"
	    " due_for = ?3 WHERE list_id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, (int64_t)next_due);
	sqlite3_bind_text(s, 3, due_for, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_digest_log_month(struct store *st, int64_t list_id, int month)
{
	sqlite3_stmt *s;

	if (state_row(st, list_id) < 0)
		return -1;
	s = store_stmt(st, "UPDATE digest_state SET log_month = ?2"
	    " WHERE list_id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int(s, 2, month);
	return store_step_done(st, s);
}

int
store_digest_new_volume(struct store *st, int64_t list_id, int64_t *volume_r)
{
	struct digest_state ds;
	sqlite3_stmt *s;

	if (state_row(st, list_id) < 0)
		return -1;
	s = store_stmt(st, "UPDATE digest_state SET volume = volume + 1,"
	    " issue = 0 WHERE list_id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	if (store_step_done(st, s) < 0 ||
	    store_digest_state(st, list_id, &ds) < 0)
		return -1;
	*volume_r = ds.volume;
	store_digest_state_clear(&ds);
	return 0;
}

int
store_digest_pending(struct store *st, int64_t list_id, int64_t *count_r,
    int64_t *bytes_r)
{
	sqlite3_stmt *s;
	int rc;

	*count_r = *bytes_r = 0;
	s = store_stmt(st, "SELECT count(*), coalesce(sum(m.size), 0)"
	    " FROM posts p JOIN messages m ON m.id = p.message_id"
	    " WHERE p.list_id = ?1 AND p.digest_id = 0"
	    " AND p.state = 'accepted'");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*count_r = sqlite3_column_int64(s, 0);
		*bytes_r = sqlite3_column_int64(s, 1);
	}
	return store_step_end(st, s, rc);
}

int
store_digest_cut(struct store *st, int64_t list_id, int64_t volume,
    int64_t issue, int year, time_t now, int64_t *digest_id_r,
    int64_t *nposts_r)
{
	sqlite3_stmt *s;
	int64_t id;

	*digest_id_r = *nposts_r = 0;
	if (state_row(st, list_id) < 0)
		return -1;
	s = store_stmt(st, "INSERT INTO digests (list_id, volume, issue,"
	    " created, posts) VALUES (?1, ?2, ?3, ?4, 0)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, volume);
	sqlite3_bind_int64(s, 3, issue);
	sqlite3_bind_int64(s, 4, (int64_t)now);
	if (store_step_done(st, s) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(st->sq);
	s = store_stmt(st, "UPDATE posts SET digest_id = ?2"
	    " WHERE list_id = ?1 AND digest_id = 0 AND state = 'accepted'");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, id);
	if (store_step_done(st, s) < 0)
		return -1;
	*nposts_r = sqlite3_changes(st->sq);
	if (*nposts_r == 0) {
		/* Never an empty digest: take the row back. */
		s = store_stmt(st, "DELETE FROM digests WHERE id = ?1");
		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		return store_step_done(st, s);
	}
	s = store_stmt(st, "UPDATE digests SET posts = ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, *nposts_r);
	if (store_step_done(st, s) < 0)
		return -1;
	s = store_stmt(st, "UPDATE digest_state SET volume = ?2, issue = ?3,"
	    " year = ?4 WHERE list_id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, volume);
	sqlite3_bind_int64(s, 3, issue);
	sqlite3_bind_int(s, 4, year);
	if (store_step_done(st, s) < 0)
		return -1;
	*digest_id_r = id;
	return 0;
}

int
store_digest_posts(struct store *st, int64_t list_id, int64_t digest_id,
    int (*fn)(const struct store_post *, void *), void *arg)
{
	struct store_post p;
	sqlite3_stmt *s;
	int rc, stop = 0;

	s = store_stmt(st, "SELECT " POST_COLS " FROM posts"
	    " WHERE list_id = ?1 AND digest_id = ?2 AND state = 'accepted'"
	    " ORDER BY id");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, digest_id);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_post_view(s, &p);
		stop = fn(&p, arg);
	}
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, s, rc);
}

int
store_digest_muters(struct store *st, int64_t list_id, int64_t digest_id,
    int (*fn)(int64_t, const char *, const char *, void *), void *arg)
{
	sqlite3_stmt *s;
	int rc, stop = 0;

	/* From the digest's few posts to the preferences on their threads
	 * (index thread_prefs_thread), never a scan of the members. */
	s = store_stmt(st, "SELECT DISTINCT m.id, m.addr, m.digest_format"
	    " FROM posts p CROSS JOIN thread_prefs t CROSS JOIN members m"
	    " WHERE p.list_id = ?1 AND p.digest_id = ?2"
	    " AND t.thread = p.thread AND t.pref = 'mute'"
	    " AND m.id = t.member_id AND m.list_id = ?1"
	    " AND m.mode = 'digest' ORDER BY m.id");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, digest_id);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2), arg);
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, s, rc);
}

int
store_digest_each(struct store *st, int64_t list_id, size_t max,
    int (*fn)(const struct store_digest *, void *), void *arg)
{
	struct store_digest d;
	sqlite3_stmt *s;
	int rc, stop = 0;

	s = store_stmt(st, "SELECT id, list_id, volume, issue, created, posts"
	    " FROM digests WHERE list_id = ?1 ORDER BY id DESC LIMIT ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, max == 0 ? -1 : (int64_t)max);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		d.id = sqlite3_column_int64(s, 0);
		d.list_id = sqlite3_column_int64(s, 1);
		d.volume = sqlite3_column_int64(s, 2);
		d.issue = sqlite3_column_int64(s, 3);
		d.created = (time_t)sqlite3_column_int64(s, 4);
		d.posts = sqlite3_column_int64(s, 5);
		stop = fn(&d, arg);
	}
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, s, rc);
}

int
store_member_set_digest_format(struct store *st, int64_t list_id,
    const char *addr, const char *format)
{
	sqlite3_stmt *s;
	char key[ADDR_MAX];

	addr_key(addr, key);
	s = store_stmt(st, "UPDATE members SET digest_format = ?3"
	    " WHERE list_id = ?1 AND addr_key = ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, format, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_job_digest(struct store *st, int64_t list_id, int64_t digest_id,
    const char *format, const char *env_from, const char *body, size_t len,
    int64_t max_member, int per_rcpt, int64_t *job_id_r)
{
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO jobs (list_id, kind, env_from, body, cursor,"
	    " max_member, digest_id, audience, per_rcpt, created) VALUES (?1,"
	    " 'fanout', ?2, ?3, 0, ?4, ?5, ?6, ?7, strftime('%s','now'))");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_text(s, 2, env_from, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, max_member);
	sqlite3_bind_int64(s, 5, digest_id);
	sqlite3_bind_text(s, 6, format, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, per_rcpt);
	if (store_step_done(st, s) < 0)
		return -1;
	if (job_id_r != NULL)
		*job_id_r = sqlite3_last_insert_rowid(st->sq);
	return 0;
}
