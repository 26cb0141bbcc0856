/*
 * store.c — opening the database, transactions, the statement cache.
 *
 * Every handle sets WAL, foreign keys, a busy timeout and its synchronous
 * level, then runs the migrations (store_schema.c) in one transaction.
 * Writers use BEGIN IMMEDIATE: a deferred read that later upgrades to a
 * write fails with SQLITE_BUSY whatever the busy timeout
 * (reliability.md §5.14).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "store_int.h"

#define STORE_BUSY_MS	5000

/*
 * Busy handler: SQLite's default sleeps in steps of whole milliseconds,
 * which stalls every LMTP session behind a group commit whenever another
 * thread holds the write lock for a few microseconds.  We poll in short
 * steps instead, up to STORE_BUSY_MS in all.
 */
static int
store_busy(void *arg, int count)
{
	struct store *st = arg;
	struct timespec now, nap = { 0, 50 * 1000 };

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		st->busy_since = now;
	else if ((now.tv_sec - st->busy_since.tv_sec) * 1000 +
	    (now.tv_nsec - st->busy_since.tv_nsec) / 1000000 > STORE_BUSY_MS)
		return 0;
	if (count > 20)
		nap.tv_nsec = 500 * 1000;
	nanosleep(&nap, NULL);
	return 1;
}

static int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		st->last_rc = rc;
		log_warnx("store: %s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * The database holds member addresses and held posts: create it 0600,
 * whatever the umask, before SQLite does (SQLite gives its -wal and -shm
 * files the database's mode), and take away what others may do with one
 * that exists.  Group read stays allowed (0640) for an admin group.
 */
static int
store_file_private(const char *path)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd >= 0)
		return close(fd);
	if (errno != EEXIST)
		return -1;
	if (stat(path, &sb) < 0)
		return -1;
	if (S_ISREG(sb.st_mode) && (sb.st_mode & 0027) != 0) {
		log_warnx("store: %s: mode %04o lets others read member"
		    " addresses; changing it to %04o", path,
		    (unsigned)(sb.st_mode & 07777),
		    (unsigned)(sb.st_mode & 07750));
		if (chmod(path, sb.st_mode & 07750) < 0)
			return -1;
	}
	return 0;
}

int
store_open(const char *path, int flags, struct store **st_r,
    const char **error_r)
{
	struct store *st;
	int oflags, rc;

	*st_r = NULL;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	oflags |= SQLITE_OPEN_NOMUTEX;	/* one handle per thread */
	if (!(flags & STORE_READONLY) && fs_mkdir_parents(path, 0750) < 0) {
		*error_r = "cannot create the database directory";
		goto fail;
	}
	if (!(flags & STORE_READONLY) && store_file_private(path) < 0) {
		*error_r = strerror(errno);
		goto fail;
	}
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		*error_r = sqlite3_errstr(rc);
		goto fail;
	}
	sqlite3_busy_handler(st->db, store_busy, st);
	sqlite3_extended_result_codes(st->db, 1);
	if (store_exec(st, "PRAGMA foreign_keys = ON") < 0 ||
	    store_exec(st, (flags & STORE_RELAXED) ?
	    "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL") < 0) {
		*error_r = "cannot configure the database";
		goto fail;
	}
	if (!(flags & STORE_READONLY)) {
		if (store_exec(st, "PRAGMA journal_mode = WAL") < 0) {
			*error_r = "cannot switch the database to WAL mode";
			goto fail;
		}
		if (store_migrate(st, error_r) < 0)
			goto fail;
		/* The sessions' handle must not stall on a checkpoint's
		 * fsyncs; the processor's and the workers' handles do them. */
		if ((flags & STORE_NOCKPT) &&
		    store_exec(st, "PRAGMA wal_autocheckpoint = 0") < 0) {
			*error_r = "cannot configure the database";
			goto fail;
		}
	}
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
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
	*stp = NULL;
}

sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	size_t i;
	int rc;

	for (i = 0; i < st->nstmts; i++) {
		if (st->stmts[i].sql == sql) {
			stmt = st->stmts[i].stmt;
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return stmt;
		}
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &stmt, NULL);
	if (rc != SQLITE_OK) {
		st->last_rc = rc;
		log_warnx("store: prepare: %s: %s", sqlite3_errmsg(st->db), sql);
		return NULL;
	}
	if (st->nstmts == STORE_STMT_MAX)
		fatalx("store: statement cache full");
	st->stmts[st->nstmts].sql = sql;
	st->stmts[st->nstmts].stmt = stmt;
	st->nstmts++;
	return stmt;
}

void
store_fail(struct store *st, const char *what, int rc)
{
	st->last_rc = rc;
	log_warnx("store: %s: %s", what, sqlite3_errmsg(st->db));
}

int
store_step_done(struct store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, sqlite3_sql(stmt), rc);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

int
store_step_end(struct store *st, sqlite3_stmt *stmt, int rc)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, sqlite3_sql(stmt), rc);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

char *
store_col_str(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return xstrdup(s != NULL ? (const char *)s : "");
}

int
store_begin(struct store *st)
{
	if (store_exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	st->in_txn = 1;
	return 0;
}

int
store_commit(struct store *st)
{
	int rc = store_exec(st, "COMMIT");

	if (rc < 0) {
		/* A failed COMMIT may leave the transaction open. */
		if (!sqlite3_get_autocommit(st->db))
			store_rollback(st);
		return -1;
	}
	st->in_txn = 0;
	return 0;
}

void
store_rollback(struct store *st)
{
	int saved = st->last_rc;

	if (!sqlite3_get_autocommit(st->db))
		(void)store_exec(st, "ROLLBACK");
	st->in_txn = 0;
	st->last_rc = saved;
}

int
store_error_full(const struct store *st)
{
	return (st->last_rc & 0xff) == SQLITE_FULL;
}

int64_t
store_data_version(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, "PRAGMA data_version");
	int64_t v = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}

const char *
store_errmsg(const struct store *st)
{
	return sqlite3_errmsg(st->db);
}
