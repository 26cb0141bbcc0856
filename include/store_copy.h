/*
 * store_copy.h — a site's database copied from SQLite to an empty
 * PostgreSQL database (`postino db copy`), table by table in dependency
 * order, generic over the schema: the tables and columns are read from
 * the SQLite file, the column types and foreign keys from PostgreSQL.
 *
 * Errors: a STORE_COPY_* code, with what went wrong (naming the table
 * or column) in why.
 */
#ifndef POSTINO_STORE_COPY_H
#define POSTINO_STORE_COPY_H

#include <stdint.h>

struct buf;

enum store_copy_rc {
	STORE_COPY_OK = 0,
	STORE_COPY_USAGE,	/* the target is not a PostgreSQL URL */
	STORE_COPY_SOURCE,	/* the SQLite file cannot be read */
	STORE_COPY_TARGET,	/* the target cannot be reached or migrated */
	STORE_COPY_SCHEMA,	/* versions or columns differ */
	STORE_COPY_NOTEMPTY,	/* the target holds rows already */
	STORE_COPY_FAILED,	/* a read or write failed mid-way */
	STORE_COPY_COUNTS	/* the copy's counts differ from the source's */
};

/* Called every 10,000 rows of a table and at its end (done == total). */
typedef void	 store_copy_progress(const char *table, int64_t done,
		    int64_t total, void *arg);

enum store_copy_rc store_copy(const char *sqlite_path, const char *pg_url,
		    store_copy_progress *fn, void *arg, struct buf *why);

#endif
