/*
 * db.c — the front of the SQL API (db.h): the choice of the driver from
 * the URI, the statement cache keyed by the address of the SQL literal,
 * the expansion of engine markers, the format binders and readers, and
 * the fault bookkeeping.  Everything that talks to an engine is in its
 * driver (db_sqlite.c, db_pgsql.c) behind struct db_driver.
 *
 * Failures: every function that fails leaves the fault's class and the
 * engine's message on the handle and calls the handle's fault hook, if
 * any, with the SQL that failed; a full statement cache is a bug
 * (fatalx), as are unknown format letters (DB_F_OTHER).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_int.h"
#include "log.h"

/* The PostgreSQL driver is linked when the Makefile defines HAVE_PGSQL. */
static const struct db_driver *
db_driver_for(const char *uri)
{
	if (strncmp(uri, "postgresql://", 13) == 0 ||
	    strncmp(uri, "postgres://", 11) == 0) {
#ifdef HAVE_PGSQL
		return &db_driver_pgsql;
#else
		return NULL;
#endif
	}
	return &db_driver_sqlite;
}

int
db_open(const char *uri, int flags, struct db **db_r, const char **error_r)
{
	const struct db_driver *drv;
	struct db *db;

	*db_r = NULL;
	if ((drv = db_driver_for(uri)) == NULL) {
		*error_r = "PostgreSQL support not built";
		return -1;
	}
	db = xcalloc(1, sizeof(*db));
	db->drv = drv;
	db->uri = xstrdup(uri);
	db->flags = flags;
	if (drv->open(db, uri, flags, error_r) < 0) {
		db_close(&db);
		return -1;
	}
	*db_r = db;
	return 0;
}

void
db_close(struct db **dbp)
{
	struct db *db = *dbp;
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++) {
		if (db->stmts[i].drv != NULL)
			db->drv->finalize(&db->stmts[i]);
		free(db->stmts[i].text);
	}
	if (db->conn != NULL)
		db->drv->close(db);
	free(db->uri);
	free(db);
	*dbp = NULL;
}

enum db_engine
db_engine(const struct db *db)
{
	return db->drv->engine;
}

const char *
db_uri(const struct db *db)
{
	return db->uri;
}

void
db_set_fault(struct db *db, enum db_fault fault, const char *msg)
{
	db->fault = fault;
	snprintf(db->errmsg, sizeof(db->errmsg), "%s",
	    msg != NULL ? msg : "unknown error");
}

void
db_set_fault_hook(struct db *db, db_fault_fn *fn, void *arg)
{
	db->hook = fn;
	db->hook_arg = arg;
}

/* After a driver call on what (SQL text) failed: tell the hook. */
static void
db_failed(struct db *db, const char *what)
{
	if (db->fault == DB_F_NONE)
		db_set_fault(db, DB_F_OTHER, NULL);
	if (db->hook != NULL)
		db->hook(db->hook_arg, what, db->fault, db->errmsg);
}

enum db_fault
db_fault(const struct db *db)
{
	return db->fault;
}

const char *
db_errmsg(const struct db *db)
{
	return db->fault != DB_F_NONE ? db->errmsg : "not an error";
}

void
db_fault_clear(struct db *db)
{
	db->fault = DB_F_NONE;
	db->errmsg[0] = '\0';
}

/*
 * The engine's text of sql: each {MARKER} replaced by the driver's
 * expansion.  Malloc'd.  An unknown marker is left as it is (the engine
 * then rejects the statement).
 */
static char *
db_expand(const struct db_driver *drv, const char *sql)
{
	const struct {
		const char	*marker;
		const char	*text;
	} m[] = {
		{ "{FOR_UPDATE_SKIP_LOCKED}", drv->for_update_skip_locked },
		{ "{FOR_UPDATE}", drv->for_update },
	};
	struct buf b;
	const char *p;
	size_t i, n;

	if (strchr(sql, '{') == NULL)
		return xstrdup(sql);
	buf_init(&b);
	for (p = sql; *p != '\0'; p++) {
		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
			n = strlen(m[i].marker);
			if (strncmp(p, m[i].marker, n) == 0)
				break;
		}
		if (i == sizeof(m) / sizeof(m[0])) {
			buf_putc(&b, *p);
			continue;
		}
		buf_puts(&b, m[i].text);
		p += n - 1;
	}
	return b.data != NULL ? b.data : xstrdup("");
}

/* The highest ?N of sql outside quoted literals and identifiers. */
static int
db_nparams(const char *sql)
{
	const char *p;
	char quote = 0;
	long n, max = 0;

	for (p = sql; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
			n = strtol(p + 1, (char **)&p, 10);
			p--;
			if (n > max)
				max = n;
		}
	}
	return (int)max;
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *stmt;
	size_t i;

	for (i = 0; i < db->nstmts; i++) {
		if (db->stmts[i].sql == sql) {
			db->drv->reset(&db->stmts[i]);
			return &db->stmts[i];
		}
	}
	if (db->nstmts == DB_STMT_MAX)
		fatalx("db: statement cache full");
	stmt = &db->stmts[db->nstmts];
	memset(stmt, 0, sizeof(*stmt));
	stmt->db = db;
	stmt->sql = sql;
	stmt->text = db_expand(db->drv, sql);
	stmt->nparams = db_nparams(sql);
	if (db->drv->prepare(db, stmt) < 0) {
		free(stmt->text);
		memset(stmt, 0, sizeof(*stmt));
		db_failed(db, sql);
		return NULL;
	}
	db->nstmts++;
	return stmt;
}

void
db_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
	stmt->db->drv->bind_int64(stmt, idx, v);
}

void
db_bind_text(struct db_stmt *stmt, int idx, const char *s)
{
	if (s == NULL)
		stmt->db->drv->bind_null(stmt, idx);
	else
		stmt->db->drv->bind_text(stmt, idx, s);
}

void
db_bind_blob(struct db_stmt *stmt, int idx, const void *p, size_t len)
{
	stmt->db->drv->bind_blob(stmt, idx, p, len);
}

void
db_bind_null(struct db_stmt *stmt, int idx)
{
	stmt->db->drv->bind_null(stmt, idx);
}

void
db_bind_double(struct db_stmt *stmt, int idx, double v)
{
	stmt->db->drv->bind_double(stmt, idx, v);
}

int
db_step(struct db_stmt *stmt)
{
	int rc = stmt->db->drv->step(stmt);

	if (rc < 0) {
		stmt->db->drv->reset(stmt);
		db_failed(stmt->db, stmt->sql);
	}
	return rc;
}

void
db_reset(struct db_stmt *stmt)
{
	stmt->db->drv->reset(stmt);
}

int
db_col_is_null(struct db_stmt *stmt, int col)
{
	return stmt->db->drv->col_is_null(stmt, col);
}

int64_t
db_col_int64(struct db_stmt *stmt, int col)
{
	return stmt->db->drv->col_int64(stmt, col);
}

const char *
db_col_text(struct db_stmt *stmt, int col)
{
	return stmt->db->drv->col_text(stmt, col);
}

const void *
db_col_blob(struct db_stmt *stmt, int col, size_t *len_r)
{
	return stmt->db->drv->col_blob(stmt, col, len_r);
}

double
db_col_double(struct db_stmt *stmt, int col)
{
	return stmt->db->drv->col_double(stmt, col);
}

int64_t
db_changes(struct db *db)
{
	return db->drv->changes(db);
}

const char *
db_stmt_sql(const struct db_stmt *stmt)
{
	return stmt->sql;
}

int
db_vbindf(struct db_stmt *stmt, const char *fmt, va_list ap)
{
	const void *p;
	const char *f;
	size_t len;
	int idx;

	if (strlen(fmt) != (size_t)stmt->nparams) {
		db_set_fault(stmt->db, DB_F_OTHER, "bind format and"
		    " parameters differ in number");
		db_failed(stmt->db, stmt->sql);
		return -1;
	}
	for (f = fmt, idx = 1; *f != '\0'; f++, idx++) {
		switch (*f) {
		case 'i':
			db_bind_int64(stmt, idx, va_arg(ap, int64_t));
			break;
		case 'd':
			db_bind_int64(stmt, idx, va_arg(ap, int));
			break;
		case 't':
			db_bind_text(stmt, idx, va_arg(ap, const char *));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			db_bind_blob(stmt, idx, p, len);
			break;
		case 'n':
			db_bind_null(stmt, idx);
			break;
		case 'f':
			db_bind_double(stmt, idx, va_arg(ap, double));
			break;
		default:
			db_set_fault(stmt->db, DB_F_OTHER,
			    "bad letter in a bind format");
			db_failed(stmt->db, stmt->sql);
			return -1;
		}
	}
	return 0;
}

int
db_bindf(struct db_stmt *stmt, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = db_vbindf(stmt, fmt, ap);
	va_end(ap);
	return rc;
}

void
db_getf(struct db_stmt *stmt, const char *fmt, ...)
{
	const char *s;
	va_list ap;
	int col;

	va_start(ap, fmt);
	for (col = 0; *fmt != '\0'; fmt++, col++) {
		switch (*fmt) {
		case 'i':
			*va_arg(ap, int64_t *) = db_col_int64(stmt, col);
			break;
		case 'd':
			*va_arg(ap, int *) = (int)db_col_int64(stmt, col);
			break;
		case 't':
			*va_arg(ap, const char **) = db_col_text(stmt, col);
			break;
		case 'T':
			s = db_col_text(stmt, col);
			*va_arg(ap, char **) = xstrdup(s != NULL ? s : "");
			break;
		case 'b': {
			const void **pp = va_arg(ap, const void **);

			*pp = db_col_blob(stmt, col, va_arg(ap, size_t *));
			break;
		}
		case 'f':
			*va_arg(ap, double *) = db_col_double(stmt, col);
			break;
		case '_':
			break;
		default:
			fatalx("db: bad letter '%c' in a column format", *fmt);
		}
	}
	va_end(ap);
}

/* Prepare sql and bind fmt's arguments: NULL on error. */
static struct db_stmt *
db_vquery(struct db *db, const char *sql, const char *fmt, va_list ap)
{
	struct db_stmt *stmt;

	if ((stmt = db_prepare(db, sql)) == NULL)
		return NULL;
	if (fmt != NULL && db_vbindf(stmt, fmt, ap) < 0) {
		db_reset(stmt);
		return NULL;
	}
	return stmt;
}

int64_t
db_run(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt *stmt;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	stmt = db_vquery(db, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	while ((rc = db_step(stmt)) == DB_ROW)
		;
	if (rc < 0)
		return -1;
	db_reset(stmt);
	return db_changes(db);
}

struct db_stmt *
db_query(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt *stmt;
	va_list ap;

	va_start(ap, fmt);
	stmt = db_vquery(db, sql, fmt, ap);
	va_end(ap);
	return stmt;
}

int
db_exec(struct db *db, const char *sql)
{
	if (db->drv->exec(db, sql) < 0) {
		db_failed(db, sql);
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db)
{
	db_fault_clear(db);
	if (db->drv->begin(db) < 0) {
		db_failed(db, "BEGIN");
		return -1;
	}
	db->in_txn = 1;
	return 0;
}

int
db_begin_read(struct db *db)
{
	if (db->drv->begin_read == NULL)
		return 0;
	db_fault_clear(db);
	if (db->drv->begin_read(db) < 0) {
		db_failed(db, "BEGIN DEFERRED");
		return -1;
	}
	return 0;
}

/* A read transaction has nothing to lose: its end is a rollback, and
 * the fault of the query that stopped it stays on the handle. */
void
db_end_read(struct db *db)
{
	if (db->drv->begin_read != NULL)
		db_rollback(db);
}

int
db_commit(struct db *db)
{
	if (db->drv->commit(db) < 0) {
		db_failed(db, "COMMIT");
		db_rollback(db);
		return -1;
	}
	db->in_txn = 0;
	return 0;
}

/* The fault that made the caller roll back stays on the handle. */
void
db_rollback(struct db *db)
{
	enum db_fault fault = db->fault;
	char msg[sizeof(db->errmsg)];

	memcpy(msg, db->errmsg, sizeof(msg));
	(void)db->drv->rollback(db);
	db->in_txn = 0;
	db->fault = fault;
	memcpy(db->errmsg, msg, sizeof(msg));
}

int
db_in_txn(const struct db *db)
{
	return db->in_txn;
}

int
db_try_lock(struct db *db, const char *name)
{
	int rc = db->drv->try_lock(db, name);

	if (rc < 0)
		db_failed(db, "try_lock");
	return rc;
}

int
db_lock_session(struct db *db, const char *name)
{
	int rc = db->drv->lock_session(db, name, 1);

	if (rc < 0)
		db_failed(db, "lock_session");
	return rc;
}

void
db_unlock_session(struct db *db, const char *name)
{
	if (db->drv->lock_session(db, name, 0) < 0)
		db_failed(db, "unlock_session");
}

int64_t
db_data_version(struct db *db)
{
	return db->drv->data_version(db);
}

int
db_check(struct db *db, struct buf *report)
{
	return db->drv->check(db, report);
}

int
db_schema_version(struct db *db, int *v_r)
{
	if (db->drv->schema_version(db, v_r) < 0) {
		db_failed(db, "schema version");
		return -1;
	}
	return 0;
}

int
db_set_schema_version(struct db *db, int v)
{
	if (db->drv->set_schema_version(db, v) < 0) {
		db_failed(db, "set schema version");
		return -1;
	}
	return 0;
}
