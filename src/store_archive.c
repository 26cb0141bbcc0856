/*
 * store_archive.c — reading a list's accepted posts and their messages
 * for the archive (store_archive.h).
 *
 * One statement walks the posts oldest first and reads each message in
 * the same row, so an export of a large list is one pass over the table
 * and holds one message at a time.  Under WAL the statement reads one
 * snapshot: posts accepted while it runs are left for the next run.
 * Owns nothing; rows handed to callbacks are borrowed.
 * Fails: -1 after logging the SQLite error.
 */
#include <stdint.h>
#include <string.h>

#include "store_archive.h"
#include "store_int.h"

int
store_archive_each(struct store *st, int64_t list_id, time_t since,
    int (*fn)(const struct store_post *, const char *, size_t, void *),
    void *arg)
{
	struct store_post p;
	struct db_stmt *stmt;
	const char *body;
	size_t len;
	int rc, stop = 0;

	/* POST_COLS are unqualified: inside the sub-select "id" is the
	 * message's, so the post's message is named as posts.message_id. */
	stmt = db_query(st->db, "SELECT " POST_COLS ", (SELECT body FROM"
	    " messages WHERE id = posts.message_id) FROM posts"
	    " WHERE list_id = ?1 AND state = 'accepted' AND created >= ?2"
	    " ORDER BY created, id", "ii", list_id, (int64_t)since);
	if (stmt == NULL)
		return -1;
	while (!stop && (rc = db_step(stmt)) == DB_ROW) {
		store_post_view(stmt, &p);
		body = db_col_blob(stmt, 19, &len);
		stop = fn(&p, body != NULL ? body : "", len, arg);
	}
	return store_end(stmt, rc);
}
