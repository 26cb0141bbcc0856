/*
 * db_sqlite.c — the SQLite driver of db.h, the embedded default: the
 * only file that includes sqlite3.h.
 *
 * A handle creates the file 0600 (and its directory), then sets WAL,
 * foreign keys, extended result codes, a busy handler that naps in short
 * steps and the synchronous level of its flags.  Writers use BEGIN
 * IMMEDIATE: a deferred read that later upgrades to a write fails with
 * SQLITE_BUSY whatever the busy handler (reliability.md §5.14).
 *
 * Faults: each failed call maps its extended result code to enum
 * db_fault (db_sqlite_fault()) with sqlite3_errmsg() as the message.
 * SQLite also reports every failure to one process-wide log callback, in
 * the thread that ran it (one handle per thread): the driver keeps that
 * code per thread and prefers its class when the call's own code says
 * no more than SQLITE_ERROR.  Bound text and blobs are borrowed
 * (SQLITE_STATIC) until the statement's last step or reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db_int.h"
#include "fsutil.h"
#include "log.h"

#define DB_SQLITE_BUSY_MS	5000
#define DB_SQLITE_CHECK_KB	256	/* page cache of quick_check */

static pthread_once_t	 db_sqlite_once = PTHREAD_ONCE_INIT;
static _Thread_local int db_sqlite_tls_rc;	/* last logged, this thread */
static _Thread_local struct timespec db_sqlite_busy_since;

enum db_fault
db_sqlite_fault(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DB_F_NONE;
	case SQLITE_FULL:
		return DB_F_FULL;
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
		return DB_F_BUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return DB_F_CORRUPT;
	case SQLITE_CONSTRAINT:
		return DB_F_CONSTRAINT;
	default:
		return DB_F_OTHER;
	}
}

static void
db_sqlite_log(void *arg, int rc, const char *msg)
{
	int c = rc & 0xff;

	(void)arg;
	(void)msg;
	if (c == SQLITE_OK || c == SQLITE_NOTICE || c == SQLITE_WARNING ||
	    c == SQLITE_SCHEMA)
		return;
	db_sqlite_tls_rc = rc;
}

static void
db_sqlite_init(void)
{
	sqlite3_config(SQLITE_CONFIG_LOG, db_sqlite_log, NULL);
}

/* Record the failure rc of a call on db's connection. */
static void
db_sqlite_fail(struct db *db, int rc, const char *msg)
{
	enum db_fault f = db_sqlite_fault(rc);

	if ((f == DB_F_OTHER || f == DB_F_NONE) &&
	    db_sqlite_fault(db_sqlite_tls_rc) > DB_F_NONE)
		f = db_sqlite_fault(db_sqlite_tls_rc);
	if (f == DB_F_NONE)
		f = DB_F_OTHER;
	if (msg == NULL)
		msg = db->conn != NULL ? sqlite3_errmsg(db->conn) :
		    sqlite3_errstr(rc);
	db_set_fault(db, f, msg);
}

/*
 * Busy handler: SQLite's default sleeps in steps of whole milliseconds,
 * which stalls every LMTP session behind a group commit whenever another
 * thread holds the write lock for a few microseconds.  We poll in short
 * steps instead, up to DB_SQLITE_BUSY_MS in all.
 */
static int
db_sqlite_busy(void *arg, int count)
{
	struct timespec now, nap = { 0, 50 * 1000 };
	struct timespec *since = &db_sqlite_busy_since;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		*since = now;
	else if ((now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000 > DB_SQLITE_BUSY_MS)
		return 0;
	if (count > 20)
		nap.tv_nsec = 500 * 1000;
	nanosleep(&nap, NULL);
	return 1;
}

static int
db_sqlite_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	db_sqlite_tls_rc = 0;
	rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		db_sqlite_fail(db, rc, msg);
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
db_sqlite_private(const char *path)
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

/* The pragmas of a handle opened with flags; -1 with *error_r set. */
static int
db_sqlite_setup(struct db *db, int flags, const char **error_r)
{
	sqlite3_busy_handler(db->conn, db_sqlite_busy, db);
	sqlite3_extended_result_codes(db->conn, 1);
	if (db_sqlite_exec(db, "PRAGMA foreign_keys = ON") < 0 ||
	    db_sqlite_exec(db, (flags & DB_RELAXED) ?
	    "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL") < 0) {
		*error_r = "cannot configure the database";
		return -1;
	}
	if (flags & DB_READONLY)
		return 0;
	if (db_sqlite_exec(db, "PRAGMA journal_mode = WAL") < 0) {
		*error_r = "cannot switch the database to WAL mode";
		return -1;
	}
	/* The sessions' handle must not stall on a checkpoint's fsyncs; the
	 * processor's and the workers' handles do them. */
	if ((flags & DB_NOCKPT) &&
	    db_sqlite_exec(db, "PRAGMA wal_autocheckpoint = 0") < 0) {
		*error_r = "cannot configure the database";
		return -1;
	}
	return 0;
}

static int
db_sqlite_open(struct db *db, const char *path, int flags,
    const char **error_r)
{
	sqlite3 *h = NULL;
	int oflags, rc;

	pthread_once(&db_sqlite_once, db_sqlite_init);
	oflags = (flags & DB_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	oflags |= SQLITE_OPEN_NOMUTEX;	/* one handle per thread */
	if (!(flags & DB_READONLY) && fs_mkdir_parents(path, 0750) < 0) {
		*error_r = "cannot create the database directory";
		return -1;
	}
	if (!(flags & DB_READONLY) && db_sqlite_private(path) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	rc = sqlite3_open_v2(path, &h, oflags, NULL);
	db->conn = h;
	if (rc != SQLITE_OK) {
		db_sqlite_fail(db, rc, sqlite3_errstr(rc));
		*error_r = sqlite3_errstr(rc);
		return -1;
	}
	return db_sqlite_setup(db, flags, error_r);
}

static void
db_sqlite_close(struct db *db)
{
	sqlite3_close(db->conn);
	db->conn = NULL;
}

static int
db_sqlite_prepare(struct db *db, struct db_stmt *stmt)
{
	sqlite3_stmt *s = NULL;
	int rc;

	db_sqlite_tls_rc = 0;
	rc = sqlite3_prepare_v3(db->conn, stmt->text, -1,
	    SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		db_sqlite_fail(db, rc, NULL);
		return -1;
	}
	stmt->drv = s;
	return 0;
}

static void
db_sqlite_finalize(struct db_stmt *stmt)
{
	sqlite3_finalize(stmt->drv);
	stmt->drv = NULL;
}

static void
db_sqlite_reset(struct db_stmt *stmt)
{
	sqlite3_reset(stmt->drv);
	sqlite3_clear_bindings(stmt->drv);
}

static void
db_sqlite_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	sqlite3_bind_int64(stmt->drv, idx, v);
}

static void
db_sqlite_bind_text(struct db_stmt *stmt, int idx, const char *s)
{
	sqlite3_bind_text(stmt->drv, idx, s, -1, SQLITE_STATIC);
}

static void
db_sqlite_bind_blob(struct db_stmt *stmt, int idx, const void *p,
    size_t len)
{
	sqlite3_bind_blob64(stmt->drv, idx, p, len, SQLITE_STATIC);
}

static void
db_sqlite_bind_null(struct db_stmt *stmt, int idx)
{
	sqlite3_bind_null(stmt->drv, idx);
}

static void
db_sqlite_bind_double(struct db_stmt *stmt, int idx, double v)
{
	sqlite3_bind_double(stmt->drv, idx, v);
}

static int
db_sqlite_step(struct db_stmt *stmt)
{
	int rc;

	db_sqlite_tls_rc = 0;
	rc = sqlite3_step(stmt->drv);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	db_sqlite_fail(stmt->db, rc, NULL);
	return -1;
}

static int
db_sqlite_col_is_null(struct db_stmt *stmt, int col)
{
	return sqlite3_column_type(stmt->drv, col) == SQLITE_NULL;
}

static int64_t
db_sqlite_col_int64(struct db_stmt *stmt, int col)
{
	return sqlite3_column_int64(stmt->drv, col);
}

static const char *
db_sqlite_col_text(struct db_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt->drv, col);
}

static const void *
db_sqlite_col_blob(struct db_stmt *stmt, int col, size_t *len_r)
{
	const void *p = sqlite3_column_blob(stmt->drv, col);

	*len_r = (size_t)sqlite3_column_bytes(stmt->drv, col);
	return p;
}

static double
db_sqlite_col_double(struct db_stmt *stmt, int col)
{
	return sqlite3_column_double(stmt->drv, col);
}

static int64_t
db_sqlite_changes(struct db *db)
{
	return sqlite3_changes64(db->conn);
}

static int
db_sqlite_begin(struct db *db)
{
	return db_sqlite_exec(db, "BEGIN IMMEDIATE");
}

static int
db_sqlite_begin_read(struct db *db)
{
	return db_sqlite_exec(db, "BEGIN DEFERRED");
}

static int
db_sqlite_commit(struct db *db)
{
	return db_sqlite_exec(db, "COMMIT");
}

/* A failed COMMIT may or may not leave the transaction open. */
static int
db_sqlite_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->conn))
		return 0;
	return db_sqlite_exec(db, "ROLLBACK");
}

/* BEGIN IMMEDIATE already excludes every other writer. */
static int
db_sqlite_try_lock(struct db *db, const char *name)
{
	(void)db;
	(void)name;
	return 1;
}

/* One node: a session lock is always free. */
static int
db_sqlite_lock_session(struct db *db, const char *name, int take)
{
	(void)db;
	(void)name;
	return take ? 1 : 0;
}

static int64_t
db_sqlite_data_version(struct db *db)
{
	struct db_stmt *s = db_prepare(db, "PRAGMA data_version");
	int64_t v = -1;

	if (s == NULL)
		return -1;
	if (db_step(s) == DB_ROW)
		v = db_col_int64(s, 0);
	db_reset(s);
	return v;
}

/*
 * SQLite 3.40.0 to 3.41.0 (Debian 12 ships 3.40.1) report "NULL value in
 * T.C" for NOT NULL columns of WITHOUT ROWID tables whose primary key
 * order differs from the column order, on sound files: such a line is no
 * damage there.  A damaged page shows in the b-tree lines anyway.
 */
static int
db_sqlite_false_alarm(const char *line)
{
	int v = sqlite3_libversion_number();

	return v >= 3040000 && v < 3041001 &&
	    strncmp(line, "NULL value in ", 14) == 0;
}

/* Set PRAGMA cache_size (pages, or KiB when negative, as SQLite's own
 * default -2000); returns the value it had. */
static int
db_sqlite_cache_size(struct db *db, int size)
{
	sqlite3_stmt *s;
	char sql[64];
	int old = -2000;

	if (sqlite3_prepare_v2(db->conn, "PRAGMA cache_size", -1, &s,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			old = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", size);
	(void)sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
	return old;
}

/* Every page passes once: through a small cache, so that the check does
 * not raise the daemon's peak memory by the whole cache. */
static int
db_sqlite_check(struct db *db, struct buf *report)
{
	sqlite3_stmt *s = NULL;
	const char *line;
	int rc, bad = 0, cache;

	cache = db_sqlite_cache_size(db, -DB_SQLITE_CHECK_KB);
	rc = sqlite3_prepare_v2(db->conn, "PRAGMA quick_check(20)", -1, &s,
	    NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			break;
		line = (const char *)sqlite3_column_text(s, 0);
		if (line != NULL && strcmp(line, "ok") != 0 &&
		    !db_sqlite_false_alarm(line))
			buf_printf(report, "%s%s", bad++ ? "; " : "", line);
	}
	if (rc != SQLITE_DONE) {
		buf_printf(report, "%s%s", bad ? "; " : "",
		    sqlite3_errmsg(db->conn));
		if (db_sqlite_fault(rc) == DB_F_CORRUPT)
			bad++;
		else
			bad = -1;
	}
	sqlite3_finalize(s);
	(void)db_sqlite_cache_size(db, cache);
	sqlite3_db_release_memory(db->conn);
	return bad > 0 ? 1 : bad;
}

static int
db_sqlite_schema_version(struct db *db, int *v_r)
{
	sqlite3_stmt *s;
	int rc;

	*v_r = -1;
	db_sqlite_tls_rc = 0;
	rc = sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		db_sqlite_fail(db, rc, NULL);
		return -1;
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*v_r = sqlite3_column_int(s, 0);
	else
		db_sqlite_fail(db, rc, NULL);
	sqlite3_finalize(s);
	return *v_r < 0 ? -1 : 0;
}

static int
db_sqlite_set_schema_version(struct db *db, int v)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	return db_sqlite_exec(db, sql);
}

const struct db_driver db_driver_sqlite = {
	.name = "sqlite",
	.engine = DB_SQLITE,
	.open = db_sqlite_open,
	.close = db_sqlite_close,
	.prepare = db_sqlite_prepare,
	.finalize = db_sqlite_finalize,
	.reset = db_sqlite_reset,
	.bind_int64 = db_sqlite_bind_int64,
	.bind_text = db_sqlite_bind_text,
	.bind_blob = db_sqlite_bind_blob,
	.bind_null = db_sqlite_bind_null,
	.bind_double = db_sqlite_bind_double,
	.step = db_sqlite_step,
	.col_is_null = db_sqlite_col_is_null,
	.col_int64 = db_sqlite_col_int64,
	.col_text = db_sqlite_col_text,
	.col_blob = db_sqlite_col_blob,
	.col_double = db_sqlite_col_double,
	.changes = db_sqlite_changes,
	.exec = db_sqlite_exec,
	.begin = db_sqlite_begin,
	.begin_read = db_sqlite_begin_read,
	.commit = db_sqlite_commit,
	.rollback = db_sqlite_rollback,
	.try_lock = db_sqlite_try_lock,
	.lock_session = db_sqlite_lock_session,
	.data_version = db_sqlite_data_version,
	.check = db_sqlite_check,
	.schema_version = db_sqlite_schema_version,
	.set_schema_version = db_sqlite_set_schema_version,
	.for_update_skip_locked = "",
	.for_update = "",
};
