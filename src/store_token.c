/*
 * store_token.c — confirmation tokens, request counters, thread
 * preferences.
 *
 * Owns the rows of tokens, requests and thread_prefs.  A token row is
 * keyed by the keyed hash of the token (token.c); the token itself is
 * never stored, so a copy of the database confirms nothing.  Addresses
 * are compared by addr_key() (lower case), like members.
 *
 * Single use holds across handles and processes: store_token_take marks
 * a row used in the one UPDATE that finds it, so of two concurrent takes
 * exactly one changes the row; the other then reads it back as used.
 * The list is part of the lookup: a token presented to another list is
 * unknown there and stays usable where it belongs.
 * A row created more than TOKEN_SKEW seconds in the future (the clock
 * stepped back, or a row written by a host whose clock runs ahead) is
 * treated as unknown rather than honoured for longer than it should be.
 *
 * Fails: -1, logged by the store's fault hook, which keeps the fault for
 * store_error_full().  Strings in a struct
 * store_token are malloc'd and freed by store_token_clear().
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "store_int.h"

#define TOKEN_SKEW	300	/* seconds a row's creation may be ahead */

/* The columns token_row() reads, in its order. */
#define TOKEN_COLS	"purpose, list_id, addr, data, created, expires, used"

static void
token_row(struct db_stmt *stmt, struct store_token *t)
{
	int64_t created, expires, used;

	db_getf(stmt, "TiTTiii", &t->purpose, &t->list_id, &t->addr, &t->data,
	    &created, &expires, &used);
	t->created = (time_t)created;
	t->expires = (time_t)expires;
	t->used = (time_t)used;
}

/*
 * Run a writing statement with RETURNING to its end after its one row
 * was read: in autocommit mode the change commits only then.
 */
static int
step_finish(struct db_stmt *stmt)
{
	int rc;

	while ((rc = db_step(stmt)) == DB_ROW)
		;
	return store_end(stmt, rc);
}

/* The single 0/1 or count a query returns, or -1. */
static int
one_int(struct db_stmt *stmt)
{
	int rc, v = -1;

	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW)
		v = (int)db_col_int64(stmt, 0);
	db_reset(stmt);
	return v;
}

int
store_token_add(struct store *st, const uint8_t *hash, size_t hashlen,
    const char *purpose, int64_t list_id, const char *addr, const char *data,
    time_t now, time_t expires)
{
	char key[ADDR_MAX];

	addr_key(addr, key);
	return db_run(st->db, "INSERT INTO tokens (hash, purpose, list_id,"
	    " addr, addr_key, data, created, expires)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "btitttii",
	    (const void *)hash, hashlen, purpose, list_id, addr, key,
	    data != NULL ? data : "", (int64_t)now, (int64_t)expires) < 0 ?
	    -1 : 0;
}

/*
 * The take did not change a row: read it to say why.  Used wins over
 * expired (the more precise answer).  A row of another list, or from the
 * future, is unknown and t stays empty, as for a hash we never stored.
 */
static int
token_why(struct store *st, const uint8_t *hash, size_t hashlen,
    int64_t list_id, time_t now, enum token_status *status,
    struct store_token *t)
{
	struct db_stmt *stmt;
	int rc;

	stmt = db_query(st->db, "SELECT " TOKEN_COLS " FROM tokens"
	    " WHERE hash = ?1 AND list_id = ?2", "bi", (const void *)hash,
	    hashlen, list_id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	token_row(stmt, t);
	db_reset(stmt);
	if (t->created > now + TOKEN_SKEW) {
		log_warnx("store: %s token of list %" PRId64 " created %lld s"
		    " in the future: refused (clock skew?)", t->purpose,
		    t->list_id, (long long)(t->created - now));
		store_token_clear(t);
	} else if (t->used != 0)
		*status = TOKEN_USED;
	else if (t->expires <= now)
		*status = TOKEN_EXPIRED;
	else	/* valid now, not then: inserted between the statements */
		store_token_clear(t);
	return 0;
}

int
store_token_take(struct store *st, const uint8_t *hash, size_t hashlen,
    int64_t list_id, time_t now, enum token_status *status,
    struct store_token *t)
{
	struct db_stmt *stmt;
	int rc;

	memset(t, 0, sizeof(*t));
	*status = TOKEN_UNKNOWN;
	if (hash == NULL || hashlen == 0)
		return 0;
	stmt = db_query(st->db, "UPDATE tokens SET used = ?2"
	    " WHERE hash = ?1 AND list_id = ?4 AND used = 0 AND expires > ?2"
	    " AND created <= ?3 RETURNING " TOKEN_COLS, "biii",
	    (const void *)hash, hashlen, (int64_t)now,
	    (int64_t)now + TOKEN_SKEW, list_id);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW) {
		if (store_end(stmt, rc) < 0)
			return -1;
		return token_why(st, hash, hashlen, list_id, now, status,
		    t);
	}
	token_row(stmt, t);
	if (step_finish(stmt) < 0) {
		store_token_clear(t);
		return -1;
	}
	*status = TOKEN_OK;
	return 0;
}

void
store_token_clear(struct store_token *t)
{
	free(t->purpose);
	free(t->addr);
	free(t->data);
	memset(t, 0, sizeof(*t));
}

/* 1 pending, 0 none, -1 error. */
int
store_token_live(struct store *st, const uint8_t *hash, size_t hashlen,
    int64_t list_id, time_t now)
{
	return one_int(db_query(st->db, "SELECT CASE WHEN EXISTS (SELECT 1"
	    " FROM tokens WHERE hash = ?1 AND list_id = ?2 AND used = 0"
	    " AND expires > ?3) THEN 1 ELSE 0 END", "bii", (const void *)hash,
	    hashlen, list_id, (int64_t)now));
}

/* A statement on the pending tokens of (list, addr, purpose): ?1 list,
 * ?2 address key, ?3 purpose, ?4 now. */
static struct db_stmt *
pending_stmt(struct store *st, const char *sql, int64_t list_id,
    const char *addr, const char *purpose, time_t now, char key[ADDR_MAX])
{
	addr_key(addr, key);
	return db_query(st->db, sql, "itti", list_id, key, purpose,
	    (int64_t)now);
}

int
store_token_pending(struct store *st, int64_t list_id, const char *addr,
    const char *purpose, time_t now)
{
	char key[ADDR_MAX];

	return one_int(pending_stmt(st, "SELECT CASE WHEN EXISTS (SELECT 1"
	    " FROM tokens WHERE list_id = ?1 AND addr_key = ?2"
	    " AND purpose = ?3 AND used = 0 AND expires > ?4) THEN 1 ELSE 0"
	    " END", list_id, addr, purpose, now, key));
}

int
store_token_pending_use(struct store *st, int64_t list_id, const char *addr,
    const char *purpose, time_t now)
{
	struct db_stmt *stmt;
	char key[ADDR_MAX];
	int rc;

	stmt = pending_stmt(st, "UPDATE tokens SET used = ?4"
	    " WHERE list_id = ?1 AND addr_key = ?2 AND purpose = ?3"
	    " AND used = 0 AND expires > ?4", list_id, addr, purpose, now,
	    key);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) < 0)
		return -1;
	db_reset(stmt);
	return db_changes(st->db) > 0;
}

int
store_token_pending_each(struct store *st, int64_t list_id,
    const char *purpose, time_t now,
    int (*fn)(const struct store_token *, void *), void *arg)
{
	struct db_stmt *stmt;
	struct store_token t;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT addr, created, expires FROM tokens"
	    " WHERE list_id = ?1 AND purpose = ?2 AND used = 0"
	    " AND expires > ?3 ORDER BY created, addr_key", "iti", list_id,
	    purpose, (int64_t)now);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		memset(&t, 0, sizeof(t));
		t.purpose = (char *)purpose;
		t.list_id = list_id;
		t.addr = (char *)db_col_text(stmt, 0);
		t.data = (char *)"";
		t.created = (time_t)db_col_int64(stmt, 1);
		t.expires = (time_t)db_col_int64(stmt, 2);
		stop = fn(&t, arg);
	}
	return store_end(stmt, rc);
}

int
store_token_purge(struct store *st, time_t before)
{
	return (int)db_run(st->db, "DELETE FROM tokens"
	    " WHERE expires < ?1 OR (used != 0 AND used < ?1)", "i",
	    (int64_t)before);
}

/* ---- request limits ----------------------------------------------- */

int
store_request_purge(struct store *st, int64_t before_day)
{
	return (int)db_run(st->db, "DELETE FROM requests WHERE day < ?1", "i",
	    before_day);
}

int
store_request_count(struct store *st, int64_t list_id, const char *addr,
    int64_t day, int *count_r)
{
	struct db_stmt *stmt;
	char key[ADDR_MAX];

	*count_r = 0;
	addr_key(addr, key);
	stmt = db_query(st->db, "INSERT INTO requests (list_id, addr_key, day,"
	    " count) VALUES (?1, ?2, ?3, 1)"
	    " ON CONFLICT (list_id, addr_key, day)"
	    " DO UPDATE SET count = requests.count + 1 RETURNING count", "iti",
	    list_id, key, day);
	if (stmt == NULL)
		return -1;
	if (db_step(stmt) != DB_ROW) {
		db_reset(stmt);
		return -1;
	}
	*count_r = (int)db_col_int64(stmt, 0);
	return step_finish(stmt);
}

/* ---- thread preferences ------------------------------------------- */

static const char *const thread_prefs[] = { "mute", "follow" };

/* The static name equal to pref, or NULL. */
static const char *
thread_pref_name(const char *pref)
{
	size_t i;

	for (i = 0; i < sizeof(thread_prefs) / sizeof(*thread_prefs); i++)
		if (strcmp(pref, thread_prefs[i]) == 0)
			return thread_prefs[i];
	return NULL;
}

int
store_thread_pref_set(struct store *st, int64_t member_id,
    const char *thread, const char *pref)
{
	int64_t n;

	if (pref != NULL && thread_pref_name(pref) == NULL) {
		log_warnx("store: unknown thread preference '%s'", pref);
		return -1;
	}
	if (pref == NULL)
		n = db_run(st->db, "DELETE FROM thread_prefs"
		    " WHERE member_id = ?1 AND thread = ?2", "it", member_id,
		    thread);
	else
		n = db_run(st->db, "INSERT INTO thread_prefs"
		    " (member_id, thread, pref) VALUES (?1, ?2, ?3)"
		    " ON CONFLICT (member_id, thread)"
		    " DO UPDATE SET pref = excluded.pref", "itt", member_id,
		    thread, pref);
	return n < 0 ? -1 : 0;
}

int
store_thread_pref_get(struct store *st, int64_t member_id,
    const char *thread, const char **pref_r)
{
	struct db_stmt *stmt;
	const char *pref;
	int rc;

	*pref_r = NULL;
	stmt = db_query(st->db, "SELECT pref FROM thread_prefs"
	    " WHERE member_id = ?1 AND thread = ?2", "it", member_id, thread);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	pref = db_col_text(stmt, 0);
	*pref_r = pref != NULL ? thread_pref_name(pref) : NULL;
	db_reset(stmt);
	return *pref_r != NULL ? 1 : 0;
}
