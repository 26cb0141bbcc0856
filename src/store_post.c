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
 * the fault on the handle, so the caller can tell a full disk (4xx either
 * way).
 * Strings in returned structs are malloc'd: *_clear() frees them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "store_cluster.h"
#include "store_int.h"

static const char *const post_state_names[] = {
	[POST_HELD] = "held",
	[POST_ACCEPTED] = "accepted",
	[POST_REJECTED] = "rejected",
	[POST_DISCARDED] = "discarded",
};
#define NPOST_STATES	(sizeof(post_state_names) / sizeof(*post_state_names))

/* s, or "" when NULL (the columns are NOT NULL). */
static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- ingest ------------------------------------------------------ */

/* max_member: the highest member id at receipt (later joiners do not
 * get the post). */
static int
ingest_one(struct store *st, const struct ingest *in, time_t now,
    int64_t max_member)
{
	int64_t msg_id;
	size_t i;

	msg_id = store_returned_id(db_query(st->db, "INSERT INTO messages (received,"
	    " sender, size, body) VALUES (?1, ?2, ?3, ?4) RETURNING id",
	    "itib", (int64_t)now, in->sender, (int64_t)in->len,
	    (const void *)(in->len ? in->body : ""), in->len));
	if (msg_id <= 0)
		return -1;
	for (i = 0; i < in->nrcpts; i++)
		if (db_run(st->db, "INSERT INTO inbox (message_id, list_id,"
		    " rcpt, ext, created, max_member)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "iittii", msg_id,
		    in->rcpts[i].list_id, in->rcpts[i].addr, in->rcpts[i].ext,
		    (int64_t)now, max_member) < 0)
			return -1;
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
	struct db_stmt *stmt;
	const void *body;
	int rc;

	stmt = db_query(st->db, "SELECT sender, body FROM messages"
	    " WHERE id = ?1", "i", message_id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW) {
		if (rc == DB_DONE)
			log_warnx("store: inbox: message %lld is missing",
			    (long long)message_id);
		db_reset(stmt);
		return -1;
	}
	db_getf(stmt, "Tb", &in->sender, &body, &in->len);
	in->body = xmalloc(in->len + 1);
	if (in->len > 0)
		memcpy(in->body, body, in->len);
	in->body[in->len] = '\0';
	db_reset(stmt);
	return 0;
}

int
store_inbox_claim(struct store *st, int max_attempts, size_t n,
    int64_t *ids, int *attempts)
{
	struct db_stmt *stmt;
	time_t now = time(NULL);
	size_t got = 0;
	int rc;

	/* Several nodes on one PostgreSQL database claim without overlap:
	 * a row is this node's until its lease expires (store_cluster.h),
	 * then any node's; the node's own rows are always its. */
	stmt = db_query(st->db, "UPDATE inbox SET attempts = attempts + 1,"
	    " node = ?3, lease_until = ?4"
	    " WHERE id IN (SELECT id FROM inbox WHERE attempts < ?1"
	    " AND (lease_until < ?5 OR node = ?3)"
	    " ORDER BY id LIMIT ?2 {FOR_UPDATE_SKIP_LOCKED})"
	    " RETURNING id, attempts", "ditii", max_attempts, (int64_t)n,
	    store_cluster_name(), (int64_t)now + store_cluster_lease(),
	    (int64_t)now);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW && got < n) {
		db_getf(stmt, "id", &ids[got], &attempts[got]);
		got++;
	}
	/* Run the UPDATE to its end, or its write would stay open. */
	while (rc == DB_ROW)
		rc = db_step(stmt);
	if (rc < 0)
		return -1;
	db_reset(stmt);
	return (int)got;
}

int
store_inbox_get(struct store *st, int64_t id, struct store_inbox *in)
{
	struct db_stmt *stmt;
	int rc;

	memset(in, 0, sizeof(*in));
	stmt = db_query(st->db, "SELECT id, message_id, list_id, rcpt, ext,"
	    " attempts, max_member FROM inbox WHERE id = ?1", "i", id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	db_getf(stmt, "iiiTTdi", &in->id, &in->message_id, &in->list_id,
	    &in->rcpt, &in->ext, &in->attempts, &in->max_member);
	db_reset(stmt);
	if (inbox_message(st, in->message_id, in) < 0) {
		store_inbox_clear(in);
		return -1;
	}
	return 1;
}

int
store_inbox_unclaim(struct store *st, const int64_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (db_run(st->db, "UPDATE inbox SET attempts = attempts - 1,"
		    " lease_until = 0 WHERE id = ?1 AND attempts > 0", "i",
		    ids[i]) < 0)
			return -1;
	return 0;
}

/* Delete message_id if no inbox, quarantine or posts row refers to it. */
static int
message_release(struct store *st, int64_t message_id)
{
	return db_run(st->db, "DELETE FROM messages WHERE id = ?1"
	    " AND NOT EXISTS (SELECT 1 FROM inbox WHERE message_id = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM quarantine WHERE message_id = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM posts WHERE message_id = ?1)", "i",
	    message_id) < 0 ? -1 : 0;
}

/* In the caller's transaction if one is open, else in its own. */
int
store_inbox_done(struct store *st, int64_t inbox_id)
{
	int64_t msg_id;
	int own = !db_in_txn(st->db);

	if (own && store_begin(st) < 0)
		return -1;
	msg_id = store_returned_id(db_query(st->db, "DELETE FROM inbox WHERE id = ?1"
	    " RETURNING message_id", "i", inbox_id));
	if (msg_id < 0)
		goto fail;
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

/* Not a row another node is deciding in its last attempt. */
static const char *const quarantine_sql[] = {
	"INSERT INTO quarantine (id, message_id, list_id, rcpt, ext, attempts,"
	" created, max_member) SELECT id, message_id, list_id, rcpt, ext,"
	" attempts, created, max_member FROM inbox WHERE attempts >= ?1"
	" AND (lease_until < ?2 OR node = ?3)",
	"DELETE FROM inbox WHERE attempts >= ?1"
	" AND (lease_until < ?2 OR node = ?3)",
};

int
store_inbox_quarantine(struct store *st, int max_attempts)
{
	int own = !db_in_txn(st->db), moved = 0;
	int64_t n;
	size_t i;

	if (own && store_begin(st) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((n = db_run(st->db, quarantine_sql[i], "dit",
		    max_attempts, (int64_t)time(NULL),
		    store_cluster_name())) < 0)
			goto fail;
		if (i == 0)
			moved = (int)n;
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
	" CASE max_member WHEN 0 THEN (SELECT coalesce(max(id), 0) FROM members)"
	" ELSE max_member END FROM quarantine WHERE id = ?1",
	"DELETE FROM quarantine WHERE id = ?1",
};

int
store_quarantine_release(struct store *st, int64_t id)
{
	int found = 0;
	int64_t n;
	size_t i;

	if (store_begin(st) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((n = db_run(st->db, release_sql[i], "i", id)) < 0)
			goto fail;
		if (i == 0)
			found = n > 0;
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
	struct db_stmt *stmt;
	struct store_quarantine r;
	int64_t created;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT q.id, q.list_id, q.rcpt,"
	    " q.ext, m.sender, q.attempts, q.created FROM quarantine q"
	    " JOIN messages m ON m.id = q.message_id ORDER BY q.id", "");
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		db_getf(stmt, "iitttdi", &r.id, &r.list_id, &r.rcpt, &r.ext,
		    &r.sender, &r.attempts, &created);
		r.created = (time_t)created;
		stop = fn(&r, arg);
	}
	return store_end(stmt, rc);
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
post_state_col(struct db_stmt *stmt, int col)
{
	const char *s = db_col_text(stmt, col);
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
	int64_t id;

	id = store_returned_id(db_query(st->db, "INSERT INTO posts (list_id,"
	    " message_id, msgid, subject, author, sender, state, reason,"
	    " max_member, created, decided, thread, rule, decided_by, deadline,"
	    " confirm) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?16) RETURNING id", "iittttttiiitttit",
	    p->list_id, p->message_id, str(p->msgid), str(p->subject),
	    str(p->author), str(p->sender), post_state_name(p->state),
	    str(p->reason), p->max_member,
	    (int64_t)(p->created != 0 ? p->created : time(NULL)),
	    (int64_t)p->decided, str(p->thread), str(p->rule),
	    str(p->decided_by), (int64_t)p->deadline, str(p->confirm)));
	if (id <= 0)
		return -1;
	p->id = id;
	if (id_r != NULL)
		*id_r = p->id;
	return 0;
}

/* Borrowed view of the current row (POST_COLS order, store_int.h). */
void
store_post_view(struct db_stmt *stmt, struct store_post *p)
{
	int64_t created, decided, deadline;

	db_getf(stmt, "iiitttt_tiiitttiddtt", &p->id, &p->list_id,
	    &p->message_id, &p->msgid, &p->subject, &p->author, &p->sender,
	    &p->reason, &p->max_member, &created, &decided, &p->thread,
	    &p->rule, &p->decided_by, &deadline, &p->reminded, &p->escalated,
	    &p->appeal, &p->confirm);
	p->state = post_state_col(stmt, 7);
	p->created = (time_t)created;
	p->decided = (time_t)decided;
	p->deadline = (time_t)deadline;
}

/* 1 found (p filled, free with store_post_clear), 0 none, -1 error. */
int
store_post_get(struct store *st, int64_t id, struct store_post *p)
{
	struct db_stmt *stmt;
	int rc;

	memset(p, 0, sizeof(*p));
	stmt = db_query(st->db, "SELECT " POST_COLS " FROM posts WHERE id = ?1",
	    "i", id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	store_post_view(stmt, p);
	db_getf(stmt, "___TTTT_T___TTT___TT", &p->msgid, &p->subject,
	    &p->author, &p->sender, &p->reason, &p->thread, &p->rule,
	    &p->decided_by, &p->appeal, &p->confirm);
	db_reset(stmt);
	return 1;
}

/* Sets decided to now.  0 also when there is no such post. */
int
store_post_set_state(struct store *st, int64_t id, enum post_state state,
    const char *reason)
{
	return db_run(st->db, "UPDATE posts SET state = ?2, reason = ?3,"
	    " decided = ?4 WHERE id = ?1", "itti", id, post_state_name(state),
	    str(reason), (int64_t)time(NULL)) < 0 ? -1 : 0;
}

int
store_post_decide(struct store *st, int64_t id, enum post_state state,
    const char *reason, const char *rule, const char *decided_by,
    int *changed_r)
{
	int64_t n;

	*changed_r = 0;
	n = db_run(st->db, "UPDATE posts SET state = ?2, reason = ?3,"
	    " decided = ?4, rule = ?5, decided_by = ?6"
	    " WHERE id = ?1 AND state = 'held'", "ittitt", id,
	    post_state_name(state), str(reason), (int64_t)time(NULL), str(rule),
	    str(decided_by));
	if (n < 0)
		return -1;
	*changed_r = n == 1;
	return 0;
}

int
store_post_due(struct store *st, time_t now, size_t max,
    int (*fn)(const struct store_post *, void *), void *arg)
{
	struct store_post p;
	struct db_stmt *stmt;
	int rc, stop = 0;

	/* Integer columns: "/ 2" truncates alike in both engines. */
	stmt = db_query(st->db, "SELECT " POST_COLS " FROM posts"
	    " WHERE state = 'held' AND deadline > 0 AND (deadline <= ?1"
	    " OR (reminded = 0 AND ?1 >= created + (deadline - created) / 2))"
	    " ORDER BY deadline LIMIT ?2", "ii", (int64_t)now, (int64_t)max);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		store_post_view(stmt, &p);
		stop = fn(&p, arg);
	}
	return store_end(stmt, rc);
}

int
store_post_appeal(struct store *st, int64_t id, const char *from,
    const char *to, int *changed_r)
{
	int64_t n;

	*changed_r = 0;
	n = db_run(st->db, "UPDATE posts SET appeal = ?3"
	    " WHERE id = ?1 AND appeal = ?2 AND state = 'rejected'", "itt", id,
	    str(from), str(to));
	if (n < 0)
		return -1;
	*changed_r = n == 1;
	return 0;
}

int
store_post_reminded(struct store *st, int64_t id)
{
	return db_run(st->db, "UPDATE posts SET reminded = 1 WHERE id = ?1",
	    "i", id) < 0 ? -1 : 0;
}

int
store_post_escalated(struct store *st, int64_t id, time_t deadline)
{
	return db_run(st->db, "UPDATE posts SET escalated = 1, reminded = 0,"
	    " deadline = ?2 WHERE id = ?1 AND state = 'held'", "ii", id,
	    (int64_t)deadline) < 0 ? -1 : 0;
}

int64_t
store_post_count_accepted(struct store *st, int64_t list_id,
    const char *author)
{
	struct db_stmt *stmt;
	int64_t n = -1;

	/* lower() on both sides: COLLATE NOCASE is SQLite's alone. */
	stmt = db_query(st->db, "SELECT count(*) FROM posts WHERE list_id = ?1"
	    " AND lower(author) = lower(?2) AND state = 'accepted'", "it",
	    list_id, str(author));
	if (stmt == NULL)
		return -1;
	if (db_step(stmt) == DB_ROW)
		n = db_col_int64(stmt, 0);
	db_reset(stmt);
	return n;
}

int
store_post_each(struct store *st, int64_t list_id, int state,
    int (*fn)(const struct store_post *, void *), void *arg)
{
	struct store_post p;
	struct db_stmt *stmt;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT " POST_COLS " FROM posts"
	    " WHERE list_id = ?1 AND (?2 = '' OR state = ?2) ORDER BY id DESC",
	    "it", list_id, state < 0 ? "" :
	    post_state_name((enum post_state)state));
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		store_post_view(stmt, &p);
		stop = fn(&p, arg);
	}
	return store_end(stmt, rc);
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
	free(p->confirm);
	memset(p, 0, sizeof(*p));
}
