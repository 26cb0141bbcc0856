/*
 * store_list.c — lists, their settings and roles, and their members.
 *
 * Owns the rows of lists, list_settings, list_roles and members.  Member
 * and role addresses are kept in the form they were given (for display and
 * sending) next to their addr_key() (lower case), which alone is compared:
 * "Ann@Example.org" and "ann@example.org" are one member.
 * Every statement goes through the statement cache (store_stmt()), so a
 * bulk import prepares its INSERT once.
 * Fails: -1 after logging the SQLite error (store_fail()); st->last_rc
 * keeps the code so that callers can tell a full disk (store_error_full()).
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
step_int(struct store *st, sqlite3_stmt *stmt)
{
	int64_t v;
	int rc;

	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		store_fail(st, sqlite3_sql(stmt), rc);
		sqlite3_reset(stmt);
		return -1;
	}
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return v;
}

/* ---- lists ------------------------------------------------------- */

int
store_list_create(struct store *st, const char *addr, int64_t *id_r)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "INSERT INTO lists (addr, created)"
	    " VALUES (?1, ?2) ON CONFLICT (addr) DO NOTHING");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (int64_t)time(NULL));
	if (store_step_done(st, stmt) < 0)
		return -1;
	if (sqlite3_changes(st->sq) == 0)
		return 1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->sq);
	return 0;
}

/* Fill l from a row (id, addr, created); 1 found, 0 none, -1 error. */
static int
list_row(struct store *st, sqlite3_stmt *stmt, struct store_list *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		l->id = sqlite3_column_int64(stmt, 0);
		l->addr = store_col_str(stmt, 1);
		l->created = (time_t)sqlite3_column_int64(stmt, 2);
		sqlite3_reset(stmt);
		return 1;
	}
	return store_step_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_list_get(struct store *st, const char *addr, struct store_list *l)
{
	sqlite3_stmt *stmt;

	memset(l, 0, sizeof(*l));
	stmt = store_stmt(st,
	    "SELECT id, addr, created FROM lists WHERE addr = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	return list_row(st, stmt, l);
}

int
store_list_get_id(struct store *st, int64_t id, struct store_list *l)
{
	sqlite3_stmt *stmt;

	memset(l, 0, sizeof(*l));
	stmt = store_stmt(st,
	    "SELECT id, addr, created FROM lists WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return list_row(st, stmt, l);
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
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st,
	    "SELECT id, addr, created FROM lists ORDER BY addr");
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		l.id = sqlite3_column_int64(stmt, 0);
		l.addr = (char *)sqlite3_column_text(stmt, 1);
		l.created = (time_t)sqlite3_column_int64(stmt, 2);
		stop = fn(&l, arg);
	}
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, stmt, rc);
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
	sqlite3_stmt *stmt;
	size_t i;
	int own = !db_in_txn(st->db);

	if (own && store_begin(st) < 0)
		return -1;
	for (i = 0; i < sizeof(list_delete_sql) / sizeof(*list_delete_sql);
	    i++) {
		if ((stmt = store_stmt(st, list_delete_sql[i])) == NULL)
			goto fail;
		if (sqlite3_bind_parameter_count(stmt) > 0)
			sqlite3_bind_int64(stmt, 1, list_id);
		if (store_step_done(st, stmt) < 0)
			goto fail;
	}
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
	sqlite3_stmt *stmt;
	int rc;

	*value_r = NULL;
	stmt = store_stmt(st, "SELECT value FROM list_settings"
	    " WHERE list_id = ?1 AND key = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*value_r = store_col_str(stmt, 0);
		sqlite3_reset(stmt);
		return 1;
	}
	return store_step_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_list_setting_set(struct store *st, int64_t list_id, const char *key,
    const char *value)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "INSERT INTO list_settings (list_id, key, value)"
	    " VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (list_id, key) DO UPDATE SET value = excluded.value");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, value, -1, SQLITE_STATIC);
	return store_step_done(st, stmt);
}

int
store_list_setting_each(struct store *st, int64_t list_id,
    int (*fn)(const char *key, const char *value, void *), void *arg)
{
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st, "SELECT key, value FROM list_settings"
	    " WHERE list_id = ?1 ORDER BY key");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		stop = fn((const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1), arg);
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, stmt, rc);
}

/* ---- roles ------------------------------------------------------- */

/* 0 added, 1 had the role already, -1 error. */
int
store_role_add(struct store *st, int64_t list_id, const char *role,
    const char *addr)
{
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];

	addr_key(addr, key);
	stmt = store_stmt(st, "INSERT INTO list_roles"
	    " (list_id, role, addr, addr_key) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT DO NOTHING");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, key, -1, SQLITE_STATIC);
	if (store_step_done(st, stmt) < 0)
		return -1;
	return sqlite3_changes(st->sq) == 0 ? 1 : 0;
}

/* 1 removed, 0 did not have the role, -1 error. */
/* A statement on one role of one address: ?1 list, ?2 role, ?3 key. */
static sqlite3_stmt *
role_key_stmt(struct store *st, const char *sql, int64_t list_id,
    const char *role, const char *addr, char key[ADDR_MAX])
{
	sqlite3_stmt *stmt;

	addr_key(addr, key);
	if ((stmt = store_stmt(st, sql)) == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, key, -1, SQLITE_STATIC);
	return stmt;
}

int
store_role_rm(struct store *st, int64_t list_id, const char *role,
    const char *addr)
{
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];

	stmt = role_key_stmt(st, "DELETE FROM list_roles"
	    " WHERE list_id = ?1 AND role = ?2 AND addr_key = ?3", list_id,
	    role, addr, key);
	if (stmt == NULL || store_step_done(st, stmt) < 0)
		return -1;
	return sqlite3_changes(st->sq) > 0 ? 1 : 0;
}

int
store_role_find(struct store *st, int64_t list_id, const char *role,
    char addr[ADDR_MAX])
{
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];
	int rc;

	stmt = role_key_stmt(st, "SELECT addr FROM list_roles WHERE"
	    " list_id = ?1 AND role = ?2 AND addr_key = ?3", list_id, role,
	    addr, key);
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		snprintf(addr, ADDR_MAX, "%s",
		    (const char *)sqlite3_column_text(stmt, 0));
	if (store_step_end(st, stmt, rc) < 0)
		return -1;
	return rc == SQLITE_ROW;
}


int
store_role_each(struct store *st, int64_t list_id, const char *role,
    int (*fn)(const char *addr, void *), void *arg)
{
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st, "SELECT addr FROM list_roles"
	    " WHERE list_id = ?1 AND role = ?2 ORDER BY addr_key");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, role, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		stop = fn((const char *)sqlite3_column_text(stmt, 0), arg);
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, stmt, rc);
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
mode_col(sqlite3_stmt *stmt, int col)
{
	enum member_mode mode = MODE_EACH;
	const char *s = (const char *)sqlite3_column_text(stmt, col);

	if (s != NULL)
		(void)member_mode_parse(s, &mode);
	return mode;
}

int
store_member_import_one(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode)
{
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];

	addr_key(addr, key);
	stmt = store_stmt(st, "INSERT INTO members"
	    " (list_id, addr, addr_key, mode, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (list_id, addr_key) DO NOTHING");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, member_mode_name(mode), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, (int64_t)time(NULL));
	if (store_step_done(st, stmt) < 0)
		return -1;
	return sqlite3_changes(st->sq) == 0 ? 1 : 0;
}

/* On a duplicate, *id_r is the id of the existing member. */
int
store_member_add(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode, int64_t *id_r)
{
	struct store_member m;
	int rc;

	rc = store_member_import_one(st, list_id, addr, mode);
	if (rc < 0 || id_r == NULL)
		return rc;
	if (rc == 0) {
		*id_r = sqlite3_last_insert_rowid(st->sq);
		return 0;
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
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];

	addr_key(addr, key);
	stmt = store_stmt(st,
	    "DELETE FROM members WHERE list_id = ?1 AND addr_key = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	if (store_step_done(st, stmt) < 0)
		return -1;
	return sqlite3_changes(st->sq) > 0 ? 1 : 0;
}

#define MEMBER_COLS	"id, list_id, addr, mode, created, moderated," \
			" digest_format, disabled"

/* Borrowed view of the current row (id, list_id, addr, mode, created,
 * moderated, digest_format). */
static void
member_view(sqlite3_stmt *stmt, struct store_member *m)
{
	m->id = sqlite3_column_int64(stmt, 0);
	m->list_id = sqlite3_column_int64(stmt, 1);
	m->addr = (char *)sqlite3_column_text(stmt, 2);
	m->mode = mode_col(stmt, 3);
	m->created = (time_t)sqlite3_column_int64(stmt, 4);
	m->moderated = sqlite3_column_int(stmt, 5);
	m->digest_plain = strcmp((const char *)sqlite3_column_text(stmt, 6),
	    "plain") == 0;
	m->disabled = (time_t)sqlite3_column_int64(stmt, 7);
}

/* Step a bound member query: 1 and m filled (addr owned), 0, or -1. */
static int
member_fetch(struct store *st, sqlite3_stmt *stmt, struct store_member *m)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		member_view(stmt, m);
		m->addr = store_col_str(stmt, 2);
		sqlite3_reset(stmt);
		return 1;
	}
	return store_step_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_member_get(struct store *st, int64_t list_id, const char *addr,
    struct store_member *m)
{
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];

	memset(m, 0, sizeof(*m));
	addr_key(addr, key);
	stmt = store_stmt(st, "SELECT " MEMBER_COLS " FROM members"
	    " WHERE list_id = ?1 AND addr_key = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	return member_fetch(st, stmt, m);
}

int
store_member_get_id(struct store *st, int64_t list_id, int64_t id,
    struct store_member *m)
{
	sqlite3_stmt *stmt;

	memset(m, 0, sizeof(*m));
	stmt = store_stmt(st, "SELECT " MEMBER_COLS " FROM members"
	    " WHERE (?1 = 0 OR list_id = ?1) AND id = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, id);
	return member_fetch(st, stmt, m);
}

int
store_member_set_moderated(struct store *st, int64_t list_id, int64_t id,
    int moderated)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "UPDATE members SET moderated = ?3"
	    " WHERE list_id = ?1 AND id = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_int64(stmt, 2, id);
	sqlite3_bind_int(stmt, 3, moderated != 0);
	return store_step_done(st, stmt);
}

/* 0 also when addr is no member (nothing to change); callers that must
 * tell the two apart call store_member_get() first. */
int
store_member_set_mode(struct store *st, int64_t list_id, const char *addr,
    enum member_mode mode)
{
	sqlite3_stmt *stmt;
	char key[ADDR_MAX];

	addr_key(addr, key);
	stmt = store_stmt(st, "UPDATE members SET mode = ?3"
	    " WHERE list_id = ?1 AND addr_key = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, member_mode_name(mode), -1, SQLITE_STATIC);
	return store_step_done(st, stmt);
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
	sqlite3_stmt *stmt;
	int rc, stop = 0;

	stmt = store_stmt(st, "SELECT " MEMBER_COLS " FROM members"
	    " WHERE list_id = ?1 ORDER BY id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		member_view(stmt, &m);
		stop = fn(&m, arg);
	}
	if (stop)
		rc = SQLITE_DONE;
	return store_step_end(st, stmt, rc);
}

/* Number of members, or -1 on error. */
int64_t
store_member_count(struct store *st, int64_t list_id)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st,
	    "SELECT count(*) FROM members WHERE list_id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, list_id);
	return step_int(st, stmt);
}

/* Highest member id of any list, 0 if none, -1 on error. */
int64_t
store_member_max_id(struct store *st)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "SELECT coalesce(max(id), 0) FROM members");
	if (stmt == NULL)
		return -1;
	return step_int(st, stmt);
}
