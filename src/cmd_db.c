/*
 * cmd_db.c — `postino db copy SQLITE_PATH POSTGRES_URL`: a site moved
 * from the embedded SQLite database to PostgreSQL (store_copy.c does the
 * copy), with one progress line per table (and every 10,000 rows) on
 * stderr.
 *
 * Owns nothing beyond one command's run.  Errors go to stderr as
 * "postino: db copy: why"; exit codes are sysexits: 64 usage or a target
 * that is not a PostgreSQL URL, 65 schema versions or columns that
 * differ, 66 a source that cannot be read, 70 a copy whose counts differ
 * from the source's (naming the table), 73 a target that holds rows
 * already, 75 a target that cannot be reached or a copy that failed half
 * way (rolled back: the target stays empty, run it again).
 */
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "cmd.h"
#include "postino.h"
#include "store_copy.h"

static int	db_copy(struct cmd_ctx *, int, char **);

static const struct cmd_sub db_cmds[] = {
	{ "copy", db_copy, 0, "db copy SQLITE_PATH POSTGRES_URL" },
};
#define NDB_CMDS	(sizeof(db_cmds) / sizeof(db_cmds[0]))

static void
progress(const char *table, int64_t done, int64_t total, void *arg)
{
	(void)arg;
	fprintf(stderr, "postino: db copy: %s: %lld/%lld row(s)\n", table,
	    (long long)done, (long long)total);
}

static int
db_copy(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const int exits[] = {
		[STORE_COPY_OK] = EX_OK_,
		[STORE_COPY_USAGE] = EX_USAGE_,
		[STORE_COPY_SOURCE] = EX_NOINPUT_,
		[STORE_COPY_TARGET] = EX_TEMPFAIL_,
		[STORE_COPY_SCHEMA] = EX_DATAERR_,
		[STORE_COPY_NOTEMPTY] = EX_CANTCREAT_,
		[STORE_COPY_FAILED] = EX_TEMPFAIL_,
		[STORE_COPY_COUNTS] = EX_SOFTWARE_,
	};
	struct buf why = BUF_INIT;
	enum store_copy_rc rc;

	(void)ctx;
	if (argc != 3)
		return cmd_usage(db_cmds, NDB_CMDS, "copy");
	rc = store_copy(argv[1], argv[2], progress, NULL, &why);
	if (rc != STORE_COPY_OK)
		fprintf(stderr, "postino: db copy: %s\n", why.data != NULL ?
		    why.data : "failed");
	else
		fprintf(stderr, "postino: db copy: every table's count"
		    " matches the source's\n");
	buf_free(&why);
	return exits[rc];
}

int
cmd_db(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "db", db_cmds, NDB_CMDS, argc, argv);
}
