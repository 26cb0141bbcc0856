/*
 * db.h — one small SQL API over two engines, after Dovecot's lib-sql:
 * SQLite (db_sqlite.c, the embedded default) and PostgreSQL
 * (db_pgsql.c, on libpq).  Only the store_*.c modules use it; only the
 * drivers include an engine's header.
 *
 * SQL is written once, in the dialect both engines accept:
 *   - placeholders are numbered, ?1 ?2 ... (the PostgreSQL driver turns
 *     them into $1 $2 ...; a ?N inside a quoted literal is left alone);
 *   - new ids come back with RETURNING id, never last_insert_rowid();
 *   - INSERT ... ON CONFLICT (cols) DO NOTHING / DO UPDATE, not
 *     INSERT OR IGNORE / OR REPLACE; coalesce(), not ifnull();
 *   - times are integers (Unix seconds) computed by the caller;
 *   - a few words that exist in one engine only are written as markers
 *     that the driver expands: {FOR_UPDATE_SKIP_LOCKED} and
 *     {FOR_UPDATE} (PostgreSQL: "FOR UPDATE SKIP LOCKED", "FOR UPDATE";
 *     SQLite: "", its writers being serialised by BEGIN IMMEDIATE
 *     anyway).
 * DDL differs (types, identity columns): each engine has its own list of
 * migrations, with the same numbering.
 *
 * Statements are prepared once per handle and cached by the address of
 * their SQL text (a string literal): db_prepare() of the same literal
 * returns the cached statement, reset and with its bindings cleared.
 *
 * Errors: functions return -1 and leave the fault's class and the
 * engine's message on the handle (db_fault(), db_errmsg()); the caller
 * (the store) decides what to log.  Each thread opens its own handle.
 */
#ifndef POSTINO_DB_H
#define POSTINO_DB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct db;
struct db_stmt;

/* Open flags. */
#define DB_DURABLE	0x01	/* a commit is on disk when it returns */
#define DB_RELAXED	0x02	/* a commit survives a crash of the process */
#define DB_READONLY	0x04
#define DB_NOCKPT	0x08	/* SQLite: leave WAL checkpoints to others */

/* db_step() results. */
#define DB_DONE		0
#define DB_ROW		1

/* What went wrong, as a caller must react to it. */
enum db_fault {
	DB_F_NONE = 0,
	DB_F_BUSY,		/* locked or busy: retry later */
	DB_F_FULL,		/* disk or quota full: wait */
	DB_F_CONSTRAINT,	/* unique, foreign key, check */
	DB_F_CORRUPT,		/* damaged database: stop */
	DB_F_CONN,		/* connection lost (PostgreSQL): reconnect */
	DB_F_OTHER		/* a bug (bad SQL, misuse) or anything else */
};

enum db_engine {
	DB_SQLITE,
	DB_PGSQL
};

/*
 * Open "postgresql://..." or "postgres://..." (libpq URI) with the
 * PostgreSQL driver, anything else as a SQLite file path.  On error
 * *error_r is set to a static or handle-independent message.
 */
int		 db_open(const char *uri, int flags, struct db **db_r,
		    const char **error_r);
void		 db_close(struct db **);
enum db_engine	 db_engine(const struct db *);
const char	*db_uri(const struct db *);

/* Statements: prepare (cached), bind (1-based), step, columns (0-based). */
struct db_stmt	*db_prepare(struct db *, const char *sql);
void		 db_bind_int64(struct db_stmt *, int idx, int64_t);
void		 db_bind_text(struct db_stmt *, int idx, const char *);
void		 db_bind_blob(struct db_stmt *, int idx, const void *,
		    size_t);
void		 db_bind_null(struct db_stmt *, int idx);
void		 db_bind_double(struct db_stmt *, int idx, double);
/* DB_ROW, DB_DONE, or -1 (fault on the handle; the statement is reset). */
int		 db_step(struct db_stmt *);
void		 db_reset(struct db_stmt *);
int		 db_col_is_null(struct db_stmt *, int col);
int64_t		 db_col_int64(struct db_stmt *, int col);
/* Borrowed until the next step or reset; NULL for SQL NULL. */
const char	*db_col_text(struct db_stmt *, int col);
const void	*db_col_blob(struct db_stmt *, int col, size_t *len_r);
double		 db_col_double(struct db_stmt *, int col);
/* Rows changed by the last INSERT, UPDATE or DELETE on this handle. */
int64_t		 db_changes(struct db *);
const char	*db_stmt_sql(const struct db_stmt *);

/*
 * Bind by format, one argument per letter, from ?1 on:
 *   i int64_t   d int   t const char * (NULL binds NULL)
 *   b const void *, size_t   n nothing (binds NULL)   f double
 * and read the current row by format, one pointer per letter, from col 0:
 *   i int64_t *   d int *   t const char ** (borrowed)
 *   T char ** (malloc'd copy, "" for NULL)   b const void **, size_t *
 *   f double *   _ skip a column
 * Bound text and blobs are borrowed until the statement's last step or
 * reset.  The number of letters must be the highest ?N of the SQL, else
 * db_bindf fails (DB_F_OTHER).
 */
int		 db_bindf(struct db_stmt *, const char *fmt, ...);
int		 db_vbindf(struct db_stmt *, const char *fmt, va_list);
void		 db_getf(struct db_stmt *, const char *fmt, ...);

/* Prepare sql, bind fmt, step to the end: rows changed, or -1. */
int64_t		 db_run(struct db *, const char *sql, const char *fmt, ...);
/* Prepare and bind; the caller steps: NULL on error. */
struct db_stmt	*db_query(struct db *, const char *sql, const char *fmt,
		    ...);
/* Run several statements without parameters (DDL, pragmas). */
int		 db_exec(struct db *, const char *sql);

/*
 * Transactions.  db_begin() takes the write lock at once (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: BEGIN), so a transaction never fails half way
 * for want of it.  A failed COMMIT rolls back.
 */
int		 db_begin(struct db *);
/*
 * Around a run of queries that only read: on SQLite one read transaction
 * (BEGIN DEFERRED ... COMMIT) instead of one per query, each of which
 * looks at the WAL index and takes and drops its locks; it takes no
 * write lock and blocks no writer.  On PostgreSQL nothing: a BEGIN would
 * add round trips and each query reads a fresh snapshot anyway.  No
 * write may happen in between.  db_end_read() cannot fail.
 */
int		 db_begin_read(struct db *);
void		 db_end_read(struct db *);
int		 db_commit(struct db *);
void		 db_rollback(struct db *);
int		 db_in_txn(const struct db *);

/*
 * Once-for-the-cluster work: try to take the named lock for the
 * duration of the current transaction (PostgreSQL: an advisory
 * transaction lock on a hash of the name; SQLite: always 1, BEGIN
 * IMMEDIATE already excludes every other writer).  1 taken, 0 held by
 * another node, -1 error.
 */
int		 db_try_lock(struct db *, const char *name);

/*
 * The same named lock held by the handle's session, across its
 * transactions, until db_unlock_session() or the connection's end: a
 * periodic task of several transactions runs on one node at a time
 * (PostgreSQL: pg_try_advisory_lock, same keys as db_try_lock; SQLite:
 * always 1, one node).  1 taken, 0 held by another node, -1 error.
 */
int		 db_lock_session(struct db *, const char *name);
void		 db_unlock_session(struct db *, const char *name);

/*
 * A number that changes whenever another handle commits a change
 * (SQLite: PRAGMA data_version; PostgreSQL: a counter the driver bumps
 * on NOTIFY postino_changed, which db_commit sends after a write).
 */
int64_t		 db_data_version(struct db *);

enum db_fault	 db_fault(const struct db *);
const char	*db_errmsg(const struct db *);
void		 db_fault_clear(struct db *);

/*
 * Called after every failure on the handle (prepare, step, exec, begin,
 * commit, try_lock), with the SQL that failed (the caller's text, or
 * "BEGIN", "COMMIT"), the fault and the engine's message: the store logs
 * there, once for all its statements.  fn NULL removes the hook.
 */
typedef void	 db_fault_fn(void *arg, const char *what, enum db_fault,
		    const char *msg);
void		 db_set_fault_hook(struct db *, db_fault_fn *fn, void *arg);

/*
 * The number of migrations applied to the schema (SQLite: PRAGMA
 * user_version; PostgreSQL: the driver's own one-row table), 0 for a new
 * database; set it inside the migrating transaction.  0 or -1.
 */
int		 db_schema_version(struct db *, int *v_r);
int		 db_set_schema_version(struct db *, int v);

/*
 * Check the database's pages (SQLite: PRAGMA quick_check through a small
 * page cache, then memory released; PostgreSQL: nothing to check, 0).
 * 0 sound, 1 damaged (what is wrong appended to report), -1 the check
 * itself failed (the reason appended to report).
 */
int		 db_check(struct db *, struct buf *report);

#endif
