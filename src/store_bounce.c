/*
 * store_bounce.c — the rows of bounce processing: the bounces journal
 * (the relay's 5xx and the DSNs that came back, each scored once), each
 * member's score and warnings (bounce_state), and members.disabled.
 *
 * Owns no state; every function is one or two statements.  Fails: -1,
 * logged by the store's fault hook.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "store.h"
#include "store_int.h"

int
store_bounce_add(struct store *st, int64_t list_id, int64_t member_id,
    const char *addr, time_t now, int code, const char *text)
{
	return db_run(st->db, "INSERT INTO bounces (list_id,"
	    " member_id, job_id, addr, time, code, text)"
	    " VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6)", "iitidt", list_id, member_id,
	    addr, (int64_t)now, code, text) < 0 ? -1 : 0;
}

int
store_bounce_unscored(struct store *st, size_t max,
    struct store_bounce_event **v_r)
{
	struct db_stmt *s;
	struct store_bounce_event *v;
	int rc = DB_DONE, n = 0;

	*v_r = NULL;
	s = db_query(st->db, "SELECT id, list_id, member_id, code,"
	    " text FROM bounces WHERE scored = 0 ORDER BY id LIMIT ?1", "i",
	    (int64_t)max);
	if (s == NULL)
		return -1;
	v = xcalloc(max ? max : 1, sizeof(*v));
	while ((size_t)n < max && (rc = db_step(s)) == DB_ROW) {
		db_getf(s, "iiidT", &v[n].id, &v[n].list_id, &v[n].member_id,
		    &v[n].code, &v[n].text);
		n++;
	}
	if (store_end(s, rc) < 0) {
		store_bounce_events_free(v, n);
		return -1;
	}
	*v_r = v;
	return n;
}

void
store_bounce_events_free(struct store_bounce_event *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

int
store_bounce_mark_scored(struct store *st, int64_t id)
{
	return db_run(st->db, "UPDATE bounces SET scored = 1 WHERE id = ?1",
	    "i", id) < 0 ? -1 : 0;
}

/* The one numeric column of a one-row query: 1 and *v_r, 0 no row, -1. */
static int
step_one(struct db_stmt *s, double *v_r)
{
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW) {
		*v_r = db_col_double(s, 0);
		db_reset(s);
		return 1;
	}
	return store_end(s, rc) < 0 ? -1 : 0;
}

int
store_bounce_score(struct store *st, int64_t list_id, int64_t member_id,
    time_t now, double weight, const char *diag, long long stale,
    double *score_r)
{
	double last_day;
	int64_t day = (int64_t)(now / 86400);
	int rc, counted;

	rc = step_one(db_query(st->db, "SELECT last_day FROM bounce_state"
	    " WHERE member_id = ?1", "i", member_id), &last_day);
	if (rc < 0)
		return -1;
	counted = rc == 0 || (int64_t)last_day != day;
	if (db_run(st->db, "INSERT INTO bounce_state (member_id, list_id,"
	    " score, last_bounce, last_day, last_diag)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (member_id) DO UPDATE"
	    " SET score = CASE WHEN ?7 = 0 THEN bounce_state.score"
	    "  WHEN bounce_state.last_bounce < ?8 THEN ?3"
	    "  ELSE bounce_state.score + ?3 END,"
	    " last_bounce = ?4, last_day = ?5, last_diag = ?6", "iifiitdi",
	    member_id, list_id, weight, (int64_t)now, day, diag, counted,
	    (int64_t)(now - stale)) < 0)
		return -1;
	if (step_one(db_query(st->db, "SELECT score FROM bounce_state"
	    " WHERE member_id = ?1", "i", member_id), score_r) < 0)
		return -1;
	return counted;
}

int
store_bounce_disable(struct store *st, int64_t member_id, time_t now,
    const char *reason, time_t next)
{
	if (db_run(st->db, "UPDATE members SET disabled = ?1 WHERE id = ?2",
	    "ii", (int64_t)now, member_id) < 0)
		return -1;
	return db_run(st->db, "UPDATE bounce_state SET reason = ?1,"
	    " warnings = 0, next_action = ?2 WHERE member_id = ?3", "tii",
	    reason, (int64_t)next, member_id) < 0 ? -1 : 0;
}

int
store_bounce_warned(struct store *st, int64_t member_id, time_t next)
{
	return db_run(st->db, "UPDATE bounce_state SET"
	    " warnings = warnings + 1, next_action = ?1 WHERE member_id = ?2",
	    "ii", (int64_t)next, member_id) < 0 ? -1 : 0;
}

int
store_bounce_reset(struct store *st, int64_t member_id)
{
	int64_t changed;

	changed = db_run(st->db, "UPDATE members SET disabled = 0"
	    " WHERE id = ?1", "i", member_id);
	if (changed < 0)
		return -1;
	if (db_run(st->db, "DELETE FROM bounce_state WHERE member_id = ?1",
	    "i", member_id) < 0)
		return -1;
	return changed > 0;
}

#define BOUNCE_COLS	"m.id, m.list_id, m.addr, coalesce(b.score, 0),"	\
	" coalesce(b.last_bounce, 0), coalesce(b.last_diag, ''),"	\
	" coalesce(b.reason, ''), coalesce(b.warnings, 0),"		\
	" coalesce(b.next_action, 0), m.disabled"

static void
bounce_row(struct db_stmt *s, struct store_bounce *b)
{
	int64_t last, next, disabled;

	db_getf(s, "iiTfiTTdii", &b->member_id, &b->list_id, &b->addr,
	    &b->score, &last, &b->last_diag, &b->reason, &b->warnings, &next,
	    &disabled);
	b->last_bounce = (time_t)last;
	b->next_action = (time_t)next;
	b->disabled = (time_t)disabled;
}

int
store_bounce_get(struct store *st, int64_t member_id, struct store_bounce *b)
{
	struct db_stmt *s;
	int rc;

	memset(b, 0, sizeof(*b));
	s = db_query(st->db, "SELECT " BOUNCE_COLS " FROM members m"
	    " LEFT JOIN bounce_state b ON b.member_id = m.id WHERE m.id = ?1",
	    "i", member_id);
	if (s == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW) {
		bounce_row(s, b);
		db_reset(s);
		return 1;
	}
	return store_end(s, rc) < 0 ? -1 : 0;
}

void
store_bounce_clear(struct store_bounce *b)
{
	free(b->addr);
	free(b->last_diag);
	free(b->reason);
	memset(b, 0, sizeof(*b));
}

int
store_bounce_list(struct store *st, int64_t list_id, time_t due,
    struct store_bounce **v_r)
{
	struct db_stmt *s;
	struct store_bounce *v = NULL;
	int rc, n = 0;

	*v_r = NULL;
	s = db_query(st->db, "SELECT " BOUNCE_COLS
	    " FROM bounce_state b JOIN members m ON m.id = b.member_id"
	    " WHERE (?1 > 0 AND b.list_id = ?1)"
	    " OR (?1 = 0 AND m.disabled != 0 AND b.next_action <= ?2)"
	    " ORDER BY m.id", "ii", list_id, (int64_t)due);
	if (s == NULL)
		return -1;
	while ((rc = db_step(s)) == DB_ROW) {
		v = xrealloc(v, (size_t)(n + 1) * sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		bounce_row(s, &v[n++]);
	}
	if (store_end(s, rc) < 0) {
		store_bounce_list_free(v, n);
		return -1;
	}
	*v_r = v;
	return n;
}

void
store_bounce_list_free(struct store_bounce *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		store_bounce_clear(&v[i]);
	free(v);
}

int
store_bounce_stale(struct store *st, int64_t list_id, time_t before)
{
	return (int)db_run(st->db, "UPDATE bounce_state SET score = 0"
	    " WHERE list_id = ?1 AND score > 0 AND last_bounce < ?2"
	    " AND member_id IN (SELECT id FROM members WHERE disabled = 0)",
	    "ii", list_id, (int64_t)before);
}

int
store_bounce_pending(struct store *st, time_t now)
{
	double v = 0;

	if (step_one(db_query(st->db, "SELECT CASE WHEN EXISTS (SELECT 1"
	    " FROM bounces WHERE scored = 0) OR EXISTS (SELECT 1"
	    " FROM bounce_state b JOIN members m ON m.id = b.member_id"
	    " WHERE m.disabled != 0 AND b.next_action <= ?1) THEN 1 ELSE 0"
	    " END", "i", (int64_t)now), &v) < 0)
		return -1;
	return v != 0;
}
