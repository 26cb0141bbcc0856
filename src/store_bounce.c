/*
 * store_bounce.c — the rows of bounce processing: the bounces journal
 * (the relay's 5xx and the DSNs that came back, each scored once), each
 * member's score and warnings (bounce_state), and members.disabled.
 *
 * Owns no state; every function is one or two statements.  Fails: -1
 * after logging the SQLite error (store_fail()).
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
	sqlite3_stmt *s = store_stmt(st, "INSERT INTO bounces (list_id,"
	    " member_id, job_id, addr, time, code, text)"
	    " VALUES (?, ?, 0, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, member_id);
	sqlite3_bind_text(s, 3, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)now);
	sqlite3_bind_int(s, 5, code);
	sqlite3_bind_text(s, 6, text, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

int
store_bounce_unscored(struct store *st, size_t max,
    struct store_bounce_event **v_r)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT id, list_id, member_id, code,"
	    " text FROM bounces WHERE scored = 0 ORDER BY id LIMIT ?");
	struct store_bounce_event *v;
	int rc, n = 0;

	*v_r = NULL;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	v = xcalloc(max ? max : 1, sizeof(*v));
	while ((size_t)n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].list_id = sqlite3_column_int64(s, 1);
		v[n].member_id = sqlite3_column_int64(s, 2);
		v[n].code = sqlite3_column_int(s, 3);
		v[n].text = store_col_str(s, 4);
		n++;
	}
	if ((size_t)n < max && store_step_end(st, s, rc) < 0) {
		store_bounce_events_free(v, n);
		return -1;
	}
	sqlite3_reset(s);
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
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE bounces SET scored = 1 WHERE id = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s);
}

/* The one numeric column of a one-row query: 1 and *v_r, 0 no row, -1. */
static int
step_one(struct store *st, sqlite3_stmt *s, double *v_r)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		*v_r = sqlite3_column_double(s, 0);
		sqlite3_reset(s);
		return 1;
	}
	return store_step_end(st, s, rc) < 0 ? -1 : 0;
}

int
store_bounce_score(struct store *st, int64_t list_id, int64_t member_id,
    time_t now, double weight, const char *diag, long long stale,
    double *score_r)
{
	sqlite3_stmt *s;
	double last_day;
	int64_t day = (int64_t)(now / 86400);
	int rc, counted;

	s = store_stmt(st, "SELECT last_day FROM bounce_state"
	    " WHERE member_id = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, member_id);
	if ((rc = step_one(st, s, &last_day)) < 0)
		return -1;
	counted = rc == 0 || (int64_t)last_day != day;
	s = store_stmt(st, "INSERT INTO bounce_state (member_id, list_id,"
	    " score, last_bounce, last_day, last_diag)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (member_id) DO UPDATE"
	    " SET score = CASE WHEN ?7 = 0 THEN score"
	    "  WHEN last_bounce < ?8 THEN ?3 ELSE score + ?3 END,"
	    " last_bounce = ?4, last_day = ?5, last_diag = ?6");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, member_id);
	sqlite3_bind_int64(s, 2, list_id);
	sqlite3_bind_double(s, 3, weight);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 5, day);
	sqlite3_bind_text(s, 6, diag, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, counted);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)(now - stale));
	if (store_step_done(st, s) < 0)
		return -1;
	s = store_stmt(st, "SELECT score FROM bounce_state WHERE member_id = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, member_id);
	if (step_one(st, s, score_r) < 0)
		return -1;
	return counted;
}

int
store_bounce_disable(struct store *st, int64_t member_id, time_t now,
    const char *reason, time_t next)
{
	sqlite3_stmt *s;

	s = store_stmt(st, "UPDATE members SET disabled = ? WHERE id = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, member_id);
	if (store_step_done(st, s) < 0)
		return -1;
	s = store_stmt(st, "UPDATE bounce_state SET reason = ?, warnings = 0,"
	    " next_action = ? WHERE member_id = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)next);
	sqlite3_bind_int64(s, 3, member_id);
	return store_step_done(st, s);
}

int
store_bounce_warned(struct store *st, int64_t member_id, time_t next)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE bounce_state SET"
	    " warnings = warnings + 1, next_action = ? WHERE member_id = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)next);
	sqlite3_bind_int64(s, 2, member_id);
	return store_step_done(st, s);
}

int
store_bounce_reset(struct store *st, int64_t member_id)
{
	sqlite3_stmt *s;
	int changed;

	s = store_stmt(st, "UPDATE members SET disabled = 0 WHERE id = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, member_id);
	if (store_step_done(st, s) < 0)
		return -1;
	changed = sqlite3_changes(st->sq) > 0;
	s = store_stmt(st, "DELETE FROM bounce_state WHERE member_id = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, member_id);
	if (store_step_done(st, s) < 0)
		return -1;
	return changed;
}

#define BOUNCE_COLS	"m.id, m.list_id, m.addr, coalesce(b.score, 0),"	\
	" coalesce(b.last_bounce, 0), coalesce(b.last_diag, ''),"	\
	" coalesce(b.reason, ''), coalesce(b.warnings, 0),"		\
	" coalesce(b.next_action, 0), m.disabled"

static void
bounce_row(sqlite3_stmt *s, struct store_bounce *b)
{
	b->member_id = sqlite3_column_int64(s, 0);
	b->list_id = sqlite3_column_int64(s, 1);
	b->addr = store_col_str(s, 2);
	b->score = sqlite3_column_double(s, 3);
	b->last_bounce = (time_t)sqlite3_column_int64(s, 4);
	b->last_diag = store_col_str(s, 5);
	b->reason = store_col_str(s, 6);
	b->warnings = sqlite3_column_int(s, 7);
	b->next_action = (time_t)sqlite3_column_int64(s, 8);
	b->disabled = (time_t)sqlite3_column_int64(s, 9);
}

int
store_bounce_get(struct store *st, int64_t member_id, struct store_bounce *b)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " BOUNCE_COLS " FROM members m"
	    " LEFT JOIN bounce_state b ON b.member_id = m.id WHERE m.id = ?");
	int rc;

	memset(b, 0, sizeof(*b));
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, member_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		bounce_row(s, b);
		sqlite3_reset(s);
		return 1;
	}
	return store_step_end(st, s, rc) < 0 ? -1 : 0;
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
	sqlite3_stmt *s = store_stmt(st, "SELECT " BOUNCE_COLS
	    " FROM bounce_state b JOIN members m ON m.id = b.member_id"
	    " WHERE (?1 > 0 AND b.list_id = ?1)"
	    " OR (?1 = 0 AND m.disabled != 0 AND b.next_action <= ?2)"
	    " ORDER BY m.id");
	struct store_bounce *v = NULL;
	int rc, n = 0;

	*v_r = NULL;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)due);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (size_t)(n + 1) * sizeof(*v));
		bounce_row(s, &v[n++]);
	}
	if (store_step_end(st, s, rc) < 0) {
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
	sqlite3_stmt *s = store_stmt(st, "UPDATE bounce_state SET score = 0"
	    " WHERE list_id = ? AND score > 0 AND last_bounce < ?"
	    " AND member_id IN (SELECT id FROM members WHERE disabled = 0)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)before);
	if (store_step_done(st, s) < 0)
		return -1;
	return sqlite3_changes(st->sq);
}

int
store_bounce_pending(struct store *st, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT EXISTS (SELECT 1 FROM bounces"
	    " WHERE scored = 0) OR EXISTS (SELECT 1 FROM bounce_state b"
	    " JOIN members m ON m.id = b.member_id WHERE m.disabled != 0"
	    " AND b.next_action <= ?)");
	double v = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	if (step_one(st, s, &v) < 0)
		return -1;
	return v != 0;
}
