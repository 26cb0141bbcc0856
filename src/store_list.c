/*
 * store_list.c — lists, their settings and roles, and their members.
 *
 * Owns the rows of lists, list_settings, list_roles and members.  Member
 * and role addresses are kept in the form they were given (for display and
 * sending) next to their addr_key() (lower case), which alone is compared:
 * "Ann@Example.org" and "ann@example.org" are one member.
 * Every statement goes through the statement cache (db_prepare()), so a
 * bulk import prepares its INSERT once.
 * Fails: -1, logged by the store's fault hook, which keeps the fault so
 * that callers can tell a full disk (store_error_full()).
 * Iterators hand fn borrowed rows that live until fn returns; fn must not
 * start the same iterator again (the cached statement would be reset).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "log.h"
#include "store_int.h"

static const char *const mode_names[] = {
	[MODE_EACH] = "each",
	[MODE_DIGEST] = "digest",
	[MODE_NOMAIL] = "nomail",
	[MODE_FOLLOW] = "follow",
};

/* Step a statement that yields one integer (count, max): value or -1. */
static int64_t
step_int(struct db_stmt *stmt)
{
	int64_t v = -1;

	if (stmt == NULL)
		return -1;
	if (db_step(stmt) == DB_ROW)
		v = db_col_int64(stmt, 0);
	db_reset(stmt);
	return v;
}

/* ---- lists ------------------------------------------------------- */

int
store_list_create(struct store *st, const char *addr, int64_t *id_r)
{
	int64_t id;

	id = store_returned_id(db_query(st->db, "INSERT INTO lists (addr,"
	    " created) VALUES (?1, ?2) ON CONFLICT (addr) DO NOTHING"
	    " RETURNING id", "ti", addr, (int64_t)time(NULL)));
	if (id < 0)
		return -1;
	if (id == 0)
		return 1;
	if (id_r != NULL)
		*id_r = id;
	return 0;
}

/* Fill l from a row (id, addr, created); 1 found, 0 none, -1 error. */
static int
list_row(struct db_stmt *stmt, struct store_list *l)
{
	int64_t created;
	int rc;

	memset(l, 0, sizeof(*l));
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW) {
		db_getf(stmt, "iTi", &l->id, &l->addr, &created);
		l->created = (time_t)created;
		db_reset(stmt);
		return 1;
	}
	return store_end(stmt, rc);
}

int
store_list_get(struct store *st, const char *addr, struct store_list *l)
{
	return list_row(db_query(st->db,
	    "SELECT id, addr, created FROM lists WHERE addr = ?1", "t", addr),
	    l);
}

int
store_list_get_id(struct store *st, int64_t id, struct store_list *l)
{
	return list_row(db_query(st->db,
	    "SELECT id, addr, created FROM lists WHERE id = ?1", "i", id), l);
}

void
store_list_clear(struct store_list *l)
{
	free(l->addr);
	memset(l, 0, sizeof(*l));
}

int
store_list_each(struct store *st,
    int (*fn)(const struct store_list *, void *), void *arg)
{
	struct store_list l;
	struct db_stmt *stmt;
	int rc, stop = 0;

	stmt = db_query(st->db,
	    "SELECT id, addr, created FROM lists ORDER BY addr", "");
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		l.id = db_col_int64(stmt, 0);
		l.addr = (char *)db_col_text(stmt, 1);
		l.created = (time_t)db_col_int64(stmt, 2);
		stop = fn(&l, arg);
	}
	return store_end(stmt, rc);
}

/*
 * The rows of a list that have no ON DELETE CASCADE (queue, inbox,
 * bounces), then the list (cascading to settings, roles, members, posts),
 * then the raw messages nothing refers to any more.
 */
static const char *const list_delete_sql[] = {
	"DELETE FROM jobs WHERE list_id = ?1",
	"DELETE FROM bounces WHERE list_id = ?1",
	"DELETE FROM inbox WHERE list_id = ?1",
	"DELETE FROM quarantine WHERE list_id = ?1",
	"DELETE FROM lists WHERE id = ?1",
	"DELETE FROM messages WHERE id NOT IN (SELECT message_id FROM inbox"
	" UNION ALL SELECT message_id FROM quarantine"
	" UNION ALL SELECT message_id FROM posts)",
};

/* Deletes the list and everything of it in one transaction: the caller's
 * if one is open, else its own. */
int
store_list_delete(struct store *st, int64_t list_id)
{
	size_t i, n = sizeof(list_delete_sql) / sizeof(*list_delete_sql);
	int own = !db_in_txn(st->db);

	if (own && store_begin(st) < 0)
		return -1;
	for (i = 0; i < n; i++)	/* the last one has no ?1 */
		if (db_run(st->db, list_delete_sql[i], i + 1 < n ? "i" : "",
		    list_id) < 0)
			goto fail;
	if (own && store_commit(st) < 0)
		return -1;
	return 0;
fail:
	if (own)
		store_rollback(st);
	return -1;
}

/* ---- settings ---------------------------------------------------- */

int
store_list_setting_get(struct store *st, int64_t list_id, const char *key,
    char **value_r)
{
	struct db_stmt *stmt;
	int rc;

	*value_r = NULL;
	stmt = db_query(st->db, "SELECT value FROM list_settings"
	    " WHERE list_id = ?1 AND key = ?2", "it", list_id, key);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW) {
		db_getf(stmt, "T", value_r);
		db_reset(stmt);
		return 1;
	}
	return store_end(stmt, rc);
}

int
store_list_setting_set(struct store *st, int64_t list_id, const char *key,
    const char *value)
{
	return db_run(st->db, "INSERT INTO list_settings (list_id, key, value)"
	    " VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (list_id, key) DO UPDATE SET value = excluded.value",
	    "itt", list_id, key, value) < 0 ? -1 : 0;
}

int
store_list_setting_each(struct store *st, int64_t list_id,
    int (*fn)(const char *key, const char *value, void *), void *arg)
{
	struct db_stmt *stmt;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT key, value FROM list_settings"
	    " WHERE list_id = ?1 ORDER BY key", "i", list_id);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW)
		stop = fn(db_col_text(stmt, 0), db_col_text(stmt, 1), arg);
	return store_end(stmt, rc);
}

/* ---- roles ------------------------------------------------------- */

/* 0 added, 1 had the role already, -1 error. */
int
store_role_add(struct store *st, int64_t list_id, const char *role,
    const char *addr)
{
	char key[ADDR_MAX];
	int64_t n;

	addr_key(addr, key);
	n = db_run(st->db, "INSERT INTO list_roles"
	    " (list_id, role, addr, addr_key) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT DO NOTHING", "ittt", list_id, role, addr, key);
	if (n < 0)
		return -1;
	return n == 0 ? 1 : 0;
}

/* 1 removed, 0 did not have the role, -1 error. */
/* A statement on one role of one address: ?1 list, ?2 role, ?3 key. */
static struct db_stmt *
role_key_stmt(struct store *st, const char *sql, int64_t list_id,
    const char *role, const char *addr, char key[ADDR_MAX])
{
	addr_key(addr, key);
	return db_query(st->db, sql, "itt", list_id, role, key);
}

int
store_role_rm(struct store *st, int64_t list_id, const char *role,
    const char *addr)
{
	struct db_stmt *stmt;
	char key[ADDR_MAX];

	stmt = role_key_stmt(st, "DELETE FROM list_roles"
	    " WHERE list_id = ?1 AND role = ?2 AND addr_key = ?3", list_id,
	    role, addr, key);
	if (stmt == NULL || db_step(stmt) < 0)
		return -1;
	db_reset(stmt);
	return db_changes(st->db) > 0 ? 1 : 0;
}

int
store_role_find(struct store *st, int64_t list_id, const char *role,
    char addr[ADDR_MAX])
{
	struct db_stmt *stmt;
	char key[ADDR_MAX];
	int rc;

	stmt = role_key_stmt(st, "SELECT addr FROM list_roles WHERE"
	    " list_id = ?1 AND role = ?2 AND addr_key = ?3", list_id, role,
	    addr, key);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW)
		snprintf(addr, ADDR_MAX, "%s", db_col_text(stmt, 0));
	if (store_end(stmt, rc) < 0)
		return -1;
	return rc == DB_ROW;
}


int
store_role_each(struct store *st, int64_t list_id, const char *role,
    int (*fn)(const char *addr, void *), void *arg)
{
	struct db_stmt *stmt;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT addr FROM list_roles"
	    " WHERE list_id = ?1 AND role = ?2 ORDER BY addr_key", "it",
	    list_id, role);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW)
		stop = fn(db_col_text(stmt, 0), arg);
	return store_end(stmt, rc);
}

/* ---- members ----------------------------------------------------- */

const char *
member_mode_name(enum member_mode mode)
{
	if ((size_t)mode >= sizeof(mode_names) / sizeof(*mode_names))
		return "each";
	return mode_names[mode];
}

/* 0 and *mode_r set, or -1 for an unknown name. */
int
member_mode_parse(const char *s, enum member_mode *mode_r)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(*mode_names); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*mode_r = (enum member_mode)i;
			return 0;
		}
	}
	return -1;
}

static enum member_mode
mode_col(struct db_stmt *stmt, int col)
{
	enum member_mode mode = MODE_EACH;
	const char *s = db_col_text(stmt, col);

	if (s != NULL)
		(void)member_mode_parse(s, &mode);
	return mode;
}

/* The new member's id, 0 when addr is one already, -1 error. */
static int64_t
member_insert(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode)
{
	char key[ADDR_MAX];

	addr_key(addr, key);
	return store_returned_id(db_query(st->db, "INSERT INTO members"
	    " (list_id, addr, addr_key, mode, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (list_id, addr_key) DO NOTHING RETURNING id",
	    "ittti", list_id, addr, key, member_mode_name(mode),
	    (int64_t)time(NULL)));
}

int
store_member_import_one(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode)
{
	int64_t id = member_insert(st, list_id, addr, mode);

	if (id < 0)
		return -1;
	return id == 0 ? 1 : 0;
}

/* On a duplicate, *id_r is the id of the existing member. */
int
store_member_add(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode, int64_t *id_r)
{
	struct store_member m;
	int64_t id;

	if ((id = member_insert(st, list_id, addr, mode)) < 0)
		return -1;
	if (id > 0 || id_r == NULL) {
		if (id_r != NULL)
			*id_r = id;
		return id > 0 ? 0 : 1;
	}
	if (store_member_get(st, list_id, addr, &m) < 0)
		return -1;
	*id_r = m.id;
	store_member_clear(&m);
	return 1;
}

int
store_member_rm(struct store *st, int64_t list_id, const char *addr)
{
	char key[ADDR_MAX];
	int64_t n;

	addr_key(addr, key);
	n = db_run(st->db,
	    "DELETE FROM members WHERE list_id = ?1 AND addr_key = ?2", "it",
	    list_id, key);
	if (n < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

#define MEMBER_COLS	"id, list_id, addr, mode, created, moderated," \
			" digest_format, disabled"

/* Borrowed view of the current row (id, list_id, addr, mode, created,
 * moderated, digest_format). */
static void
member_view(struct db_stmt *stmt, struct store_member *m)
{
	const char *format;
	int64_t created, disabled;

	db_getf(stmt, "iit_idti", &m->id, &m->list_id, &m->addr, &created,
	    &m->moderated, &format, &disabled);
	m->mode = mode_col(stmt, 3);
	m->created = (time_t)created;
	m->digest_plain = format != NULL && strcmp(format, "plain") == 0;
	m->disabled = (time_t)disabled;
}

/* Step a bound member query: 1 and m filled (addr owned), 0, or -1. */
static int
member_fetch(struct db_stmt *stmt, struct store_member *m)
{
	int rc;

	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW) {
		member_view(stmt, m);
		db_getf(stmt, "__T", &m->addr);
		db_reset(stmt);
		return 1;
	}
	return store_end(stmt, rc);
}

int
store_member_get(struct store *st, int64_t list_id, const char *addr,
    struct store_member *m)
{
	char key[ADDR_MAX];

	memset(m, 0, sizeof(*m));
	addr_key(addr, key);
	return member_fetch(db_query(st->db, "SELECT " MEMBER_COLS
	    " FROM members WHERE list_id = ?1 AND addr_key = ?2", "it",
	    list_id, key), m);
}

int
store_member_get_id(struct store *st, int64_t list_id, int64_t id,
    struct store_member *m)
{
	memset(m, 0, sizeof(*m));
	return member_fetch(db_query(st->db, "SELECT " MEMBER_COLS
	    " FROM members WHERE (?1 = 0 OR list_id = ?1) AND id = ?2", "ii",
	    list_id, id), m);
}

int
store_member_set_moderated(struct store *st, int64_t list_id, int64_t id,
    int moderated)
{
	return db_run(st->db, "UPDATE members SET moderated = ?3"
	    " WHERE list_id = ?1 AND id = ?2", "iid", list_id, id,
	    moderated != 0) < 0 ? -1 : 0;
}

/* 0 also when addr is no member (nothing to change); callers that must
 * tell the two apart call store_member_get() first. */
int
store_member_set_mode(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode)
{
	char key[ADDR_MAX];

	addr_key(addr, key);
	return db_run(st->db, "UPDATE members SET mode = ?3"
	    " WHERE list_id = ?1 AND addr_key = ?2", "itt", list_id, key,
	    member_mode_name(mode)) < 0 ? -1 : 0;
}

void
store_member_clear(struct store_member *m)
{
	free(m->addr);
	memset(m, 0, sizeof(*m));
}

/* Members in id order (the order fan-out uses). */
int
store_member_each(struct store *st, int64_t list_id,
    int (*fn)(const struct store_member *, void *), void *arg)
{
	struct store_member m;
	struct db_stmt *stmt;
	int rc, stop = 0;

	stmt = db_query(st->db, "SELECT " MEMBER_COLS " FROM members"
	    " WHERE list_id = ?1 ORDER BY id", "i", list_id);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		member_view(stmt, &m);
		stop = fn(&m, arg);
	}
	return store_end(stmt, rc);
}

/* Number of members, or -1 on error. */
int64_t
store_member_count(struct store *st, int64_t list_id)
{
	return step_int(db_query(st->db,
	    "SELECT count(*) FROM members WHERE list_id = ?1", "i", list_id));
}

/* Highest member id of any list, 0 if none, -1 on error. */
int64_t
store_member_max_id(struct store *st)
{
	return step_int(db_query(st->db,
	    "SELECT coalesce(max(id), 0) FROM members", ""));
}
