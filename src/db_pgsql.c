/*
 * db_pgsql.c — the PostgreSQL driver of the db API (db.h), on libpq
 * (libpq-fe.h through db_pgsql_int.h, with db_pgsql_stmt.c).
 *
 * A handle is one connection, opened from a libpq URI, with
 * synchronous_commit on (DB_DURABLE) or off (DB_RELAXED).  Statements are
 * db_pgsql_stmt.c's.
 *
 * Transactions are BEGIN/COMMIT.  A failed statement aborts a
 * PostgreSQL transaction, unlike SQLite: every later statement of it
 * fails with the first failure's class and message, and so does COMMIT
 * (which the server turns into a ROLLBACK).  A committed write is
 * announced with NOTIFY postino_changed, and each handle LISTENs, so
 * db_data_version counts the commits of other handles.  db_try_lock is
 * pg_try_advisory_xact_lock on a 64-bit FNV-1a hash of the name,
 * db_lock_session pg_try_advisory_lock on the same key.
 *
 * Failures: every entry that fails sets the handle's fault from the
 * SQLSTATE (23 constraint, 53100 full, 40001/40P01/55P03/57014 busy,
 * 08 and a lost connection conn, XX001/XX002 corrupt, the rest other).
 * A lost connection is reset on the next call outside a transaction,
 * and every statement is prepared again on the new one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_pgsql_int.h"
#include "log.h"

/* The class of a failure, from its SQLSTATE and the connection. */
static enum db_fault
pg_fault_of(PGconn *pc, const char *state)
{
	if (PQstatus(pc) == CONNECTION_BAD)
		return DB_F_CONN;
	if (state == NULL || strlen(state) != 5)
		return DB_F_OTHER;
	if (strncmp(state, "23", 2) == 0)
		return DB_F_CONSTRAINT;
	if (strcmp(state, "53100") == 0)
		return DB_F_FULL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
	    strcmp(state, "53300") == 0)
		return DB_F_BUSY;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return DB_F_CONN;
	if (strcmp(state, "XX001") == 0 || strcmp(state, "XX002") == 0)
		return DB_F_CORRUPT;
	return DB_F_OTHER;
}

/* Record a failure (res may be NULL: the connection's message). */
void
db_pgsql_fail(struct db *db, const PGresult *res)
{
	struct pg_conn *c = db->conn;
	const char *state = NULL, *msg;
	char buf[sizeof(db->errmsg)];
	enum db_fault f;
	size_t n;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorMessage(res);
	} else
		msg = "";
	if (msg[0] == '\0')
		msg = PQerrorMessage(c->pc);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, msg);
	f = pg_fault_of(c->pc, state);
	db_set_fault(db, f, buf);
	if (PQtransactionStatus(c->pc) == PQTRANS_INERROR &&
	    c->abort_fault == DB_F_NONE) {
		c->abort_fault = f;
		snprintf(c->abort_msg, sizeof(c->abort_msg), "%.199s", buf);
	}
}

/* Run simple SQL expecting no rows; -1 with the fault set. */
static int
pg_simple(struct db *db, const char *sql)
{
	PGresult *res;
	int rc = 0;

	res = PQexec(db_pgsql_pc(db), sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		db_pgsql_fail(db, res);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/*
 * Per-connection settings: durability, read-only, LISTEN, and a lock
 * wait that gives up after 5 s with 55P03 (DB_F_BUSY), as SQLite's busy
 * handler does (db_sqlite.c).
 */
#define PG_SESSION	"SET lock_timeout TO '5s'; LISTEN postino_changed;"
static const char *
pg_session_sql(int flags)
{
	if (flags & DB_READONLY)
		return PG_SESSION "SET synchronous_commit TO on;"
		    "SET default_transaction_read_only TO on";
	if (flags & DB_RELAXED)
		return PG_SESSION "SET synchronous_commit TO off";
	return PG_SESSION "SET synchronous_commit TO on";
}

/* libpq prints NOTICEs on stderr by default; the daemon has a log. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg, (void)msg;
}

static int
pg_open(struct db *db, const char *uri, int flags, const char **error_r)
{
	static _Thread_local char err[256];
	struct pg_conn *c;

	c = xcalloc(1, sizeof(*c));
	c->gen = 1;
	c->pc = PQconnectdb(uri);
	db->conn = c;
	if (c->pc == NULL || PQstatus(c->pc) != CONNECTION_OK) {
		snprintf(err, sizeof(err), "%s", c->pc != NULL ?
		    PQerrorMessage(c->pc) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		*error_r = err;
		return -1;
	}
	PQsetNoticeProcessor(c->pc, pg_notice, NULL);
	if (pg_simple(db, pg_session_sql(flags)) < 0) {
		snprintf(err, sizeof(err), "%s", db->errmsg);
		*error_r = err;
		return -1;
	}
	return 0;
}

static void
pg_close(struct db *db)
{
	struct pg_conn *c = db->conn;

	if (c == NULL)
		return;
	if (c->pc != NULL)
		PQfinish(c->pc);
	free(c);
	db->conn = NULL;
}

/*
 * Before talking to the server: a lost connection is reset outside a
 * transaction (statements are prepared again lazily, and the data
 * version moves since notifications may have been missed); inside one
 * the transaction is gone and the call fails.
 */
int
db_pgsql_ready(struct db *db)
{
	struct pg_conn *c = db->conn;

	if (PQstatus(c->pc) == CONNECTION_OK)
		return 0;
	if (db->in_txn) {
		db_set_fault(db, DB_F_CONN, "connection to the database lost"
		    " inside a transaction");
		return -1;
	}
	PQreset(c->pc);
	if (PQstatus(c->pc) != CONNECTION_OK) {
		db_pgsql_fail(db, NULL);
		return -1;
	}
	c->gen++;
	c->version++;
	c->abort_fault = DB_F_NONE;
	return pg_simple(db, pg_session_sql(db->flags));
}

/* An aborted transaction: fail with the first failure's class. */
int
db_pgsql_aborted(struct db *db)
{
	struct pg_conn *c = db->conn;
	char buf[sizeof(db->errmsg)];

	if (PQtransactionStatus(c->pc) != PQTRANS_INERROR)
		return 0;
	snprintf(buf, sizeof(buf), "transaction aborted by an earlier "
	    "error: %.199s", c->abort_msg);
	db_set_fault(db, c->abort_fault != DB_F_NONE ? c->abort_fault :
	    DB_F_OTHER, buf);
	return -1;
}

static int64_t
pg_changes(struct db *db)
{
	return ((struct pg_conn *)db->conn)->changes;
}

static int
pg_exec(struct db *db, const char *sql)
{
	struct pg_conn *c = db->conn;

	if (db_pgsql_ready(db) < 0 || db_pgsql_aborted(db) < 0 ||
	    pg_simple(db, sql) < 0)
		return -1;
	if (PQtransactionStatus(c->pc) != PQTRANS_IDLE)
		c->wrote = 1;
	return 0;
}

static int
pg_begin(struct db *db)
{
	struct pg_conn *c = db->conn;

	if (db_pgsql_ready(db) < 0 || pg_simple(db, "BEGIN") < 0)
		return -1;
	c->wrote = 0;
	c->abort_fault = DB_F_NONE;
	return 0;
}

/*
 * COMMIT, announcing a write.  The server answers ROLLBACK, not an
 * error, to the COMMIT of an aborted transaction: that is a failure.
 */
static int
pg_commit(struct db *db)
{
	struct pg_conn *c = db->conn;
	PGresult *res;
	int rc = 0;

	if (db_pgsql_aborted(db) < 0) {
		PQclear(PQexec(c->pc, "ROLLBACK"));
		return -1;
	}
	res = PQexec(c->pc, c->wrote ? "NOTIFY postino_changed; COMMIT" :
	    "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_pgsql_fail(db, res);
		rc = -1;
	} else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		db_set_fault(db, DB_F_OTHER, "the transaction was rolled back");
		rc = -1;
	}
	PQclear(res);
	c->wrote = 0;
	return rc;
}

static int
pg_rollback(struct db *db)
{
	struct pg_conn *c = db->conn;

	c->wrote = 0;
	c->abort_fault = DB_F_NONE;
	if (PQstatus(c->pc) != CONNECTION_OK)
		return -1;
	return pg_simple(db, "ROLLBACK");
}

/* 64-bit FNV-1a: the advisory lock key of a name. */
static int64_t
pg_lock_key(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 1099511628211ULL;
	}
	return (int64_t)h;
}

/* Run "SELECT fn($1::bigint)" on name's key: its boolean, or -1. */
static int
pg_lock_call(struct db *db, const char *fn, const char *name)
{
	const char *vals[1];
	char key[24], sql[64];
	PGresult *res;
	int rc;

	if (db_pgsql_aborted(db) < 0)
		return -1;
	snprintf(key, sizeof(key), "%" PRId64, pg_lock_key(name));
	snprintf(sql, sizeof(sql), "SELECT %s($1::bigint)", fn);
	vals[0] = key;
	res = PQexecParams(db_pgsql_pc(db), sql, 1, NULL, vals, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		db_pgsql_fail(db, res);
		rc = -1;
	} else
		rc = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return rc;
}

static int
pg_try_lock(struct db *db, const char *name)
{
	if (PQtransactionStatus(db_pgsql_pc(db)) == PQTRANS_IDLE) {
		db_set_fault(db, DB_F_OTHER, "db_try_lock outside a "
		    "transaction");
		return -1;
	}
	return pg_lock_call(db, "pg_try_advisory_xact_lock", name);
}

/*
 * Session locks: taken after a lost connection is reset; a lock whose
 * connection was lost is gone with it, so releasing it is done; an
 * unlock of a lock not held is a misuse (-1).
 */
static int
pg_lock_session(struct db *db, const char *name, int take)
{
	int rc;

	if (take)
		return db_pgsql_ready(db) < 0 ? -1 :
		    pg_lock_call(db, "pg_try_advisory_lock", name);
	if (PQstatus(db_pgsql_pc(db)) != CONNECTION_OK)
		return 0;
	if ((rc = pg_lock_call(db, "pg_advisory_unlock", name)) == 0)
		db_set_fault(db, DB_F_OTHER, "db_unlock_session of a lock "
		    "not held");
	return rc == 1 ? 0 : -1;
}

/* Count the NOTIFYs of other backends received so far. */
static int64_t
pg_data_version(struct db *db)
{
	struct pg_conn *c = db->conn;
	PGnotify *n;

	if (PQstatus(c->pc) == CONNECTION_OK)
		(void)PQconsumeInput(c->pc);
	while ((n = PQnotifies(c->pc)) != NULL) {
		if (n->be_pid != PQbackendPID(c->pc))
			c->version++;
		PQfreemem(n);
	}
	return c->version;
}

/* The server checks its own pages (data_checksums, amcheck). */
static int
pg_check(struct db *db, struct buf *report)
{
	(void)db, (void)report;
	return 0;
}

/*
 * The schema version lives in the one row of schema_version.  Read in
 * the migrating transaction, it is read under an advisory lock (the key
 * db_try_lock("postino schema") takes), so that a node starting while
 * another migrates waits for it, however long, and reads the new
 * version; the table is
 * made there if missing.  Read outside, a missing table is version 0.
 */
static int
pg_schema_version(struct db *db, int *v_r)
{
	static const char lock[] = "SET LOCAL lock_timeout TO 0;"
	    "SELECT pg_advisory_xact_lock(%" PRId64
	    "); CREATE TABLE IF NOT EXISTS schema_version (version BIGINT"
	    " NOT NULL); SELECT coalesce(max(version), 0) FROM schema_version";
	static const char peek[] = "SELECT CASE WHEN to_regclass("
	    "'schema_version') IS NULL THEN 0 ELSE 1 END";
	char sql[sizeof(lock) + 24];
	PGresult *res;

	*v_r = 0;
	if (db_pgsql_ready(db) < 0 || db_pgsql_aborted(db) < 0)
		return -1;
	if (PQtransactionStatus(db_pgsql_pc(db)) == PQTRANS_IDLE) {
		res = PQexec(db_pgsql_pc(db), peek);
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
			PQclear(res);
			return 0;
		}
		PQclear(res);
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(version), 0)"
		    " FROM schema_version");
	} else
		snprintf(sql, sizeof(sql), lock, pg_lock_key("postino schema"));
	res = PQexec(db_pgsql_pc(db), sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		db_pgsql_fail(db, res);
		PQclear(res);
		return -1;
	}
	*v_r = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
pg_set_schema_version(struct db *db, int v)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DELETE FROM schema_version; "
	    "INSERT INTO schema_version (version) VALUES (%d)", v);
	return pg_exec(db, sql);
}

const struct db_driver db_driver_pgsql = {
	.name = "pgsql",
	.engine = DB_PGSQL,
	.open = pg_open,
	.close = pg_close,
	.prepare = db_pgsql_prepare,
	.finalize = db_pgsql_finalize,
	.reset = db_pgsql_reset,
	.bind_int64 = db_pgsql_bind_int64,
	.bind_text = db_pgsql_bind_text,
	.bind_blob = db_pgsql_bind_blob,
	.bind_null = db_pgsql_bind_null,
	.bind_double = db_pgsql_bind_double,
	.step = db_pgsql_step,
	.col_is_null = db_pgsql_col_is_null,
	.col_int64 = db_pgsql_col_int64,
	.col_text = db_pgsql_col_text,
	.col_blob = db_pgsql_col_blob,
	.col_double = db_pgsql_col_double,
	.changes = pg_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.try_lock = pg_try_lock,
	.lock_session = pg_lock_session,
	.data_version = pg_data_version,
	.check = pg_check,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.for_update_skip_locked = "FOR UPDATE SKIP LOCKED",
	.for_update = "FOR UPDATE",
};
