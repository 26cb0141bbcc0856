/*
 * store_digest.c — the rows of digests and digest_state, the posts'
 * digest_id, members' digest_format, and digest fan-out jobs (see
 * store_digest.h for the contract).
 *
 * Owns those rows.  The numbering row of a list is created on first use
 * (ON CONFLICT DO NOTHING), so lists made before migration 4 need
 * nothing.  Fails: -1, logged by the store's fault hook.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "store_digest.h"
#include "store_int.h"

static int
state_row(struct store *st, int64_t list_id)
{
	return db_run(st->db, "INSERT INTO digest_state (list_id) VALUES (?1)"
	    " ON CONFLICT (list_id) DO NOTHING", "i", list_id) < 0 ? -1 : 0;
}

int
store_digest_state(struct store *st, int64_t list_id, struct digest_state *ds)
{
	struct db_stmt *s;
	int64_t next_due;
	int rc;

	memset(ds, 0, sizeof(*ds));
	ds->volume = 1;
	s = db_query(st->db, "SELECT volume, issue, year, next_due, due_for,"
	    " log_month FROM digest_state WHERE list_id = ?1", "i", list_id);
	if (s == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW) {
		db_getf(s, "iidiTd", &ds->volume, &ds->issue, &ds->year,
		    &next_due, &ds->due_for, &ds->log_month);
		ds->next_due = (time_t)next_due;
	} else
		ds->due_for = xstrdup("");
	return store_end(s, rc);
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
	if (state_row(st, list_id) < 0)
		return -1;
	return db_run(st->db, "UPDATE digest_state SET next_due = ?2,"
	    " due_for = ?3 WHERE list_id = ?1", "iit", list_id,
	    (int64_t)next_due, due_for) < 0 ? -1 : 0;
}

int
store_digest_log_month(struct store *st, int64_t list_id, int month)
{
	if (state_row(st, list_id) < 0)
		return -1;
	return db_run(st->db, "UPDATE digest_state SET log_month = ?2"
	    " WHERE list_id = ?1", "id", list_id, month) < 0 ? -1 : 0;
}

int
store_digest_new_volume(struct store *st, int64_t list_id, int64_t *volume_r)
{
	struct digest_state ds;

	if (state_row(st, list_id) < 0)
		return -1;
	if (db_run(st->db, "UPDATE digest_state SET volume = volume + 1,"
	    " issue = 0 WHERE list_id = ?1", "i", list_id) < 0 ||
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
	struct db_stmt *s;
	int rc;

	*count_r = *bytes_r = 0;
	s = db_query(st->db, "SELECT count(*), coalesce(sum(m.size), 0)"
	    " FROM posts p JOIN messages m ON m.id = p.message_id"
	    " WHERE p.list_id = ?1 AND p.digest_id = 0"
	    " AND p.state = 'accepted'", "i", list_id);
	if (s == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW)
		db_getf(s, "ii", count_r, bytes_r);
	return store_end(s, rc);
}

int
store_digest_cut(struct store *st, int64_t list_id, int64_t volume,
    int64_t issue, int year, time_t now, int64_t *digest_id_r,
    int64_t *nposts_r)
{
	int64_t id;

	*digest_id_r = *nposts_r = 0;
	if (state_row(st, list_id) < 0)
		return -1;
	id = store_returned_id(db_query(st->db, "INSERT INTO digests (list_id,"
	    " volume, issue, created, posts) VALUES (?1, ?2, ?3, ?4, 0)"
	    " RETURNING id", "iiii", list_id, volume, issue, (int64_t)now));
	if (id <= 0)
		return -1;
	*nposts_r = db_run(st->db, "UPDATE posts SET digest_id = ?2"
	    " WHERE list_id = ?1 AND digest_id = 0 AND state = 'accepted'",
	    "ii", list_id, id);
	if (*nposts_r < 0) {
		*nposts_r = 0;
		return -1;
	}
	if (*nposts_r == 0)	/* never an empty digest: take the row back */
		return db_run(st->db, "DELETE FROM digests WHERE id = ?1", "i",
		    id) < 0 ? -1 : 0;
	if (db_run(st->db, "UPDATE digests SET posts = ?2 WHERE id = ?1",
	    "ii", id, *nposts_r) < 0 ||
	    db_run(st->db, "UPDATE digest_state SET volume = ?2, issue = ?3,"
	    " year = ?4 WHERE list_id = ?1", "iiid", list_id, volume, issue,
	    year) < 0)
		return -1;
	*digest_id_r = id;
	return 0;
}

int
store_digest_posts(struct store *st, int64_t list_id, int64_t digest_id,
    int (*fn)(const struct store_post *, void *), void *arg)
{
	struct store_post p;
	struct db_stmt *s;
	int rc, stop = 0;

	s = db_query(st->db, "SELECT " POST_COLS " FROM posts"
	    " WHERE list_id = ?1 AND digest_id = ?2 AND state = 'accepted'"
	    " ORDER BY id", "ii", list_id, digest_id);
	if (s == NULL)
		return -1;
	while (!stop && (rc = db_step(s)) == DB_ROW) {
		store_post_view(s, &p);
		stop = fn(&p, arg);
	}
	return store_end(s, rc);
}

int
store_digest_muters(struct store *st, int64_t list_id, int64_t digest_id,
    int (*fn)(int64_t, const char *, const char *, void *), void *arg)
{
	struct db_stmt *s;
	int rc, stop = 0;

	/* From the digest's few posts to the preferences on their threads
	 * (index thread_prefs_thread), never a scan of the members. */
	s = db_query(st->db, "SELECT DISTINCT m.id, m.addr, m.digest_format"
	    " FROM posts p CROSS JOIN thread_prefs t CROSS JOIN members m"
	    " WHERE p.list_id = ?1 AND p.digest_id = ?2"
	    " AND t.thread = p.thread AND t.pref = 'mute'"
	    " AND m.id = t.member_id AND m.list_id = ?1"
	    " AND m.mode = 'digest' ORDER BY m.id", "ii", list_id, digest_id);
	if (s == NULL)
		return -1;
	while (!stop && (rc = db_step(s)) == DB_ROW)
		stop = fn(db_col_int64(s, 0), db_col_text(s, 1),
		    db_col_text(s, 2), arg);
	return store_end(s, rc);
}

int
store_digest_each(struct store *st, int64_t list_id, size_t max,
    int (*fn)(const struct store_digest *, void *), void *arg)
{
	struct store_digest d;
	struct db_stmt *s;
	int64_t created;
	int rc, stop = 0;

	s = db_query(st->db, "SELECT id, list_id, volume, issue, created, posts"
	    " FROM digests WHERE list_id = ?1 ORDER BY id DESC LIMIT ?2", "ii",
	    list_id, max == 0 ? INT64_MAX : (int64_t)max);
	if (s == NULL)
		return -1;
	while (!stop && (rc = db_step(s)) == DB_ROW) {
		db_getf(s, "iiiiii", &d.id, &d.list_id, &d.volume, &d.issue,
		    &created, &d.posts);
		d.created = (time_t)created;
		stop = fn(&d, arg);
	}
	return store_end(s, rc);
}

int
store_member_set_digest_format(struct store *st, int64_t list_id,
    const char *addr, const char *format)
{
	char key[ADDR_MAX];

	addr_key(addr, key);
	return db_run(st->db, "UPDATE members SET digest_format = ?3"
	    " WHERE list_id = ?1 AND addr_key = ?2", "itt", list_id, key,
	    format) < 0 ? -1 : 0;
}

int
store_job_digest(struct store *st, int64_t list_id, int64_t digest_id,
    const char *format, const char *env_from, const char *body, size_t len,
    int64_t max_member, int per_rcpt, int64_t *job_id_r)
{
	int64_t id;

	id = store_returned_id(db_query(st->db, "INSERT INTO jobs (list_id, kind,"
	    " env_from, body, cursor, max_member, digest_id, audience,"
	    " per_rcpt, created) VALUES (?1, 'fanout', ?2, ?3, 0, ?4, ?5, ?6,"
	    " ?7, ?8) RETURNING id", "itbiitdi", list_id, env_from,
	    (const void *)body, len, max_member, digest_id, format, per_rcpt,
	    (int64_t)time(NULL)));
	if (id <= 0)
		return -1;
	if (job_id_r != NULL)
		*job_id_r = id;
	return 0;
}
