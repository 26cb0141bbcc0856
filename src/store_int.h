/*
 * store_int.h — what the store_*.c files share, and nobody else sees.
 */
#ifndef POSTINO_STORE_INT_H
#define POSTINO_STORE_INT_H

#include <time.h>

#include "db.h"
#include "store.h"

struct store {
	struct db	*db;
	char		*path;
	int		 temp_logged;		/* this episode's first logged */
	int		 checking;		/* inside store_check() */
};

/* After a loop of db_step() that ended with rc: the statement reset,
 * 0 when it ended well (DB_DONE or DB_ROW), -1 after a failure. */
int		 store_end(struct db_stmt *, int rc);
/* Step a query (NULL: its prepare failed) to its first row: 1 on a row,
 * 0 (reset) when there is none, -1 after a failure. */
int		 store_first_row(struct db_stmt *);
/* The first column of the first row (RETURNING id), the statement run to
 * its end and reset: 0 when there was no row, -1 after a failure. */
int64_t		 store_returned_id(struct db_stmt *);
/* Copy a text column (NULL -> "") into a malloc'd string. */
char		*store_col_str(struct db_stmt *, int col);

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
