/*
 * store_int.h — what the store_*.c files share, and nobody else sees.
 */
#ifndef POSTINO_STORE_INT_H
#define POSTINO_STORE_INT_H

#include <sqlite3.h>	/* until every store file is on db.h */
#include <time.h>

#include "db.h"
#include "store.h"

#define STORE_STMT_MAX	128

struct store {
	struct db	*db;
	sqlite3		*sq;		/* db's connection, until every
					 * store file is on db.h */
	char		*path;
	int		 temp_logged;		/* this episode's first logged */
	int		 checking;		/* inside store_check() */
	size_t		 nstmts;
	struct {
		const char	*sql;		/* static string: the key */
		sqlite3_stmt	*stmt;
	}		 stmts[STORE_STMT_MAX];
};

/*
 * Prepared statement for sql (a string literal: its address is the cache
 * key), reset and with bindings cleared.  NULL on error (logged).
 */
sqlite3_stmt	*store_stmt(struct store *, const char *sql);
/* Log a failed sqlite call with the statement's text; remember the code. */
void		 store_fail(struct store *, const char *what, int rc);
/* Run a statement that returns no rows; 0 or -1. */
int		 store_step_done(struct store *, sqlite3_stmt *);
/* After a loop of sqlite3_step that ended with rc: 0 when it ended well
 * (DONE or ROW), else -1 (logged); the statement is reset either way. */
int		 store_step_end(struct store *, sqlite3_stmt *, int rc);
/* After a loop of db_step() that ended with rc: the statement reset,
 * 0 when it ended well (DB_DONE or DB_ROW), -1 after a failure. */
int		 store_end(struct db_stmt *, int rc);
/* The first column of the first row (RETURNING id), the statement run to
 * its end and reset: 0 when there was no row, -1 after a failure. */
int64_t		 store_returned_id(struct db_stmt *);
/* Copy a text column (NULL -> "") into a malloc'd string. */
char		*store_col_str(sqlite3_stmt *, int col);

/* store_post.c: the columns of a post row, and a borrowed view of the
 * current row of a statement that selected them first. */
#define POST_COLS	"id, list_id, message_id, msgid, subject, author," \
			" sender, state, reason, max_member, created, decided," \
			" thread, rule, decided_by, deadline, reminded, escalated," \
			" appeal"
void		 store_post_view(struct db_stmt *, struct store_post *);

/* store_schema.c */
int		 store_migrate(struct store *, const char **error_r);
/* store_schema_pg.c (with the PostgreSQL driver): PostgreSQL's
 * migrations, numbered as SQLite's in store_schema.c. */
extern const char *const store_migrations_pgsql[];
extern const size_t	 store_migrations_pgsql_count;

#endif
