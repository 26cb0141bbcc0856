/*
 * db_int.h — what the db front (db.c) and its drivers (db_sqlite.c,
 * db_pgsql.c) share: the driver table, after Dovecot's struct sql_db_vfuncs.
 * The front owns the statement cache, the format binders and the fault
 * bookkeeping; a driver only talks to its engine.
 */
#ifndef POSTINO_DB_INT_H
#define POSTINO_DB_INT_H

#include "db.h"

#define DB_STMT_MAX	192

struct db_driver {
	const char	*name;
	enum db_engine	 engine;
	/* Open the engine's connection into db->conn. */
	int		(*open)(struct db *, const char *uri, int flags,
			    const char **error_r);
	void		(*close)(struct db *);
	/* Prepare sql (already with markers expanded) into a new stmt's
	 * driver part; -1 sets the fault. */
	int		(*prepare)(struct db *, struct db_stmt *);
	void		(*finalize)(struct db_stmt *);
	void		(*reset)(struct db_stmt *);	/* and clear bindings */
	void		(*bind_int64)(struct db_stmt *, int, int64_t);
	void		(*bind_text)(struct db_stmt *, int, const char *);
	void		(*bind_blob)(struct db_stmt *, int, const void *,
			    size_t);
	void		(*bind_null)(struct db_stmt *, int);
	void		(*bind_double)(struct db_stmt *, int, double);
	int		(*step)(struct db_stmt *);
	int		(*col_is_null)(struct db_stmt *, int);
	int64_t		(*col_int64)(struct db_stmt *, int);
	const char	*(*col_text)(struct db_stmt *, int);
	const void	*(*col_blob)(struct db_stmt *, int, size_t *);
	double		(*col_double)(struct db_stmt *, int);
	int64_t		(*changes)(struct db *);
	int		(*exec)(struct db *, const char *sql);
	int		(*begin)(struct db *);
	int		(*begin_read)(struct db *);	/* NULL: nothing; ended
							 * by rollback */
	int		(*commit)(struct db *);
	int		(*rollback)(struct db *);
	int		(*try_lock)(struct db *, const char *name);
	/* take 1: try the session lock; take 0: release it. */
	int		(*lock_session)(struct db *, const char *name,
			    int take);
	int64_t		(*data_version)(struct db *);
	int		(*check)(struct db *, struct buf *report);
	int		(*schema_version)(struct db *, int *v_r);
	int		(*set_schema_version)(struct db *, int v);
	/* Expansion of each marker for this engine. */
	const char	*for_update_skip_locked;
	const char	*for_update;
};

struct db_stmt {
	struct db	*db;
	const char	*sql;		/* the caller's literal: cache key */
	char		*text;		/* markers expanded, engine syntax */
	void		*drv;		/* the driver's statement */
	int		 nparams;	/* highest ?N: db_bindf checks */
};

struct db {
	const struct db_driver *drv;
	void		*conn;		/* sqlite3 *, PGconn * */
	char		*uri;
	int		 flags;
	int		 in_txn;
	db_fault_fn	*hook;		/* db_set_fault_hook() */
	void		*hook_arg;
	enum db_fault	 fault;
	char		 errmsg[256];
	size_t		 nstmts;
	struct db_stmt	 stmts[DB_STMT_MAX];
};

extern const struct db_driver db_driver_sqlite;
extern const struct db_driver db_driver_pgsql;

/* db_sqlite.c: the class of an SQLite result code (tests call it). */
enum db_fault	 db_sqlite_fault(int rc);

/* Drivers record a failure: its class and the engine's message. */
void		 db_set_fault(struct db *, enum db_fault, const char *msg);

#endif
