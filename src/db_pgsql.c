/*
 * db_pgsql.c — the PostgreSQL driver of the db API (db.h), on libpq: the
 * only includer of libpq-fe.h.
 *
 * A handle is one connection, opened from a libpq URI.  Statements are
 * prepared on the server once per connection (PQprepare, under a name
 * made from a per-connection counter) with each ?N turned into $N outside
 * quoted text and comments, and run with PQexecPrepared: integers and
 * text go as text parameters, blobs as binary ones; results come back as
 * text (bytea decoded by PQunescapeBytea).  A step loop holds the whole
 * PGresult of its statement, so the store may run other statements on
 * the handle while it reads rows; the price is memory in proportion to
 * the result, so big reads must be paged (LIMIT) by their callers.
 *
 * Transactions are BEGIN/COMMIT.  A failed statement aborts a
 * PostgreSQL transaction, unlike SQLite: every later statement of it
 * fails with the first failure's class and message, and so does COMMIT
 * (which the server turns into a ROLLBACK).  A committed write is
 * announced with NOTIFY postino_changed, and each handle LISTENs, so
 * db_data_version counts the commits of other handles.  db_try_lock is
 * pg_try_advisory_xact_lock on a 64-bit FNV-1a hash of the name.
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

#include <libpq-fe.h>

#include "db_int.h"
#include "buf.h"
#include "log.h"

#define PG_BOOLOID	16
#define PG_BYTEAOID	17

struct pg_conn {
	PGconn		*pc;
	unsigned	 gen;		/* bumped by each reconnection */
	unsigned	 names;		/* statement name counter */
	int64_t		 changes;
	int64_t		 version;	/* commits seen from other backends */
	int		 wrote;		/* the transaction changed rows */
	enum db_fault	 abort_fault;	/* why the transaction is aborted */
	char		 abort_msg[200];
};

struct pg_stmt {
	char		 name[24];
	unsigned	 gen;		/* prepared on this connection */
	int		 nparams;
	char		**vals;
	int		*lens;
	int		*fmts;
	int		 bad_idx;	/* a bind out of range, 0 if none */
	PGresult	*res;
	int		 row;		/* current row, -1 before the first */
	int		 nrows;
	int		 ncols;
	char		**dec;		/* decoded bytea of the current row */
	size_t		*declen;
};

static PGconn *
pg_pc(struct db *db)
{
	return ((struct pg_conn *)db->conn)->pc;
}

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
static void
pg_fail(struct db *db, const PGresult *res)
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

	res = PQexec(pg_pc(db), sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		pg_fail(db, res);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Per-connection settings: durability, read-only, LISTEN. */
static const char *
pg_session_sql(int flags)
{
	if (flags & DB_READONLY)
		return "SET synchronous_commit TO on;"
		    "SET default_transaction_read_only TO on;"
		    "LISTEN postino_changed";
	if (flags & DB_RELAXED)
		return "SET synchronous_commit TO off; LISTEN postino_changed";
	return "SET synchronous_commit TO on; LISTEN postino_changed";
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
static int
pg_ready(struct db *db)
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
		pg_fail(db, NULL);
		return -1;
	}
	c->gen++;
	c->version++;
	c->abort_fault = DB_F_NONE;
	return pg_simple(db, pg_session_sql(db->flags));
}

/* An aborted transaction: fail with the first failure's class. */
static int
pg_check_aborted(struct db *db)
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

/*
 * Copy sql into out (as long) with each ?N outside quotes and comments
 * turned into $N; *nparams_r is the highest N.  -1 on a bare "?".
 */
static int
pg_translate(const char *sql, char *out, int *nparams_r)
{
	const char *p = sql;
	char quote = 0;
	long n;

	*nparams_r = 0;
	for (; *p != '\0'; p++, out++) {
		*out = *p;
		if (quote == '-') {
			if (*p == '\n')
				quote = 0;
		} else if (quote == '*') {
			if (p[0] == '*' && p[1] == '/') {
				*++out = *++p;
				quote = 0;
			}
		} else if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"')
			quote = *p;
		else if ((p[0] == '-' && p[1] == '-') ||
		    (p[0] == '/' && p[1] == '*'))
			quote = p[1];
		else if (*p == '?') {
			if (p[1] < '0' || p[1] > '9')
				return -1;
			*out = '$';
			n = strtol(p + 1, NULL, 10);
			if (n > 65535)
				return -1;
			if (n > *nparams_r)
				*nparams_r = (int)n;
		}
	}
	*out = '\0';
	return 0;
}

/* Prepare st on the current connection. */
static int
pg_server_prepare(struct db *db, struct db_stmt *st)
{
	struct pg_conn *c = db->conn;
	struct pg_stmt *ps = st->drv;
	PGresult *res;
	char *text;
	int rc = 0;

	text = xmalloc(strlen(st->text) + 1);
	if (pg_translate(st->text, text, &ps->nparams) < 0) {
		db_set_fault(db, DB_F_OTHER, "a placeholder is not ?N");
		free(text);
		return -1;
	}
	snprintf(ps->name, sizeof(ps->name), "p%u", ++c->names);
	res = PQprepare(c->pc, ps->name, text, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(db, res);
		rc = -1;
	} else
		ps->gen = c->gen;
	PQclear(res);
	free(text);
	return rc;
}

/* Parameter i (0-based) back to NULL. */
static void
pg_param_clear(struct pg_stmt *ps, int i)
{
	free(ps->vals[i]);
	ps->vals[i] = NULL;
	ps->lens[i] = 0;
	ps->fmts[i] = 0;
}

static void
pg_free_params(struct pg_stmt *ps)
{
	int i;

	for (i = 0; i < ps->nparams && ps->vals != NULL; i++)
		pg_param_clear(ps, i);
	ps->bad_idx = 0;
}

static int
pg_prepare(struct db *db, struct db_stmt *st)
{
	struct pg_stmt *ps;

	st->drv = ps = xcalloc(1, sizeof(*ps));
	ps->row = -1;
	if (pg_ready(db) < 0 || pg_check_aborted(db) < 0 ||
	    pg_server_prepare(db, st) < 0) {
		free(ps);
		st->drv = NULL;
		return -1;
	}
	if (ps->nparams > 0) {
		ps->vals = xcalloc((size_t)ps->nparams, sizeof(*ps->vals));
		ps->lens = xcalloc((size_t)ps->nparams, sizeof(*ps->lens));
		ps->fmts = xcalloc((size_t)ps->nparams, sizeof(*ps->fmts));
	}
	return 0;
}

/* Forget the current row's decoded columns. */
static void
pg_row_clear(struct pg_stmt *ps)
{
	int i;

	for (i = 0; i < ps->ncols && ps->dec != NULL; i++) {
		free(ps->dec[i]);
		ps->dec[i] = NULL;
	}
}

static void
pg_result_clear(struct pg_stmt *ps)
{
	pg_row_clear(ps);
	free(ps->dec);
	free(ps->declen);
	ps->dec = NULL;
	ps->declen = NULL;
	PQclear(ps->res);
	ps->res = NULL;
	ps->row = -1;
	ps->nrows = ps->ncols = 0;
}

static void
pg_reset(struct db_stmt *st)
{
	struct pg_stmt *ps = st->drv;

	pg_result_clear(ps);
	pg_free_params(ps);
}

static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *ps = st->drv;

	if (ps == NULL)
		return;
	pg_reset(st);
	free(ps->vals);
	free(ps->lens);
	free(ps->fmts);
	free(ps);
	st->drv = NULL;
}

/* The slot of parameter idx (1-based), or NULL (remembered). */
static struct pg_stmt *
pg_slot(struct db_stmt *st, int idx)
{
	struct pg_stmt *ps = st->drv;

	if (idx < 1 || idx > ps->nparams) {
		ps->bad_idx = idx;
		return NULL;
	}
	pg_param_clear(ps, idx - 1);
	return ps;
}

static void
pg_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	struct pg_stmt *ps;
	char buf[24];

	if ((ps = pg_slot(st, idx)) == NULL)
		return;
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	ps->vals[idx - 1] = xstrdup(buf);
}

static void
pg_bind_text(struct db_stmt *st, int idx, const char *s)
{
	struct pg_stmt *ps;

	if ((ps = pg_slot(st, idx)) != NULL && s != NULL)
		ps->vals[idx - 1] = xstrdup(s);
}

static void
pg_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	struct pg_stmt *ps;

	if ((ps = pg_slot(st, idx)) == NULL)
		return;
	if (len > INT32_MAX) {
		ps->bad_idx = idx;
		return;
	}
	/* A zero-length blob is an empty bytea, not NULL. */
	ps->vals[idx - 1] = xmalloc(len + 1);
	if (len > 0)
		memcpy(ps->vals[idx - 1], p, len);
	ps->lens[idx - 1] = (int)len;
	ps->fmts[idx - 1] = 1;
}

static void
pg_bind_null(struct db_stmt *st, int idx)
{
	(void)pg_slot(st, idx);
}

/* Rows changed by a finished command, if it changes rows. */
static void
pg_count(struct db *db, PGresult *res)
{
	struct pg_conn *c = db->conn;
	const char *cmd = PQcmdStatus(res);

	if (strncmp(cmd, "INSERT", 6) != 0 && strncmp(cmd, "UPDATE", 6) != 0 &&
	    strncmp(cmd, "DELETE", 6) != 0 && strncmp(cmd, "MERGE", 5) != 0)
		return;
	c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	if (c->changes == 0)
		return;
	if (db->in_txn || PQtransactionStatus(c->pc) != PQTRANS_IDLE)
		c->wrote = 1;
	else	/* committed: tell the other handles */
		PQclear(PQexec(c->pc, "NOTIFY postino_changed"));
}

/* Run st with its parameters into ps->res. */
static int
pg_execute(struct db_stmt *st)
{
	struct db *db = st->db;
	struct pg_stmt *ps = st->drv;
	char buf[64];
	PGresult *res;

	if (ps->bad_idx != 0) {
		snprintf(buf, sizeof(buf), "parameter %d out of range",
		    ps->bad_idx);
		db_set_fault(db, DB_F_OTHER, buf);
		return -1;
	}
	if (pg_ready(db) < 0 || pg_check_aborted(db) < 0)
		return -1;
	if (ps->gen != ((struct pg_conn *)db->conn)->gen &&
	    pg_server_prepare(db, st) < 0)
		return -1;
	res = PQexecPrepared(pg_pc(db), ps->name, ps->nparams,
	    (const char *const *)ps->vals, ps->lens, ps->fmts, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		break;
	default:
		pg_fail(db, res);
		PQclear(res);
		return -1;
	}
	pg_count(db, res);
	ps->res = res;
	ps->nrows = PQntuples(res);
	ps->ncols = PQnfields(res);
	if (ps->ncols > 0) {
		ps->dec = xcalloc((size_t)ps->ncols, sizeof(*ps->dec));
		ps->declen = xcalloc((size_t)ps->ncols, sizeof(*ps->declen));
	}
	ps->row = -1;
	return 0;
}

/*
 * The first step runs the statement; each step moves to the next row of
 * its result.  After the last row the statement stays done until reset.
 */
static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *ps = st->drv;

	if (ps->res == NULL) {
		if (pg_execute(st) < 0)
			return -1;
	} else
		pg_row_clear(ps);
	if (ps->row + 1 < ps->nrows) {
		ps->row++;
		return DB_ROW;
	}
	ps->row = ps->nrows;
	return DB_DONE;
}

/* No current row or no such column reads as NULL. */
static int
pg_col_is_null(struct db_stmt *st, int col)
{
	struct pg_stmt *ps = st->drv;

	return ps->res == NULL || ps->row < 0 || ps->row >= ps->nrows ||
	    col < 0 || col >= ps->ncols || PQgetisnull(ps->res, ps->row, col);
}

static int64_t
pg_col_int64(struct db_stmt *st, int col)
{
	struct pg_stmt *ps = st->drv;
	const char *v;

	if (pg_col_is_null(st, col))
		return 0;
	v = PQgetvalue(ps->res, ps->row, col);
	if (PQftype(ps->res, col) == PG_BOOLOID)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

/* A bytea column of the current row, decoded once, NUL-terminated. */
static const char *
pg_decoded(struct pg_stmt *ps, int col, size_t *len_r)
{
	unsigned char *raw;
	size_t len;

	if (ps->dec[col] == NULL) {
		raw = PQunescapeBytea((const unsigned char *)
		    PQgetvalue(ps->res, ps->row, col), &len);
		if (raw == NULL)
			fatalx("db_pgsql: out of memory decoding bytea");
		ps->dec[col] = xmalloc(len + 1);
		memcpy(ps->dec[col], raw, len);
		ps->dec[col][len] = '\0';
		ps->declen[col] = len;
		PQfreemem(raw);
	}
	*len_r = ps->declen[col];
	return ps->dec[col];
}

static const char *
pg_col_text(struct db_stmt *st, int col)
{
	struct pg_stmt *ps = st->drv;
	size_t len;

	if (pg_col_is_null(st, col))
		return NULL;
	if (PQftype(ps->res, col) == PG_BYTEAOID)
		return pg_decoded(ps, col, &len);
	if (PQftype(ps->res, col) == PG_BOOLOID)	/* as SQLite says */
		return pg_col_int64(st, col) ? "1" : "0";
	return PQgetvalue(ps->res, ps->row, col);
}

static const void *
pg_col_blob(struct db_stmt *st, int col, size_t *len_r)
{
	struct pg_stmt *ps = st->drv;

	*len_r = 0;
	if (pg_col_is_null(st, col))
		return NULL;
	if (PQftype(ps->res, col) == PG_BYTEAOID)
		return pg_decoded(ps, col, len_r);
	*len_r = (size_t)PQgetlength(ps->res, ps->row, col);
	return PQgetvalue(ps->res, ps->row, col);
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

	if (pg_ready(db) < 0 || pg_check_aborted(db) < 0 ||
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

	if (pg_ready(db) < 0 || pg_simple(db, "BEGIN") < 0)
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

	if (pg_check_aborted(db) < 0) {
		PQclear(PQexec(c->pc, "ROLLBACK"));
		return -1;
	}
	res = PQexec(c->pc, c->wrote ? "NOTIFY postino_changed; COMMIT" :
	    "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(db, res);
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

static int
pg_try_lock(struct db *db, const char *name)
{
	const char *vals[1];
	char key[24];
	PGresult *res;
	int rc;

	if (PQtransactionStatus(pg_pc(db)) == PQTRANS_IDLE) {
		db_set_fault(db, DB_F_OTHER, "db_try_lock outside a "
		    "transaction");
		return -1;
	}
	if (pg_check_aborted(db) < 0)
		return -1;
	snprintf(key, sizeof(key), "%" PRId64, pg_lock_key(name));
	vals[0] = key;
	res = PQexecParams(pg_pc(db), "SELECT pg_try_advisory_xact_lock("
	    "$1::bigint)", 1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_fail(db, res);
		rc = -1;
	} else
		rc = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return rc;
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

const struct db_driver db_driver_pgsql = {
	.name = "pgsql",
	.engine = DB_PGSQL,
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_is_null = pg_col_is_null,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.changes = pg_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.try_lock = pg_try_lock,
	.data_version = pg_data_version,
	.check = pg_check,
	.for_update_skip_locked = "FOR UPDATE SKIP LOCKED",
};
