/*
 * store_post.c — durable ingest, the inbox, posts and raw messages.
 *
 * Owns the rows of messages, inbox, quarantine and posts.  A received
 * message is one messages row plus one inbox row per accepted recipient,
 * written in the same transaction as every other message of the group
 * commit (store_ingest), so an acknowledged message is never half stored.
 * A messages row lives as long as an inbox, quarantine or posts row refers
 * to it; store_inbox_done() deletes it with its last inbox row.
 * Fails: -1 after logging; a failed ingest rolls back everything and keeps
 * st->last_rc, so the caller can tell a full disk (4xx either way).
 * Strings in returned structs are malloc'd: *_clear() frees them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "store_int.h"

static const char *const post_state_names[] = {
	[POST_HELD] = "held",
	[POST_ACCEPTED] = "accepted",
	[POST_REJECTED] = "rejected",
	[POST_DISCARDED] = "discarded",
};
#define NPOST_STATES	(sizeof(post_state_names) / sizeof(*post_state_names))

/* Bind s, or "" when NULL (the columns are NOT NULL). */
static void
bind_str(sqlite3_stmt *stmt, int col, const char *s)
{
	sqlite3_bind_text(stmt, col, s != NULL ? s : "", -1, SQLITE_STATIC);
}

/* ---- ingest ------------------------------------------------------ */

/* max_member: the highest member id at receipt (later joiners do not
 * get the post). */
static int
ingest_one(struct store *st, const struct ingest *in, time_t now,
    int64_t max_member)
{
	sqlite3_stmt *stmt;
	int64_t msg_id;
	size_t i;

	stmt = store_stmt(st, "INSERT INTO messages (received, sender, size,"
	    " body) VALUES (?1, ?2, ?3, ?4)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (int64_t)now);
	sqlite3_bind_text(stmt, 2, in->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (int64_t)in->len);
	sqlite3_bind_blob64(stmt, 4, in->len ? in->body : "", in->len,
	    SQLITE_STATIC);
	if (store_step_done(st, stmt) < 0)
		return -1;
	msg_id = sqlite3_last_insert_rowid(st->sq);
	for (i = 0; i < in->nrcpts; i++) {
		stmt = store_stmt(st, "INSERT INTO inbox (message_id, list_id,"
		    " rcpt, ext, created, max_member)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, msg_id);
		sqlite3_bind_int64(stmt, 2, in->rcpts[i].list_id);
		sqlite3_bind_text(stmt, 3, in->rcpts[i].addr, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, in->rcpts[i].ext, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 5, (int64_t)now);
		sqlite3_bind_int64(stmt, 6, max_member);
		if (store_step_done(st, stmt) < 0)
			return -1;
	}
	return 0;
}

int
store_ingest(struct store *st, struct ingest *const *items, size_t n)
{
	time_t now = time(NULL);
	int64_t max_member;
	size_t i;

	if (n == 0)
		return 0;
	if (store_begin(st) < 0)
		return -1;
	if ((max_member = store_member_max_id(st)) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (ingest_one(st, items[i], now, max_member) < 0)
			goto fail;
	if (store_commit(st) < 0)
		return -1;	/* store_commit rolled back */
	return 0;
fail:
	log_warnx("store: ingest of %zu message(s) rolled back", n);
	store_rollback(st);
	return -1;
}

/* ---- inbox ------------------------------------------------------- */

/* Sender and body of message_id into in; 0, or -1 (also when missing). */
static int
inbox_message(struct store *st, int64_t message_id, struct store_inbox *in)
{
	sqlite3_stmt *stmt;
	const void *body;
	int rc;

	stmt = store_stmt(st, "SELECT sender, body FROM messages WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, message_id);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			log_warnx("store: inbox: message %lld is missing",
			    (long long)message_id);
		else
			store_fail(st, "inbox message", rc);
		sqlite3_reset(stmt);
		return -1;
	}
	in->sender = store_col_str(stmt, 0);
	body = sqlite3_column_blob(stmt, 1);
	in->len = (size_t)sqlite3_column_bytes(stmt, 1);
	in->body = xmalloc(in->len + 1);
	if (in->len > 0)
		memcpy(in->body, body, in->len);
	in->body[in->len] = '\0';
	sqlite3_reset(stmt);
	return 0;
}

int
store_inbox_claim(struct store *st, int max_attempts, size_t n,
    int64_t *ids, int *attempts)
{
	sqlite3_stmt *stmt;
	size_t got = 0;
	int rc;

	stmt = store_stmt(st, "UPDATE inbox SET attempts = attempts + 1"
	    " WHERE id IN (SELECT id FROM inbox WHERE attempts < ?1"
	    " ORDER BY id LIMIT ?2) RETURNING id, attempts");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, max_attempts);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)n);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && got < n) {
		ids[got] = sqlite3_column_int64(stmt, 0);
		attempts[got] = sqlite3_column_int(stmt, 1);
		got++;
	}
	/* Run the UPDATE to its end, or its write would stay open. */
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_fail(st, "inbox claim", rc);
		return -1;
	}
	return (int)got;
}

int
store_inbox_get(struct store *st, int64_t id, struct store_inbox *in)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(in, 0, sizeof(*in));
	stmt = store_stmt(st, "SELECT id, message_id, list_id, rcpt, ext,"
	    " attempts, max_member FROM inbox WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(stmt);
		if (rc == SQLITE_DONE)
			return 0;
		store_fail(st, "inbox get", rc);
		return -1;
	}
	in->id = sqlite3_column_int64(stmt, 0);
	in->message_id = sqlite3_column_int64(stmt, 1);
	in->list_id = sqlite3_column_int64(stmt, 2);
	in->rcpt = store_col_str(stmt, 3);
	in->ext = store_col_str(stmt, 4);
	in->attempts = sqlite3_column_int(stmt, 5);
	in->max_member = sqlite3_column_int64(stmt, 6);
	sqlite3_reset(stmt);
	if (inbox_message(st, in->message_id, in) < 0) {
		store_inbox_clear(in);
		return -1;
	}
	return 1;
}

int
store_inbox_unclaim(struct store *st, const int64_t *ids, size_t n)
{
	sqlite3_stmt *stmt;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((stmt = store_stmt(st, "UPDATE inbox SET attempts ="
		    " attempts - 1 WHERE id = ?1 AND attempts > 0")) == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, ids[i]);
		if (store_step_done(st, stmt) < 0)
			return -1;
	}
	return 0;
}

/* Delete message_id if no inbox, quarantine or posts row refers to it. */
static int
message_release(struct store *st, int64_t message_id)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "DELETE FROM messages WHERE id = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM inbox WHERE message_id = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM quarantine WHERE message_id = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM posts WHERE message_id = ?1)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, message_id);
	return store_step_done(st, stmt);
}

/* In the caller's transaction if one is open, else in its own. */
int
store_inbox_done(struct store *st, int64_t inbox_id)
{
	sqlite3_stmt *stmt;
	int64_t msg_id;
	int own = !db_in_txn(st->db), rc;

	if (own && store_begin(st) < 0)
		return -1;
	stmt = store_stmt(st,
	    "DELETE FROM inbox WHERE id = ?1 RETURNING message_id");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, inbox_id);
	rc = sqlite3_step(stmt);
	msg_id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE) {
		store_fail(st, "inbox done", rc);
		sqlite3_reset(stmt);
		goto fail;
	}
	sqlite3_reset(stmt);
	if (msg_id != 0 && message_release(st, msg_id) < 0)
		goto fail;
	if (own && store_commit(st) < 0)
		return -1;
	return 0;
fail:
	if (own)
		store_rollback(st);
	return -1;
}

static const char *const quarantine_sql[] = {
	"INSERT INTO quarantine (id, message_id, list_id, rcpt, ext, attempts,"
	" created, max_member) SELECT id, message_id, list_id, rcpt, ext,"
	" attempts, created, max_member FROM inbox WHERE attempts >= ?1",
	"DELETE FROM inbox WHERE attempts >= ?1",
};

int
store_inbox_quarantine(struct store *st, int max_attempts)
{
	sqlite3_stmt *stmt;
	int own = !db_in_txn(st->db), moved = 0;
	size_t i;

	if (own && store_begin(st) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((stmt = store_stmt(st, quarantine_sql[i])) == NULL)
			goto fail;
		sqlite3_bind_int(stmt, 1, max_attempts);
		if (store_step_done(st, stmt) < 0)
			goto fail;
		if (i == 0)
			moved = sqlite3_changes(st->sq);
	}
	if (own && store_commit(st) < 0)
		return -1;
	if (moved > 0)
		log_warnx("store: %d inbox row(s) failed %d times: quarantined",
		    moved, max_attempts);
	return 0;
fail:
	if (own)
		store_rollback(st);
	return -1;
}

/* Back to the inbox with no attempt counted; a row quarantined before
 * max_member was kept goes to the members of today. */
static const char *const release_sql[] = {
	"INSERT INTO inbox (message_id, list_id, rcpt, ext, attempts, created,"
	" max_member) SELECT message_id, list_id, rcpt, ext, 0, created,"
	" CASE max_member WHEN 0 THEN (SELECT ifnull(max(id), 0) FROM members)"
	" ELSE max_member END FROM quarantine WHERE id = ?1",
	"DELETE FROM quarantine WHERE id = ?1",
};

int
store_quarantine_release(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;
	int found = 0;
	size_t i;

	if (store_begin(st) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((stmt = store_stmt(st, release_sql[i])) == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_step_done(st, stmt) < 0)
			goto fail;
		if (i == 0)
			found = sqlite3_changes(st->sq) > 0;
	}
	if (store_commit(st) < 0)
		return -1;
	return found;
fail:
	store_rollback(st);
	return -1;
}

int
store_quarantine_each(struct store *st,
    int (*fn)(const struct store_quarantine *, void *), void *arg)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT q.id, q.list_id, q.rcpt,"
	    " q.ext, m.sender, q.attempts, q.created FROM quarantine q"
	    " JOIN messages m ON m.id = q.message_id ORDER BY q.id");
	struct store_quarantine r;
	int rc, stop = 0;

	if (stmt == NULL)
		return -1;
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(stmt, 0);
		r.list_id = sqlite3_column_int64(stmt, 1);
		r.rcpt = (const char *)sqlite3_column_text(stmt, 2);
		r.ext = (const char *)sqlite3_column_text(stmt, 3);
		r.sender = (const char *)sqlite3_column_text(stmt, 4);
		r.attempts = sqlite3_column_int(stmt, 5);
		r.created = (time_t)sqlite3_column_int64(stmt, 6);
		stop = fn(&r, arg);
	}
	sqlite3_reset(stmt);
	if (!stop && rc != SQLITE_DONE) {
		store_fail(st, "quarantine list", rc);
		return -1;
	}
	return 0;
}

void
store_inbox_clear(struct store_inbox *in)
{
	free(in->rcpt);
	free(in->ext);
	free(in->sender);
	free(in->body);
	memset(in, 0, sizeof(*in));
}

/* ---- posts ------------------------------------------------------- */

const char *
post_state_name(enum post_state state)
{
	if ((size_t)state >= NPOST_STATES)
		return "held";
	return post_state_names[state];
}

static enum post_state
post_state_col(sqlite3_stmt *stmt, int col)
{
	const char *s = (const char *)sqlite3_column_text(stmt, col);
	size_t i;

	for (i = 0; s != NULL && i < NPOST_STATES; i++)
		if (strcmp(s, post_state_names[i]) == 0)
			return (enum post_state)i;
	return POST_HELD;
}

/* p->created == 0 means now. */
int
store_post_add(struct store *st, struct store_post *p, int64_t *id_r)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "INSERT INTO posts (list_id, message_id, msgid,"
	    " subject, author, sender, state, reason, max_member, created,"
	    " decided, thread, rule, decided_by, deadline) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, p->list_id);
	sqlite3_bind_int64(stmt, 2, p->message_id);
	bind_str(stmt, 3, p->msgid);
	bind_str(stmt, 4, p->subject);
	bind_str(stmt, 5, p->author);
	bind_str(stmt, 6, p->sender);
	bind_str(stmt, 7, post_state_name(p->state));
	bind_str(stmt, 8, p->reason);
	sqlite3_bind_int64(stmt, 9, p->max_member);
	sqlite3_bind_int64(stmt, 10,
	    (int64_t)(p->created != 0 ? p->created : time(NULL)));
	sqlite3_bind_int64(stmt, 11, (int64_t)p->decided);
	bind_str(stmt, 12, p->thread);
	bind_str(stmt, 13, p->rule);
	bind_str(stmt, 14, p->decided_by);
	sqlite3_bind_int64(stmt, 15, (int64_t)p->deadline);
	if (store_step_done(st, stmt) < 0)
		return -1;
	p->id = sqlite3_last_insert_rowid(st->sq);
	if (id_r != NULL)
		*id_r = p->id;
	return 0;
}

/* Borrowed view of the current row (POST_COLS order, store_int.h). */
void
store_post_view(sqlite3_stmt *stmt, struct store_post *p)
{
	p->id = sqlite3_column_int64(stmt, 0);
	p->list_id = sqlite3_column_int64(stmt, 1);
	p->message_id = sqlite3_column_int64(stmt, 2);
	p->msgid = (char *)sqlite3_column_text(stmt, 3);
	p->subject = (char *)sqlite3_column_text(stmt, 4);
	p->author = (char *)sqlite3_column_text(stmt, 5);
	p->sender = (char *)sqlite3_column_text(stmt, 6);
	p->state = post_state_col(stmt, 7);
	p->reason = (char *)sqlite3_column_text(stmt, 8);
	p->max_member = sqlite3_column_int64(stmt, 9);
	p->created = (time_t)sqlite3_column_int64(stmt, 10);
	p->decided = (time_t)sqlite3_column_int64(stmt, 11);
	p->thread = (char *)sqlite3_column_text(stmt, 12);
	p->rule = (char *)sqlite3_column_text(stmt, 13);
	p->decided_by = (char *)sqlite3_column_text(stmt, 14);
	p->deadline = (time_t)sqlite3_column_int64(stmt, 15);
	p->reminded = sqlite3_column_int(stmt, 16);
	p->escalated = sqlite3_column_int(stmt, 17);
	p->appeal = (char *)sqlite3_column_text(stmt, 18);
}

/* 1 found (p filled, free with store_post_clear), 0 none, -1 error. */
int
store_post_get(struct store *st, int64_t id, struct store_post *p)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(p, 0, sizeof(*p));
	stmt = store_stmt(st, "SELECT " POST_COLS " FROM posts WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			store_fail(st, "post get", rc);
		sqlite3_reset(stmt);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	store_post_view(stmt, p);
	p->msgid = store_col_str(stmt, 3);
	p->subject = store_col_str(stmt, 4);
	p->author = store_col_str(stmt, 5);
	p->sender = store_col_str(stmt, 6);
	p->reason = store_col_str(stmt, 8);
	p->thread = store_col_str(stmt, 12);
	p->rule = store_col_str(stmt, 13);
	p->decided_by = store_col_str(stmt, 14);
	p->appeal = store_col_str(stmt, 18);
	sqlite3_reset(stmt);
	return 1;
}

/* Sets decided to now.  0 also when there is no such post. */
int
store_post_set_state(struct store *st, int64_t id, enum post_state state,
    const char *reason)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "UPDATE posts SET state = ?2, reason = ?3,"
	    " decided = ?4 WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	bind_str(stmt, 2, post_state_name(state));
	bind_str(stmt, 3, reason);
	sqlite3_bind_int64(stmt, 4, (int64_t)time(NULL));
	return store_step_done(st, stmt);
}

int
store_post_decide(struct store *st, int64_t id, enum post_state state,
    const char *reason, const char *rule, const char *decided_by,
    int *changed_r)
{
	sqlite3_stmt *stmt;

	*changed_r = 0;
	stmt = store_stmt(st, "UPDATE posts SET state = ?2, reason = ?3,"
	    " decided = ?4, rule = ?5, decided_by = ?6"
	    " WHERE id = ?1 AND state = 'held'");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	bind_str(stmt, 2, post_state_name(state));
	bind_str(stmt, 3, reason);
	sqlite3_bind_int64(stmt, 4, (int64_t)time(NULL));
	bind_str(stmt, 5, rule);
	bind_str(stmt, 6, decided_by);
	if (store_step_done(st, stmt) < 0)
		return -1;
	*changed_r = sqlite3_changes(st->sq) == 1;
	return 0;
}

int
store_post_due(struct store *st, time_t now, size_t max,
    int (*fn)(const struct store_post *, void *), void *arg)
{
	struct store_post p;
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st, "SELECT " POST_COLS " FROM posts"
	    " WHERE state = 'held' AND deadline > 0 AND (deadline <= ?1"
	    " OR (reminded = 0 AND ?1 >= created + (deadline - created) / 2))"
	    " ORDER BY deadline LIMIT ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (int64_t)now);
	sqlite3_bind_int64(stmt, 2, (int64_t)max);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_post_view(stmt, &p);
		stop = fn(&p, arg);
	}
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, stmt, rc);
}

int
store_post_appeal(struct store *st, int64_t id, const char *from,
    const char *to, int *changed_r)
{
	sqlite3_stmt *stmt;

	*changed_r = 0;
	stmt = store_stmt(st, "UPDATE posts SET appeal = ?3"
	    " WHERE id = ?1 AND appeal = ?2 AND state = 'rejected'");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	bind_str(stmt, 2, from);
	bind_str(stmt, 3, to);
	if (store_step_done(st, stmt) < 0)
		return -1;
	*changed_r = sqlite3_changes(st->sq) == 1;
	return 0;
}

int
store_post_reminded(struct store *st, int64_t id)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "UPDATE posts SET reminded = 1 WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_step_done(st, stmt);
}

int
store_post_escalated(struct store *st, int64_t id, time_t deadline)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "UPDATE posts SET escalated = 1, reminded = 0,"
	    " deadline = ?2 WHERE id = ?1 AND state = 'held'");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, (int64_t)deadline);
	return store_step_done(st, stmt);
}

int64_t
store_post_count_accepted(struct store *st, int64_t list_id,
    const char *author)
{
	sqlite3_stmt *stmt;
	int64_t n = -1;

	stmt = store_stmt(st, "SELECT count(*) FROM posts WHERE list_id = ?1"
	    " AND author = ?2 COLLATE NOCASE AND state = 'accepted'");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	bind_str(stmt, 2, author);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return n;
}

int
store_post_each(struct store *st, int64_t list_id, int state,
    int (*fn)(const struct store_post *, void *), void *arg)
{
	struct store_post p;
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st, "SELECT " POST_COLS " FROM posts"
	    " WHERE list_id = ?1 AND (?2 = '' OR state = ?2) ORDER BY id DESC");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	bind_str(stmt, 2, state < 0 ? "" :
	    post_state_name((enum post_state)state));
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_post_view(stmt, &p);
		stop = fn(&p, arg);
	}
	if (stop || rc == SQLITE_DONE) {
		sqlite3_reset(stmt);
		return 0;
	}
	store_fail(st, "post each", rc);
	sqlite3_reset(stmt);
	return -1;
}

/* 0, or -1 on error or when the message is missing (a broken
 * reference: only rows that refer to a message let it be read). */
int
store_message_get(struct store *st, int64_t message_id, char **body_r,
    size_t *len_r)
{
	struct store_inbox in;

	*body_r = NULL;
	*len_r = 0;
	memset(&in, 0, sizeof(in));
	if (inbox_message(st, message_id, &in) < 0)
		return -1;
	*body_r = in.body;
	*len_r = in.len;
	in.body = NULL;
	store_inbox_clear(&in);
	return 0;
}

void
store_post_clear(struct store_post *p)
{
	free(p->msgid);
	free(p->subject);
	free(p->author);
	free(p->sender);
	free(p->reason);
	free(p->thread);
	free(p->rule);
	free(p->decided_by);
	free(p->appeal);
	memset(p, 0, sizeof(*p));
}
