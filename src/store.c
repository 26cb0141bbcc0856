/*
 * store.c — opening the database, transactions, fault classes.
 *
 * The engine is behind db.h: store_open() opens the database through
 * db_open() (db_sqlite.c sets WAL, foreign keys, the busy handler and
 * the synchronous level), then runs the migrations (store_schema.c) in
 * one transaction.  Writers take the write lock at once (db_begin()).
 *
 * Faults: every failure on a handle reaches store_fault_hook(), which
 * logs it (a temporary one once per episode) and, for a damaged page
 * (DB_F_CORRUPT), marks the database damaged for the whole process,
 * logged once: the server then refuses new mail (store_damaged()).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "store_int.h"

static atomic_int	 store_damaged_flag;

/* The store's class of a db fault. */
static enum store_fault
store_class(enum db_fault f)
{
	switch (f) {
	case DB_F_NONE:
		return STORE_F_NONE;
	case DB_F_BUSY:
	case DB_F_FULL:
	case DB_F_CONN:
		return STORE_F_TEMP;
	case DB_F_CORRUPT:
		return STORE_F_CORRUPT;
	default:
		return STORE_F_PERM;
	}
}

int
store_damaged(void)
{
	return atomic_load(&store_damaged_flag);
}

enum store_fault
store_fault(const struct store *st)
{
	return store_class(db_fault(st->db));
}

const char *
store_fault_str(const struct store *st)
{
	return db_errmsg(st->db);
}

void
store_fault_clear(struct store *st)
{
	db_fault_clear(st->db);
}

/*
 * Whether a failure of class f should be logged only at debug level: a
 * temporary error repeats at every retry of its caller, which says once
 * that it waits, and a page error was announced once already.  The next
 * successful commit on the handle ends the episode.
 */
static int
store_quiet(struct store *st, enum store_fault f)
{
	switch (f) {
	case STORE_F_CORRUPT:
		return store_damaged();
	case STORE_F_TEMP:
		if (st->temp_logged)
			return 1;
		st->temp_logged = 1;
		return 0;
	default:
		return 0;
	}
}

/* Every failure on the handle: log it, and note a damaged database. */
static void
store_fault_hook(void *arg, const char *what, enum db_fault fault,
    const char *msg)
{
	struct store *st = arg;
	enum store_fault f = store_class(fault);

	(store_quiet(st, f) ? log_debug : log_warnx)("store: %s: %s", what,
	    msg);
	if (f != STORE_F_CORRUPT || st->checking ||
	    atomic_exchange(&store_damaged_flag, 1) != 0)
		return;
	log_warnx("store: %s: DATABASE DAMAGED: %s; new mail is refused with"
	    " 4xx and work stops until it is repaired (e.g. sqlite3 .recover)"
	    " and postino restarted", st->path, msg);
}

int
store_check(struct store *st, struct buf *report)
{
	int rc;

	st->checking = 1;
	rc = db_check(st->db, report);
	st->checking = 0;
	return rc;
}

int
store_open(const char *path, int flags, struct store **st_r,
    const char **error_r)
{
	struct store *st;
	int dflags = 0;

	*st_r = NULL;
	if (flags & STORE_DURABLE)
		dflags |= DB_DURABLE;
	if (flags & STORE_RELAXED)
		dflags |= DB_RELAXED;
	if (flags & STORE_READONLY)
		dflags |= DB_READONLY;
	if (flags & STORE_NOCKPT)
		dflags |= DB_NOCKPT;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	if (db_open(path, dflags, &st->db, error_r) < 0)
		goto fail;
	db_set_fault_hook(st->db, store_fault_hook, st);
	if (!(flags & STORE_READONLY) && store_migrate(st, error_r) < 0)
		goto fail;
	*st_r = st;
	return 0;
fail:
	store_close(&st);
	return -1;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;
	if (st == NULL)
		return;
	db_close(&st->db);
	free(st->path);
	free(st);
	*stp = NULL;
}

int
store_end(struct db_stmt *stmt, int rc)
{
	db_reset(stmt);
	return rc < 0 ? -1 : 0;
}

/* The one integer a statement returns first (RETURNING id), the
 * statement then run to its end; 0 when there was no row, -1 error. */
int
store_first_row(struct db_stmt *stmt)
{
	int rc;

	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW)
		return 1;
	return store_end(stmt, rc);
}

int64_t
store_returned_id(struct db_stmt *stmt)
{
	int64_t id = 0;
	int rc;

	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) == DB_ROW) {
		id = db_col_int64(stmt, 0);
		while ((rc = db_step(stmt)) == DB_ROW)
			;
	}
	if (rc < 0)
		return -1;
	db_reset(stmt);
	return id;
}

char *
store_col_str(struct db_stmt *stmt, int col)
{
	const char *s = db_col_text(stmt, col);

	return xstrdup(s != NULL ? s : "");
}

int
store_begin(struct store *st)
{
	return db_begin(st->db);
}

int
store_begin_read(struct store *st)
{
	return db_begin_read(st->db);
}

void
store_end_read(struct store *st)
{
	db_end_read(st->db);
}

int
store_commit(struct store *st)
{
	if (db_commit(st->db) < 0)
		return -1;
	st->temp_logged = 0;
	return 0;
}

void
store_rollback(struct store *st)
{
	db_rollback(st->db);
}

int
store_error_full(const struct store *st)
{
	return db_fault(st->db) == DB_F_FULL;
}

int64_t
store_data_version(struct store *st)
{
	return db_data_version(st->db);
}

const char *
store_errmsg(const struct store *st)
{
	return db_errmsg(st->db);
}
