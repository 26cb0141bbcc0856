/*
 * db_pgsql_int.h — what the two files of the PostgreSQL driver share:
 * db_pgsql.c (connection, faults, transactions, locks, notifications,
 * schema version, the driver table) and db_pgsql_stmt.c (statements:
 * ?N translation, prepare, bind, step, columns).  Only they include it,
 * and with it libpq-fe.h.
 */
#ifndef POSTINO_DB_PGSQL_INT_H
#define POSTINO_DB_PGSQL_INT_H

#include <libpq-fe.h>

#include "db_int.h"

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
	const char	**vals;		/* borrowed, or into nums */
	char		(*nums)[32];	/* bound numbers as text */
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


static inline PGconn *
db_pgsql_pc(struct db *db)
{
	return ((struct pg_conn *)db->conn)->pc;
}

/* db_pgsql.c: record a failure (res NULL: the connection's message); make
 * the connection usable (reset a lost one outside a transaction); fail
 * the calls of an aborted transaction with its first failure. */
void		 db_pgsql_fail(struct db *, const PGresult *res);
int		 db_pgsql_ready(struct db *);
int		 db_pgsql_aborted(struct db *);

/* db_pgsql_stmt.c: the statement entries of the driver. */
int		 db_pgsql_prepare(struct db *, struct db_stmt *);
void		 db_pgsql_finalize(struct db_stmt *);
void		 db_pgsql_reset(struct db_stmt *);
void		 db_pgsql_bind_int64(struct db_stmt *, int, int64_t);
void		 db_pgsql_bind_text(struct db_stmt *, int, const char *);
void		 db_pgsql_bind_blob(struct db_stmt *, int, const void *, size_t);
void		 db_pgsql_bind_null(struct db_stmt *, int);
void		 db_pgsql_bind_double(struct db_stmt *, int, double);
int		 db_pgsql_step(struct db_stmt *);
int		 db_pgsql_col_is_null(struct db_stmt *, int);
int64_t		 db_pgsql_col_int64(struct db_stmt *, int);
const char	*db_pgsql_col_text(struct db_stmt *, int);
const void	*db_pgsql_col_blob(struct db_stmt *, int, size_t *);
double		 db_pgsql_col_double(struct db_stmt *, int);

#endif
