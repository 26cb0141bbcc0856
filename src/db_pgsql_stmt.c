/*
 * db_pgsql_stmt.c — the statements of the PostgreSQL driver: each ?N
 * outside quoted text turned into $N, prepared on the server once per
 * connection (again after a reconnection) under a name from a
 * per-connection counter, run by PQexecPrepared with numbers and text as
 * text parameters and blobs as binary ones (text and blobs borrowed from
 * the caller until the first step, as db.h says).  Results come back as
 * text, bytea decoded by PQunescapeBytea, booleans read as 1 and 0.
 *
 * A step loop holds the whole PGresult of its statement, so the store
 * may run other statements on the handle while it reads rows; the price
 * is memory in proportion to the result: big reads must be paged (LIMIT)
 * by their callers.  After its last row a statement stays done until
 * reset.  Failures set the handle's fault (db_pgsql_fail); a bind out of
 * range fails the next step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_pgsql_int.h"
#include "log.h"

/*
 * Copy sql into out (as long) with each ?N outside quotes turned into
 * $N; *nparams_r is the highest N (as db.c counts them: comments are not
 * skipped, the store's SQL has none).  -1 on a bare "?".
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
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"')
			quote = *p;
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
		db_pgsql_fail(db, res);
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

int
db_pgsql_prepare(struct db *db, struct db_stmt *st)
{
	struct pg_stmt *ps;

	st->drv = ps = xcalloc(1, sizeof(*ps));
	ps->row = -1;
	if (db_pgsql_ready(db) < 0 || db_pgsql_aborted(db) < 0 ||
	    pg_server_prepare(db, st) < 0) {
		free(ps);
		st->drv = NULL;
		return -1;
	}
	if (ps->nparams > 0) {
		ps->vals = xcalloc((size_t)ps->nparams, sizeof(*ps->vals));
		ps->lens = xcalloc((size_t)ps->nparams, sizeof(*ps->lens));
		ps->fmts = xcalloc((size_t)ps->nparams, sizeof(*ps->fmts));
		ps->nums = xcalloc((size_t)ps->nparams, sizeof(*ps->nums));
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

void
db_pgsql_reset(struct db_stmt *st)
{
	struct pg_stmt *ps = st->drv;

	pg_result_clear(ps);
	pg_free_params(ps);
}

void
db_pgsql_finalize(struct db_stmt *st)
{
	struct pg_stmt *ps = st->drv;

	if (ps == NULL)
		return;
	db_pgsql_reset(st);
	free(ps->vals);
	free(ps->lens);
	free(ps->fmts);
	free(ps->nums);
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

void
db_pgsql_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	struct pg_stmt *ps;

	if ((ps = pg_slot(st, idx)) == NULL)
		return;
	snprintf(ps->nums[idx - 1], sizeof(ps->nums[idx - 1]), "%" PRId64, v);
	ps->vals[idx - 1] = ps->nums[idx - 1];
}

/* As text with every digit: float8 reads it back exactly. */
void
db_pgsql_bind_double(struct db_stmt *st, int idx, double v)
{
	struct pg_stmt *ps;

	if ((ps = pg_slot(st, idx)) == NULL)
		return;
	snprintf(ps->nums[idx - 1], sizeof(ps->nums[idx - 1]), "%.17g", v);
	ps->vals[idx - 1] = ps->nums[idx - 1];
}

void
db_pgsql_bind_text(struct db_stmt *st, int idx, const char *s)
{
	struct pg_stmt *ps;

	if ((ps = pg_slot(st, idx)) != NULL)
		ps->vals[idx - 1] = s;
}

void
db_pgsql_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	struct pg_stmt *ps;

	if ((ps = pg_slot(st, idx)) == NULL)
		return;
	if (len > INT32_MAX) {
		ps->bad_idx = idx;
		return;
	}
	/* Borrowed; a zero-length blob is an empty bytea, not NULL. */
	ps->vals[idx - 1] = len > 0 ? p : "";
	ps->lens[idx - 1] = (int)len;
	ps->fmts[idx - 1] = 1;
}

void
db_pgsql_bind_null(struct db_stmt *st, int idx)
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
	if (db_pgsql_ready(db) < 0 || db_pgsql_aborted(db) < 0)
		return -1;
	if (ps->gen != ((struct pg_conn *)db->conn)->gen &&
	    pg_server_prepare(db, st) < 0)
		return -1;
	res = PQexecPrepared(db_pgsql_pc(db), ps->name, ps->nparams,
	    ps->vals, ps->lens, ps->fmts, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		break;
	default:
		db_pgsql_fail(db, res);
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
int
db_pgsql_step(struct db_stmt *st)
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
int
db_pgsql_col_is_null(struct db_stmt *st, int col)
{
	struct pg_stmt *ps = st->drv;

	return ps->res == NULL || ps->row < 0 || ps->row >= ps->nrows ||
	    col < 0 || col >= ps->ncols || PQgetisnull(ps->res, ps->row, col);
}

/* A number column as text: NULL reads 0, a boolean 1 or 0, as SQLite's. */
static const char *
pg_number(struct db_stmt *st, int col)
{
	struct pg_stmt *ps = st->drv;
	const char *v;

	if (db_pgsql_col_is_null(st, col))
		return "0";
	v = PQgetvalue(ps->res, ps->row, col);
	if (PQftype(ps->res, col) == PG_BOOLOID)
		return v[0] == 't' ? "1" : "0";
	return v;
}

int64_t
db_pgsql_col_int64(struct db_stmt *st, int col)
{
	return strtoll(pg_number(st, col), NULL, 10);
}

double
db_pgsql_col_double(struct db_stmt *st, int col)
{
	return strtod(pg_number(st, col), NULL);
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

const char *
db_pgsql_col_text(struct db_stmt *st, int col)
{
	struct pg_stmt *ps = st->drv;
	size_t len;

	if (db_pgsql_col_is_null(st, col))
		return NULL;
	if (PQftype(ps->res, col) == PG_BYTEAOID)
		return pg_decoded(ps, col, &len);
	if (PQftype(ps->res, col) == PG_BOOLOID)
		return pg_number(st, col);
	return PQgetvalue(ps->res, ps->row, col);
}

const void *
db_pgsql_col_blob(struct db_stmt *st, int col, size_t *len_r)
{
	struct pg_stmt *ps = st->drv;

	*len_r = 0;
	if (db_pgsql_col_is_null(st, col))
		return NULL;
	if (PQftype(ps->res, col) == PG_BYTEAOID)
		return pg_decoded(ps, col, len_r);
	*len_r = (size_t)PQgetlength(ps->res, ps->row, col);
	return PQgetvalue(ps->res, ps->row, col);
}

