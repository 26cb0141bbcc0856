/*
 * store_queue.c — the delivery queue: jobs, fan-out cursors, in-flight
 * ranges, retries and bounces.
 *
 * A fan-out job never writes a row per recipient up front.  Claiming a
 * batch moves the job's cursor past the next relay_batch members and
 * records the range (lo, hi] as in flight; finishing the batch deletes the
 * range and records only the recipients that need a retry or bounced.  A
 * crash leaves the claimed ranges behind; store_queue_recover marks them
 * orphans, and they are sent again first: only what was in flight can be
 * delivered twice.  Claim and finish are each one IMMEDIATE transaction,
 * so several delivery threads can share a job.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "store_int.h"

static void
rcpt_set(struct store_rcpt *r, int64_t member_id, const char *addr)
{
	memset(r, 0, sizeof(*r));
	r->member_id = member_id;
	if (strlen(addr) < sizeof(r->addr))
		strcpy(r->addr, addr);
}

int
store_job_fanout(struct store *st, int64_t list_id, int64_t post_id,
    const char *env_from, const char *body, size_t len, int64_t max_member,
    int per_rcpt, const char *thread, int64_t *job_id_r)
{
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO jobs (list_id, post_id, kind, env_from, body,"
	    " cursor, max_member, per_rcpt, thread, created) VALUES (?, ?,"
	    " 'fanout', ?, ?, 0, ?, ?, ?, strftime('%s','now'))");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, post_id);
	sqlite3_bind_text(s, 3, env_from, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, max_member);
	sqlite3_bind_int(s, 6, per_rcpt);
	sqlite3_bind_text(s, 7, thread ? thread : "", -1, SQLITE_STATIC);
	if (store_step_done(st, s) < 0)
		return -1;
	if (job_id_r != NULL)
		*job_id_r = sqlite3_last_insert_rowid(st->sq);
	return 0;
}

int
store_job_direct(struct store *st, const char *env_from,
    const char *const *rcpts, size_t n, const char *body, size_t len,
    int64_t *job_id_r)
{
	sqlite3_stmt *s;
	int64_t job;
	size_t i;

	s = store_stmt(st,
	    "INSERT INTO jobs (kind, env_from, body, created)"
	    " VALUES ('direct', ?, ?, strftime('%s','now'))");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, env_from, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, body, (int)len, SQLITE_STATIC);
	if (store_step_done(st, s) < 0)
		return -1;
	job = sqlite3_last_insert_rowid(st->sq);
	for (i = 0; i < n; i++) {
		s = store_stmt(st,
		    "INSERT INTO retries (job_id, addr, next_attempt)"
		    " VALUES (?, ?, 0)");
		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, job);
		sqlite3_bind_text(s, 2, rcpts[i], -1, SQLITE_STATIC);
		if (store_step_done(st, s) < 0)
			return -1;
	}
	if (job_id_r != NULL)
		*job_id_r = job;
	return 0;
}

static void
job_from_row(sqlite3_stmt *s, struct store_job *j, int with_body)
{
	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(s, 0);
	j->list_id = sqlite3_column_int64(s, 1);
	j->post_id = sqlite3_column_int64(s, 2);
	j->kind = store_col_str(s, 3);
	j->env_from = store_col_str(s, 4);
	j->cursor = sqlite3_column_int64(s, 5);
	j->max_member = sqlite3_column_int64(s, 6);
	j->state = store_col_str(s, 7);
	j->created = (time_t)sqlite3_column_int64(s, 8);
	j->sent = sqlite3_column_int64(s, 9);
	j->failed = sqlite3_column_int64(s, 10);
	j->deferred = sqlite3_column_int64(s, 11);
	j->inflight = sqlite3_column_int64(s, 12);
	j->per_rcpt = sqlite3_column_int(s, 13);
	j->list_addr = store_col_str(s, 15);
	j->thread = store_col_str(s, 16);
	j->len = (size_t)sqlite3_column_bytes(s, 14);
	if (with_body) {
		j->body = xmalloc(j->len + 1);
		if (j->len > 0)
			memcpy(j->body, sqlite3_column_blob(s, 14), j->len);
		j->body[j->len] = '\0';
	}
}

#define JOB_COLUMNS							\
	"j.id, j.list_id, j.post_id, j.kind, j.env_from, j.cursor,"	\
	" j.max_member, j.state, j.created, j.sent, j.failed,"		\
	" (SELECT count(*) FROM retries r WHERE r.job_id = j.id),"	\
	" (SELECT count(*) FROM inflight f WHERE f.job_id = j.id),"	\
	" j.per_rcpt"

int
store_job_get(struct store *st, int64_t job_id, struct store_job *j)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " JOB_COLUMNS ", j.body,"
	    " (SELECT addr FROM lists WHERE id = j.list_id), j.thread"
	    " FROM jobs j WHERE j.id = ?");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		store_fail(st, "job get", rc);
		sqlite3_reset(s);
		return -1;
	}
	job_from_row(s, j, 1);
	sqlite3_reset(s);
	return 1;
}

void
store_job_clear(struct store_job *j)
{
	free(j->kind);
	free(j->env_from);
	free(j->body);
	free(j->state);
	free(j->list_addr);
	free(j->thread);
	memset(j, 0, sizeof(*j));
}

int
store_job_each(struct store *st, int active_only,
    int (*fn)(const struct store_job *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " JOB_COLUMNS ", length(j.body),"
	    " (SELECT addr FROM lists WHERE id = j.list_id), j.thread"
	    " FROM jobs j WHERE (? = 0 OR j.state = 'active') ORDER BY j.id");
	struct store_job j;
	int rc, stop = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, active_only);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		job_from_row(s, &j, 0);
		j.len = (size_t)sqlite3_column_int64(s, 14);
		stop = fn(&j, arg);
		store_job_clear(&j);
	}
	if (!stop && rc != SQLITE_DONE) {
		store_fail(st, "job list", rc);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* 1 when some member muted or follows thread, 0 not, -1 error. */
static int
thread_has_prefs(struct store *st, const char *thread)
{
	sqlite3_stmt *s;
	int rc;

	if (thread == NULL || *thread == '\0')
		return 0;
	if ((s = store_stmt(st, "SELECT EXISTS (SELECT 1 FROM thread_prefs"
	    " WHERE thread = ?)")) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, thread, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_reset(s);
	return rc;
}

/* Who a fan-out job reaches: its list, and its post's thread or its
 * digest and format. */
struct audience {
	int64_t	 list_id;
	char	*thread;	/* a post's: "" when unknown */
	int64_t	 digest_id;	/* a digest's: 0 for a post */
	char	*format;	/* "" for a post, "mime" or "plain" */
};

/* Read list_id, thread, digest_id, audience from columns col.. */
static void
audience_read(sqlite3_stmt *s, int col, struct audience *a)
{
	a->list_id = sqlite3_column_int64(s, col);
	a->thread = store_col_str(s, col + 1);
	a->digest_id = sqlite3_column_int64(s, col + 2);
	a->format = store_col_str(s, col + 3);
}

static void
audience_clear(struct audience *a)
{
	free(a->thread);
	free(a->format);
	memset(a, 0, sizeof(*a));
}

/*
 * Members of the job's list in (lo, hi] who get this post, at most max:
 * "each" members who did not mute its thread, and "follow" members who
 * follow it.  Without any preference on the thread (the common case) the
 * query is a plain range scan.  A digest goes to the digest members of
 * its format who muted none of its threads (those get their own copy).
 */
static int
range_members(struct store *st, const struct audience *a,
    int64_t lo, int64_t hi, size_t max, struct store_batch *b)
{
	sqlite3_stmt *s;
	int rc, prefs = 0;

	if (a->digest_id == 0 && (prefs = thread_has_prefs(st, a->thread)) < 0)
		return -1;
	if (a->digest_id != 0)
		s = store_stmt(st, "SELECT m.id, m.addr FROM members m"
		    " WHERE m.list_id = ?1 AND m.id > ?2 AND m.id <= ?3"
		    " AND m.mode = 'digest' AND m.digest_format = ?5"
		    " AND m.disabled = 0"
		    " AND NOT EXISTS (SELECT 1 FROM thread_prefs t"
		    "  JOIN posts p ON p.thread = t.thread"
		    "  WHERE t.member_id = m.id AND t.pref = 'mute'"
		    "  AND p.list_id = ?1 AND p.digest_id = ?6)"
		    " ORDER BY m.id LIMIT ?4");
	else if (prefs)
		s = store_stmt(st, "SELECT m.id, m.addr FROM members m"
		    " LEFT JOIN thread_prefs t ON t.member_id = m.id"
		    " AND t.thread = ?5"
		    " WHERE m.list_id = ?1 AND m.id > ?2 AND m.id <= ?3"
		    " AND m.disabled = 0"
		    " AND ((m.mode = 'each' AND t.pref IS NOT 'mute')"
		    " OR (m.mode = 'follow' AND t.pref = 'follow'))"
		    " ORDER BY m.id LIMIT ?4");
	else
		s = store_stmt(st, "SELECT id, addr FROM members"
		    " WHERE list_id = ?1 AND id > ?2 AND id <= ?3"
		    " AND mode = 'each' AND disabled = 0 ORDER BY id LIMIT ?4");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->list_id);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	if (a->digest_id != 0) {
		sqlite3_bind_text(s, 5, a->format, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, a->digest_id);
	} else if (prefs)
		sqlite3_bind_text(s, 5, a->thread, -1, SQLITE_STATIC);
	b->rcpts = xcalloc(max, sizeof(*b->rcpts));
	b->nrcpts = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rcpt_set(&b->rcpts[b->nrcpts], sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1));
		b->nrcpts++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, "range members", rc);
		return -1;
	}
	return 0;
}

/* Mark a job done when nothing of it is left. */
static int
job_maybe_done(struct store *st, int64_t job_id)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE jobs SET state = 'done' WHERE id = ? AND state = 'active'"
	    " AND cursor >= max_member"
	    " AND NOT EXISTS (SELECT 1 FROM inflight WHERE job_id = jobs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM retries WHERE job_id = jobs.id)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	return store_step_done(st, s);
}

/* 1 claimed an orphaned in-flight range, 0 none, -1 error. */
static int
claim_orphan(struct store *st, size_t max, time_t now, struct store_batch *b)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT f.id, f.job_id, f.lo, f.hi, j.list_id, j.thread,"
	    " j.digest_id, j.audience"
	    " FROM inflight f JOIN jobs j ON j.id = f.job_id"
	    " WHERE f.orphan = 1 LIMIT 1");
	struct audience a;
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	b->inflight_id = sqlite3_column_int64(s, 0);
	b->job_id = sqlite3_column_int64(s, 1);
	b->lo = sqlite3_column_int64(s, 2);
	b->hi = sqlite3_column_int64(s, 3);
	audience_read(s, 4, &a);
	sqlite3_reset(s);
	rc = -1;
	if ((s = store_stmt(st, "UPDATE inflight SET orphan = 0, claimed = ?"
	    " WHERE id = ?")) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, b->inflight_id);
	if (store_step_done(st, s) < 0)
		goto out;
	/* A range never holds more than max: ids only grow. */
	if (range_members(st, &a, b->lo, b->hi, max > 1000 ? max : 1000,
	    b) < 0)
		goto out;
	rc = 1;
out:
	audience_clear(&a);
	return rc;
}

/* 1 claimed due retries (all of one job), 0 none, -1 error. */
static int
claim_retries(struct store *st, size_t max, time_t now, struct store_batch *b)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT id, job_id, member_id, addr, attempts, first_attempt"
	    " FROM retries WHERE leased = 0 AND next_attempt <= ?"
	    " AND job_id = (SELECT job_id FROM retries WHERE leased = 0"
	    "  AND next_attempt <= ? ORDER BY next_attempt LIMIT 1)"
	    " ORDER BY id LIMIT ?");
	sqlite3_stmt *u;
	struct store_rcpt *r;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	b->rcpts = xcalloc(max, sizeof(*b->rcpts));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = &b->rcpts[b->nrcpts++];
		rcpt_set(r, sqlite3_column_int64(s, 2),
		    (const char *)sqlite3_column_text(s, 3));
		r->retry_id = sqlite3_column_int64(s, 0);
		r->attempts = sqlite3_column_int(s, 4);
		r->first_attempt = (time_t)sqlite3_column_int64(s, 5);
		b->job_id = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -1;
	for (size_t i = 0; i < b->nrcpts; i++) {
		if ((u = store_stmt(st,
		    "UPDATE retries SET leased = 1 WHERE id = ?")) == NULL)
			return -1;
		sqlite3_bind_int64(u, 1, b->rcpts[i].retry_id);
		if (store_step_done(st, u) < 0)
			return -1;
	}
	return b->nrcpts > 0;
}

/* 1 claimed the next range of an active fan-out job, 0 none, -1 error. */
static int
claim_range(struct store *st, size_t max, time_t now, struct store_batch *b)
{
	sqlite3_stmt *s;
	struct audience a;
	int64_t max_member;
	int rc;

	for (;;) {
		s = store_stmt(st, "SELECT id, cursor, max_member, list_id,"
		    " thread, digest_id, audience FROM jobs"
		    " WHERE state = 'active'"
		    " AND kind = 'fanout' AND cursor < max_member"
		    " ORDER BY id LIMIT 1");
		if (s == NULL)
			return -1;
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(s);
			return rc == SQLITE_DONE ? 0 : -1;
		}
		b->job_id = sqlite3_column_int64(s, 0);
		b->lo = sqlite3_column_int64(s, 1);
		max_member = sqlite3_column_int64(s, 2);
		audience_read(s, 3, &a);
		sqlite3_reset(s);
		free(b->rcpts);
		rc = range_members(st, &a, b->lo, max_member, max, b);
		audience_clear(&a);
		if (rc < 0)
			return -1;
		b->hi = b->nrcpts == max ?
		    b->rcpts[b->nrcpts - 1].member_id : max_member;
		if ((s = store_stmt(st,
		    "UPDATE jobs SET cursor = ? WHERE id = ?")) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, b->hi);
		sqlite3_bind_int64(s, 2, b->job_id);
		if (store_step_done(st, s) < 0)
			return -1;
		if (b->nrcpts > 0)
			break;
		/* Nobody left in the range: the job may be complete. */
		if (job_maybe_done(st, b->job_id) < 0)
			return -1;
	}
	s = store_stmt(st, "INSERT INTO inflight (job_id, lo, hi, claimed)"
	    " VALUES (?, ?, ?, ?)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, b->job_id);
	sqlite3_bind_int64(s, 2, b->lo);
	sqlite3_bind_int64(s, 3, b->hi);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)now);
	if (store_step_done(st, s) < 0)
		return -1;
	b->inflight_id = sqlite3_last_insert_rowid(st->sq);
	return 1;
}

static time_t
next_due(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT min(next_attempt) FROM retries WHERE leased = 0");
	time_t t = 0;

	if (s == NULL)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		t = (time_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return t;
}

int
store_batch_claim(struct store *st, size_t max, time_t now,
    struct store_batch *b, time_t *next_due_r)
{
	int rc;

	memset(b, 0, sizeof(*b));
	*next_due_r = 0;
	if (store_begin(st) < 0)
		return -1;
	rc = claim_orphan(st, max, now, b);
	if (rc == 0) {
		store_batch_clear(b);
		rc = claim_retries(st, max, now, b);
	}
	if (rc == 0) {
		store_batch_clear(b);
		rc = claim_range(st, max, now, b);
	}
	if (rc == 0)
		*next_due_r = next_due(st);
	if (rc < 0 || store_commit(st) < 0) {
		store_rollback(st);
		store_batch_clear(b);
		return -1;
	}
	if (rc == 0)
		store_batch_clear(b);
	return rc;
}

/* Back-off before attempt n+1: retry_min doubling up to retry_max, with
 * a spread of up to 1/8 so that a deferred backlog does not come back as
 * one wave. */
static time_t
backoff(int attempts, const char *addr, int rmin, int rmax)
{
	long long d = rmin;
	unsigned h = 5381;

	while (--attempts > 0 && d < rmax)
		d *= 2;
	if (d > rmax)
		d = rmax;
	while (*addr != '\0')
		h = h * 33 + (unsigned char)*addr++;
	return (time_t)(d + (d / 8) * (h % 1000) / 1000);
}

static int
record_bounce(struct store *st, int64_t job_id, const struct store_rcpt *r,
    time_t now, const char *text)
{
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO bounces (list_id, member_id, job_id, addr, time, code,"
	    " text) SELECT list_id, ?, id, ?, ?, ?, ? FROM jobs WHERE id = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, r->member_id);
	sqlite3_bind_text(s, 2, r->addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	sqlite3_bind_int(s, 4, r->code);
	sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, job_id);
	return store_step_done(st, s);
}

static int
retry_delete(struct store *st, int64_t retry_id)
{
	sqlite3_stmt *s;

	if (retry_id == 0)
		return 0;
	if ((s = store_stmt(st, "DELETE FROM retries WHERE id = ?")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, retry_id);
	return store_step_done(st, s);
}

/* A temporary failure: schedule the next attempt, or give up. */
static int
retry_defer(struct store *st, int64_t job_id, const struct store_rcpt *r,
    time_t now, int rmin, int rmax, int lifetime, int *gave_up)
{
	sqlite3_stmt *s;
	time_t first = r->retry_id ? r->first_attempt : now;
	int attempts = r->attempts + 1;
	time_t next = now + backoff(attempts, r->addr, rmin, rmax);

	*gave_up = 0;
	if (first != 0 && now - first >= lifetime) {
		*gave_up = 1;
		return record_bounce(st, job_id, r, now, r->text) < 0 ||
		    retry_delete(st, r->retry_id) < 0 ? -1 : 0;
	}
	if (r->retry_id != 0) {
		s = store_stmt(st, "UPDATE retries SET attempts = ?,"
		    " first_attempt = CASE first_attempt WHEN 0 THEN ?"
		    " ELSE first_attempt END, next_attempt = ?, leased = 0,"
		    " last_error = ? WHERE id = ?");
		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 5, r->retry_id);
	} else {
		s = store_stmt(st, "INSERT INTO retries (attempts,"
		    " first_attempt, next_attempt, last_error, job_id,"
		    " member_id, addr) VALUES (?, ?, ?, ?, ?, ?, ?)");
		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 5, job_id);
		sqlite3_bind_int64(s, 6, r->member_id);
		sqlite3_bind_text(s, 7, r->addr, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(s, 1, attempts);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)next);
	sqlite3_bind_text(s, 4, r->text, -1, SQLITE_STATIC);
	return store_step_done(st, s);
}

static int
finish_rcpts(struct store *st, struct store_batch *b, time_t now, int rmin,
    int rmax, int lifetime, int64_t *sent, int64_t *failed)
{
	struct store_rcpt *r;
	int gave_up;
	size_t i;

	for (i = 0; i < b->nrcpts; i++) {
		r = &b->rcpts[i];
		switch (r->outcome) {
		case OUT_OK:
			(*sent)++;
			if (retry_delete(st, r->retry_id) < 0)
				return -1;
			break;
		case OUT_TEMP:
			if (retry_defer(st, b->job_id, r, now, rmin, rmax,
			    lifetime, &gave_up) < 0)
				return -1;
			*failed += gave_up;
			break;
		case OUT_PERM:
			(*failed)++;
			if (record_bounce(st, b->job_id, r, now, r->text) < 0 ||
			    retry_delete(st, r->retry_id) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

int
store_batch_finish(struct store *st, struct store_batch *b, time_t now,
    int rmin, int rmax, int lifetime)
{
	sqlite3_stmt *s;
	int64_t sent = 0, failed = 0;

	if (store_begin(st) < 0)
		return -1;
	if (finish_rcpts(st, b, now, rmin, rmax, lifetime, &sent, &failed) < 0)
		goto fail;
	if (b->inflight_id != 0) {
		if ((s = store_stmt(st, "DELETE FROM inflight WHERE id = ?")) ==
		    NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, b->inflight_id);
		if (store_step_done(st, s) < 0)
			goto fail;
	}
	if ((s = store_stmt(st, "UPDATE jobs SET sent = sent + ?,"
	    " failed = failed + ? WHERE id = ?")) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, sent);
	sqlite3_bind_int64(s, 2, failed);
	sqlite3_bind_int64(s, 3, b->job_id);
	if (store_step_done(st, s) < 0 || job_maybe_done(st, b->job_id) < 0)
		goto fail;
	if (store_commit(st) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

int
store_batch_release(struct store *st, struct store_batch *b)
{
	sqlite3_stmt *s;
	size_t i;

	if (store_begin(st) < 0)
		return -1;
	if (b->inflight_id != 0) {
		if ((s = store_stmt(st, "UPDATE inflight SET orphan = 1"
		    " WHERE id = ?")) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, b->inflight_id);
		if (store_step_done(st, s) < 0)
			goto fail;
	}
	for (i = 0; i < b->nrcpts; i++) {
		if (b->rcpts[i].retry_id == 0)
			continue;
		if ((s = store_stmt(st, "UPDATE retries SET leased = 0"
		    " WHERE id = ?")) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, b->rcpts[i].retry_id);
		if (store_step_done(st, s) < 0)
			goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

void
store_batch_clear(struct store_batch *b)
{
	free(b->rcpts);
	b->rcpts = NULL;
	b->nrcpts = 0;
}

int
store_queue_recover(struct store *st)
{
	sqlite3_stmt *s;

	if (store_begin(st) < 0)
		return -1;
	if ((s = store_stmt(st, "UPDATE inflight SET orphan = 1")) == NULL ||
	    store_step_done(st, s) < 0)
		goto fail;
	if ((s = store_stmt(st, "UPDATE retries SET leased = 0")) == NULL ||
	    store_step_done(st, s) < 0)
		goto fail;
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

int
store_retry_each(struct store *st,
    int (*fn)(const struct store_retry *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT job_id, addr, attempts,"
	    " next_attempt, last_error FROM retries ORDER BY next_attempt, id");
	struct store_retry r;
	int rc, stop = 0;

	if (s == NULL)
		return -1;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.job_id = sqlite3_column_int64(s, 0);
		r.addr = (char *)sqlite3_column_text(s, 1);
		r.attempts = sqlite3_column_int(s, 2);
		r.next_attempt = (time_t)sqlite3_column_int64(s, 3);
		r.last_error = (char *)sqlite3_column_text(s, 4);
		stop = fn(&r, arg);
	}
	sqlite3_reset(s);
	if (!stop && rc != SQLITE_DONE) {
		store_fail(st, "retry list", rc);
		return -1;
	}
	return 0;
}
