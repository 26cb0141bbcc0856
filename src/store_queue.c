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
 * delivered twice.  Claim and finish are each one transaction that holds
 * the write lock, so several delivery threads can share a job; the claims
 * read their rows {FOR_UPDATE_SKIP_LOCKED} for nodes on one PostgreSQL
 * database.  Ranges and retries are claimed in the node's name with a
 * lease (store_cluster.h) that its "leases" task renews: a node recovers
 * only its own at start, and takes over another node's once their lease
 * expired (that node was killed): only what it had in flight can be
 * delivered twice.  Times are computed here, never by the engine.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "store_cluster.h"
#include "store_int.h"

static void
rcpt_set(struct store_rcpt *r, int64_t member_id, const char *addr)
{
	size_t n = strlen(addr);

	/* Once per recipient: set each field rather than clear ~600 bytes. */
	r->member_id = member_id;
	r->retry_id = 0;
	r->attempts = 0;
	r->first_attempt = 0;
	r->outcome = OUT_OK;
	r->code = 0;
	r->text[0] = '\0';
	if (n >= sizeof(r->addr))
		n = 0;		/* longer than any valid address */
	memcpy(r->addr, addr, n);
	r->addr[n] = '\0';
}

int
store_job_fanout(struct store *st, int64_t list_id, int64_t post_id,
    const char *env_from, const char *body, size_t len, int64_t max_member,
    int per_rcpt, const char *thread, int64_t *job_id_r)
{
	int64_t id;

	id = store_returned_id(db_query(st->db, "INSERT INTO jobs (list_id,"
	    " post_id, kind, env_from, body, cursor, max_member, per_rcpt,"
	    " thread, created) VALUES (?1, ?2, 'fanout', ?3, ?4, 0, ?5, ?6, ?7,"
	    " ?8) RETURNING id", "iitbidti", list_id, post_id, env_from,
	    (const void *)body, len, max_member, per_rcpt,
	    thread ? thread : "", (int64_t)time(NULL)));
	if (id <= 0)
		return -1;
	if (job_id_r != NULL)
		*job_id_r = id;
	return 0;
}

int
store_job_direct(struct store *st, const char *env_from,
    const char *const *rcpts, size_t n, const char *body, size_t len,
    int64_t *job_id_r)
{
	int64_t job;
	size_t i;

	job = store_returned_id(db_query(st->db, "INSERT INTO jobs (kind,"
	    " env_from, body, created) VALUES ('direct', ?1, ?2, ?3)"
	    " RETURNING id", "tbi", env_from, (const void *)body, len,
	    (int64_t)time(NULL)));
	if (job <= 0)
		return -1;
	for (i = 0; i < n; i++)
		if (db_run(st->db, "INSERT INTO retries (job_id, addr,"
		    " next_attempt) VALUES (?1, ?2, 0)", "it", job,
		    rcpts[i]) < 0)
			return -1;
	if (job_id_r != NULL)
		*job_id_r = job;
	return 0;
}

static void
job_from_row(struct db_stmt *s, struct store_job *j, int with_body)
{
	const void *body;
	int64_t created;

	memset(j, 0, sizeof(*j));
	db_getf(s, "iiiTTiiTiiiiidbTT", &j->id, &j->list_id, &j->post_id,
	    &j->kind, &j->env_from, &j->cursor, &j->max_member, &j->state,
	    &created, &j->sent, &j->failed, &j->deferred, &j->inflight,
	    &j->per_rcpt, &body, &j->len, &j->list_addr, &j->thread);
	j->created = (time_t)created;
	if (with_body) {
		j->body = xmalloc(j->len + 1);
		if (j->len > 0)
			memcpy(j->body, body, j->len);
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
	struct db_stmt *s;
	int rc;

	s = db_query(st->db, "SELECT " JOB_COLUMNS ", j.body,"
	    " (SELECT addr FROM lists WHERE id = j.list_id), j.thread"
	    " FROM jobs j WHERE j.id = ?1", "i", job_id);
	if (s == NULL)
		return -1;
	if ((rc = db_step(s)) != DB_ROW)
		return store_end(s, rc);
	job_from_row(s, j, 1);
	db_reset(s);
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
	struct db_stmt *s;
	struct store_job j;
	int rc, stop = 0;

	s = db_query(st->db, "SELECT " JOB_COLUMNS ", length(j.body),"
	    " (SELECT addr FROM lists WHERE id = j.list_id), j.thread"
	    " FROM jobs j WHERE (?1 = 0 OR j.state = 'active') ORDER BY j.id",
	    "d", active_only);
	if (s == NULL)
		return -1;
	while (!stop && (rc = db_step(s)) == DB_ROW) {
		job_from_row(s, &j, 0);
		j.len = (size_t)db_col_int64(s, 14);
		stop = fn(&j, arg);
		store_job_clear(&j);
	}
	return store_end(s, rc);
}

/* 1 when some member muted or follows thread, 0 not, -1 error. */
static int
thread_has_prefs(struct store *st, const char *thread)
{
	struct db_stmt *s;
	int rc;

	if (thread == NULL || *thread == '\0')
		return 0;
	if ((s = db_query(st->db, "SELECT CASE WHEN EXISTS (SELECT 1"
	    " FROM thread_prefs WHERE thread = ?1) THEN 1 ELSE 0 END", "t",
	    thread)) == NULL)
		return -1;
	rc = db_step(s) == DB_ROW ? (int)db_col_int64(s, 0) : -1;
	db_reset(s);
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
audience_read(struct db_stmt *s, int col, struct audience *a)
{
	a->list_id = db_col_int64(s, col);
	a->thread = store_col_str(s, col + 1);
	a->digest_id = db_col_int64(s, col + 2);
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
	struct db_stmt *s;
	int rc, prefs = 0;

	if (a->digest_id == 0 && (prefs = thread_has_prefs(st, a->thread)) < 0)
		return -1;
	if (a->digest_id != 0)
		s = db_query(st->db, "SELECT m.id, m.addr FROM members m"
		    " WHERE m.list_id = ?1 AND m.id > ?2 AND m.id <= ?3"
		    " AND m.mode = 'digest' AND m.digest_format = ?5"
		    " AND m.disabled = 0"
		    " AND NOT EXISTS (SELECT 1 FROM thread_prefs t"
		    "  JOIN posts p ON p.thread = t.thread"
		    "  WHERE t.member_id = m.id AND t.pref = 'mute'"
		    "  AND p.list_id = ?1 AND p.digest_id = ?6)"
		    " ORDER BY m.id LIMIT ?4", "iiiiti", a->list_id, lo, hi,
		    (int64_t)max, a->format, a->digest_id);
	else if (prefs)
		s = db_query(st->db, "SELECT m.id, m.addr FROM members m"
		    " LEFT JOIN thread_prefs t ON t.member_id = m.id"
		    " AND t.thread = ?5"
		    " WHERE m.list_id = ?1 AND m.id > ?2 AND m.id <= ?3"
		    " AND m.disabled = 0"
		    " AND ((m.mode = 'each' AND t.pref IS DISTINCT FROM 'mute')"
		    " OR (m.mode = 'follow' AND t.pref = 'follow'))"
		    " ORDER BY m.id LIMIT ?4", "iiiit", a->list_id, lo, hi,
		    (int64_t)max, a->thread);
	else
		s = db_query(st->db, "SELECT id, addr FROM members"
		    " WHERE list_id = ?1 AND id > ?2 AND id <= ?3"
		    " AND mode = 'each' AND disabled = 0 ORDER BY id LIMIT ?4",
		    "iiii", a->list_id, lo, hi, (int64_t)max);
	b->rcpts = xcalloc(max, sizeof(*b->rcpts));
	b->nrcpts = 0;
	if (s == NULL)
		return -1;
	while ((rc = db_step(s)) == DB_ROW) {
		rcpt_set(&b->rcpts[b->nrcpts], db_col_int64(s, 0),
		    db_col_text(s, 1));
		b->nrcpts++;
	}
	return store_end(s, rc);
}

/* Mark a job done when nothing of it is left. */
static int
job_maybe_done(struct store *st, int64_t job_id)
{
	return db_run(st->db, "UPDATE jobs SET state = 'done' WHERE id = ?1"
	    " AND state = 'active' AND cursor >= max_member"
	    " AND NOT EXISTS (SELECT 1 FROM inflight WHERE job_id = jobs.id)"
	    " AND NOT EXISTS (SELECT 1 FROM retries WHERE job_id = jobs.id)",
	    "i", job_id) < 0 ? -1 : 0;
}

/* 1 claimed an orphaned in-flight range, 0 none, -1 error. */
static int
claim_orphan(struct store *st, size_t max, time_t now, struct store_batch *b)
{
	struct db_stmt *s;
	struct audience a;
	int rc;

	s = db_query(st->db, "SELECT f.id, f.job_id, f.lo, f.hi, j.list_id,"
	    " j.thread, j.digest_id, j.audience"
	    " FROM inflight f JOIN jobs j ON j.id = f.job_id"
	    " WHERE f.orphan = 1 OR (f.node <> ?1 AND f.lease_until < ?2)"
	    " ORDER BY f.id LIMIT 1 {FOR_UPDATE_SKIP_LOCKED}", "ti",
	    store_cluster_name(), (int64_t)now);
	if ((rc = store_first_row(s)) <= 0)
		return rc;
	db_getf(s, "iiii", &b->inflight_id, &b->job_id, &b->lo, &b->hi);
	audience_read(s, 4, &a);
	db_reset(s);
	rc = -1;
	if (db_run(st->db, "UPDATE inflight SET orphan = 0, claimed = ?1,"
	    " node = ?3, lease_until = ?4 WHERE id = ?2", "iiti", (int64_t)now,
	    b->inflight_id, store_cluster_name(),
	    (int64_t)now + store_cluster_lease()) < 0)
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
	struct db_stmt *s;
	struct store_rcpt *r;
	int64_t first;
	size_t i;
	int rc;

	/* Free, or leased by a node whose lease expired. */
	s = db_query(st->db, "SELECT id, job_id, member_id, addr, attempts,"
	    " first_attempt FROM retries WHERE (leased = 0 OR (node <> ?3"
	    "  AND lease_until < ?1)) AND next_attempt <= ?1"
	    " AND job_id = (SELECT job_id FROM retries WHERE (leased = 0 OR"
	    "  (node <> ?3 AND lease_until < ?1)) AND next_attempt <= ?1"
	    "  ORDER BY next_attempt LIMIT 1)"
	    " ORDER BY id LIMIT ?2 {FOR_UPDATE_SKIP_LOCKED}", "iit",
	    (int64_t)now, (int64_t)max, store_cluster_name());
	b->rcpts = xcalloc(max, sizeof(*b->rcpts));
	if (s == NULL)
		return -1;
	while ((rc = db_step(s)) == DB_ROW) {
		r = &b->rcpts[b->nrcpts++];
		rcpt_set(r, db_col_int64(s, 2), db_col_text(s, 3));
		db_getf(s, "ii__di", &r->retry_id, &b->job_id, &r->attempts,
		    &first);
		r->first_attempt = (time_t)first;
	}
	if (store_end(s, rc) < 0)
		return -1;
	for (i = 0; i < b->nrcpts; i++)
		if (db_run(st->db, "UPDATE retries SET leased = 1, node = ?2,"
		    " lease_until = ?3 WHERE id = ?1", "iti",
		    b->rcpts[i].retry_id, store_cluster_name(),
		    (int64_t)now + store_cluster_lease()) < 0)
			return -1;
	return b->nrcpts > 0;
}

/* The next active fan-out job with members left: 1 (b->job_id, b->lo,
 * *max_member_r, *a set), 0 none, -1 error. */
static int
next_job(struct store *st, struct store_batch *b, int64_t *max_member_r,
    struct audience *a)
{
	struct db_stmt *s;
	int rc;

	s = db_query(st->db, "SELECT id, cursor, max_member, list_id,"
	    " thread, digest_id, audience FROM jobs WHERE state = 'active'"
	    " AND kind = 'fanout' AND cursor < max_member"
	    " ORDER BY id LIMIT 1 {FOR_UPDATE_SKIP_LOCKED}", "");
	if ((rc = store_first_row(s)) <= 0)
		return rc;
	db_getf(s, "iii", &b->job_id, &b->lo, max_member_r);
	audience_read(s, 3, a);
	db_reset(s);
	return 1;
}

/* 1 claimed the next range of an active fan-out job, 0 none, -1 error. */
static int
claim_range(struct store *st, size_t max, time_t now, struct store_batch *b)
{
	struct audience a;
	int64_t max_member;
	int rc;

	for (;;) {
		if ((rc = next_job(st, b, &max_member, &a)) <= 0)
			return rc;
		free(b->rcpts);
		rc = range_members(st, &a, b->lo, max_member, max, b);
		audience_clear(&a);
		if (rc < 0)
			return -1;
		b->hi = b->nrcpts == max ?
		    b->rcpts[b->nrcpts - 1].member_id : max_member;
		if (db_run(st->db, "UPDATE jobs SET cursor = ?1 WHERE id = ?2",
		    "ii", b->hi, b->job_id) < 0)
			return -1;
		if (b->nrcpts > 0)
			break;
		/* Nobody left in the range: the job may be complete. */
		if (job_maybe_done(st, b->job_id) < 0)
			return -1;
	}
	b->inflight_id = store_returned_id(db_query(st->db, "INSERT INTO"
	    " inflight (job_id, lo, hi, claimed, node, lease_until) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id", "iiiiti", b->job_id,
	    b->lo, b->hi, (int64_t)now, store_cluster_name(),
	    (int64_t)now + store_cluster_lease()));
	return b->inflight_id > 0 ? 1 : -1;
}

static time_t
next_due(struct store *st)
{
	struct db_stmt *s;
	time_t t = 0;

	s = db_query(st->db,
	    "SELECT min(next_attempt) FROM retries WHERE leased = 0", "");
	if (s == NULL)
		return 0;
	if (db_step(s) == DB_ROW)
		t = (time_t)db_col_int64(s, 0);
	db_reset(s);
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
	return db_run(st->db, "INSERT INTO bounces (list_id, member_id, job_id,"
	    " addr, time, code, text) SELECT list_id, ?1, id, ?2, ?3, ?4, ?5"
	    " FROM jobs WHERE id = ?6", "itidti", r->member_id, r->addr,
	    (int64_t)now, r->code, text, job_id) < 0 ? -1 : 0;
}

static int
retry_delete(struct store *st, int64_t retry_id)
{
	if (retry_id == 0)
		return 0;
	return db_run(st->db, "DELETE FROM retries WHERE id = ?1", "i",
	    retry_id) < 0 ? -1 : 0;
}

/* A temporary failure: schedule the next attempt, or give up. */
static int
retry_defer(struct store *st, int64_t job_id, const struct store_rcpt *r,
    time_t now, int rmin, int rmax, int lifetime, int *gave_up)
{
	int64_t n;
	time_t first = r->retry_id ? r->first_attempt : now;
	int attempts = r->attempts + 1;
	time_t next = now + backoff(attempts, r->addr, rmin, rmax);

	*gave_up = 0;
	if (first != 0 && now - first >= lifetime) {
		*gave_up = 1;
		return record_bounce(st, job_id, r, now, r->text) < 0 ||
		    retry_delete(st, r->retry_id) < 0 ? -1 : 0;
	}
	if (r->retry_id != 0)
		n = db_run(st->db, "UPDATE retries SET attempts = ?1,"
		    " first_attempt = CASE first_attempt WHEN 0 THEN ?2"
		    " ELSE first_attempt END, next_attempt = ?3, leased = 0,"
		    " last_error = ?4 WHERE id = ?5", "diiti", attempts,
		    (int64_t)now, (int64_t)next, r->text, r->retry_id);
	else
		n = db_run(st->db, "INSERT INTO retries (attempts,"
		    " first_attempt, next_attempt, last_error, job_id,"
		    " member_id, addr) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		    "diitiit", attempts, (int64_t)now, (int64_t)next, r->text,
		    job_id, r->member_id, r->addr);
	return n < 0 ? -1 : 0;
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
	int64_t sent = 0, failed = 0;

	if (store_begin(st) < 0)
		return -1;
	if (finish_rcpts(st, b, now, rmin, rmax, lifetime, &sent, &failed) < 0)
		goto fail;
	/* Unless another node took the range over meanwhile (this node's
	 * lease had expired): it is that node's to finish. */
	if (b->inflight_id != 0 && db_run(st->db, "DELETE FROM inflight"
	    " WHERE id = ?1 AND node = ?2", "it", b->inflight_id,
	    store_cluster_name()) < 0)
		goto fail;
	if (db_run(st->db, "UPDATE jobs SET sent = sent + ?1,"
	    " failed = failed + ?2 WHERE id = ?3", "iii", sent, failed,
	    b->job_id) < 0 || job_maybe_done(st, b->job_id) < 0)
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
	size_t i;

	if (store_begin(st) < 0)
		return -1;
	if (b->inflight_id != 0 && db_run(st->db, "UPDATE inflight"
	    " SET orphan = 1 WHERE id = ?1", "i", b->inflight_id) < 0)
		goto fail;
	for (i = 0; i < b->nrcpts; i++)
		if (b->rcpts[i].retry_id != 0 && db_run(st->db, "UPDATE"
		    " retries SET leased = 0 WHERE id = ?1", "i",
		    b->rcpts[i].retry_id) < 0)
			goto fail;
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
	if (store_begin(st) < 0)
		return -1;
	/* This node's claims only (and those of no node: before the
	 * claims had one); another node's are its own, until they expire. */
	if (db_run(st->db, "UPDATE inflight SET orphan = 1 WHERE node = ?1"
	    " OR node = ''", "t", store_cluster_name()) < 0 ||
	    db_run(st->db, "UPDATE retries SET leased = 0 WHERE node = ?1"
	    " OR node = ''", "t", store_cluster_name()) < 0)
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
	struct db_stmt *s;
	struct store_retry r;
	int64_t next;
	int rc, stop = 0;

	s = db_query(st->db, "SELECT job_id, addr, attempts, next_attempt,"
	    " last_error FROM retries ORDER BY next_attempt, id", "");
	if (s == NULL)
		return -1;
	while (!stop && (rc = db_step(s)) == DB_ROW) {
		db_getf(s, "itdit", &r.job_id, &r.addr, &r.attempts, &next,
		    &r.last_error);
		r.next_attempt = (time_t)next;
		stop = fn(&r, arg);
	}
	return store_end(s, rc);
}
