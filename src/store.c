/*
 * store.c — opening the database, transactions, the statement cache.
 *
 * Every handle sets WAL, foreign keys, a busy timeout and its synchronous
 * level, then runs the migrations (store_schema.c) in one transaction.
 * Writers use BEGIN IMMEDIATE: a deferred read that later upgrades to a
 * write fails with SQLITE_BUSY whatever the busy timeout
 * (reliability.md §5.14).
 *
 * Faults: SQLite reports every failed statement to one process-wide log
 * callback, in the thread that ran it (one handle per thread).  It keeps
 * the last code per thread, for store_fault(), and a page error (CORRUPT,
 * NOTADB) marks the database damaged for the whole process, logged once:
 * the server then refuses new mail (store_damaged()).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
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
#define STORE_CHECK_CACHE_KB	256	/* page cache of quick_check */

static pthread_once_t	 store_once = PTHREAD_ONCE_INIT;
static _Thread_local int store_tls_rc;		/* last error in this thread */
static _Thread_local int store_tls_checking;	/* inside store_check() */
static atomic_int	 store_damaged_flag;
static pthread_mutex_t	 store_path_lock = PTHREAD_MUTEX_INITIALIZER;
static char		 store_damaged_path[1024];	/* the file opened */

enum store_fault
store_rc_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return STORE_F_NONE;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
		return STORE_F_TEMP;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_F_CORRUPT;
	default:
		return STORE_F_PERM;
	}
}

static void
store_log_cb(void *arg, int rc, const char *msg)
{
	char path[sizeof(store_damaged_path)];
	int c = rc & 0xff;

	(void)arg;
	if (c == SQLITE_OK || c == SQLITE_NOTICE || c == SQLITE_WARNING ||
	    c == SQLITE_SCHEMA)
		return;
	store_tls_rc = rc;
	if (store_rc_class(rc) != STORE_F_CORRUPT || store_tls_checking ||
	    atomic_exchange(&store_damaged_flag, 1) != 0)
		return;
	pthread_mutex_lock(&store_path_lock);
	memcpy(path, store_damaged_path, sizeof(path));
	pthread_mutex_unlock(&store_path_lock);
	log_warnx("store: %s: DATABASE DAMAGED: %s; new mail is refused with"
	    " 4xx and work stops until it is repaired (e.g. sqlite3 .recover)"
	    " and postino restarted", path, msg);
}

static void
store_init_once(void)
{
	sqlite3_config(SQLITE_CONFIG_LOG, store_log_cb, NULL);
}

int
store_damaged(void)
{
	return atomic_load(&store_damaged_flag);
}

enum store_fault
store_fault(const struct store *st)
{
	enum store_fault a = store_rc_class(st->last_rc);
	enum store_fault b = store_rc_class(store_tls_rc);

	return a > b ? a : b;
}

const char *
store_fault_str(const struct store *st)
{
	int rc = store_rc_class(st->last_rc) >= store_rc_class(store_tls_rc) ?
	    st->last_rc : store_tls_rc;

	return sqlite3_errstr(rc);
}

void
store_fault_clear(struct store *st)
{
	st->last_rc = 0;
	store_tls_rc = 0;
}

/*
 * SQLite 3.40.0 to 3.41.0 (Debian 12 ships 3.40.1) report "NULL value in
 * T.C" for NOT NULL columns of WITHOUT ROWID tables whose primary key
 * order differs from the column order, on sound files: such a line is no
 * damage there.  A damaged page shows in the b-tree lines anyway.
 */
static int
check_false_alarm(const char *line)
{
	int v = sqlite3_libversion_number();

	return v >= 3040000 && v < 3041001 &&
	    strncmp(line, "NULL value in ", 14) == 0;
}

/* Set PRAGMA cache_size of st (pages, or KiB when negative, as SQLite's
 * own default -2000); returns the value it had. */
static int
store_cache_size(struct store *st, int size)
{
	sqlite3_stmt *s;
	char sql[64];
	int old = -2000;

	if (sqlite3_prepare_v2(st->db, "PRAGMA cache_size", -1, &s,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			old = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", size);
	(void)sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return old;
}

int
store_check(struct store *st, struct buf *report)
{
	sqlite3_stmt *s = NULL;
	const char *line;
	int rc, bad = 0, cache;

	/* Every page passes once: through a small cache, so that the check
	 * does not raise the daemon's peak memory by the whole cache. */
	cache = store_cache_size(st, -STORE_CHECK_CACHE_KB);
	store_tls_checking = 1;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check(20)", -1, &s,
	    NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			break;
		line = (const char *)sqlite3_column_text(s, 0);
		if (line != NULL && strcmp(line, "ok") != 0 &&
		    !check_false_alarm(line))
			buf_printf(report, "%s%s", bad++ ? "; " : "", line);
	}
	if (rc != SQLITE_DONE) {
		buf_printf(report, "%s%s", bad ? "; " : "",
		    sqlite3_errmsg(st->db));
		if (store_rc_class(rc) == STORE_F_CORRUPT)
			bad++;
		else
			bad = -1;
	}
	sqlite3_finalize(s);
	store_tls_checking = 0;
	(void)store_cache_size(st, cache);
	sqlite3_db_release_memory(st->db);
	return bad > 0 ? 1 : bad;
}

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

/*
 * Whether a failure with rc should be logged only at debug level: a
 * temporary error repeats at every retry of its caller, which says once
 * that it waits, and a page error was announced once already.  The next
 * successful commit on the handle ends the episode.
 */
static int
store_quiet(struct store *st, int rc)
{
	switch (store_rc_class(rc)) {
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

static int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		st->last_rc = rc;
		(store_quiet(st, rc) ? log_debug : log_warnx)("store: %s: %s",
		    sql, msg ? msg : sqlite3_errstr(rc));
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
	pthread_once(&store_once, store_init_once);
	pthread_mutex_lock(&store_path_lock);
	snprintf(store_damaged_path, sizeof(store_damaged_path), "%s", path);
	pthread_mutex_unlock(&store_path_lock);
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
		st->last_rc = rc;
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
		(store_quiet(st, rc) ? log_debug : log_warnx)("store: prepare:"
		    " %s: %s", sqlite3_errmsg(st->db), sql);
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
	(store_quiet(st, rc) ? log_debug : log_warnx)("store: %s: %s", what,
	    sqlite3_errmsg(st->db));
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
	store_fault_clear(st);
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
	st->temp_logged = 0;
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
