/*
 * store_dmarc.c — the DMARC policy cache (store_dmarc.h): one row per
 * From domain with the policy found and when it stops being valid.
 *
 * Owns the rows of dmarc_cache.  Domains are stored in lower case, so a
 * From of Example.COM and one of example.com share a row.  Fails: -1
 * after logging the SQLite error (store_fail()).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store_dmarc.h"
#include "store_int.h"

#define DOMAIN_MAX	256

/* domain in lower case into key; 0, or -1 when too long. */
static int
domain_key(const char *domain, char key[DOMAIN_MAX])
{
	size_t i, n = strlen(domain);

	if (n >= DOMAIN_MAX)
		return -1;
	for (i = 0; i <= n; i++)
		key[i] = (char)tolower((unsigned char)domain[i]);
	return 0;
}

int
store_dmarc_get(struct store *st, const char *domain, time_t now,
    char *policy, size_t size)
{
	sqlite3_stmt *stmt;
	char key[DOMAIN_MAX];
	const unsigned char *v;
	int rc;

	if (domain_key(domain, key) < 0)
		return 0;
	stmt = store_stmt(st, "SELECT policy FROM dmarc_cache"
	    " WHERE domain = ?1 AND expires > ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (int64_t)now);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
		return store_step_end(st, stmt, rc);
	v = sqlite3_column_text(stmt, 0);
	snprintf(policy, size, "%s", v != NULL ? (const char *)v : "");
	sqlite3_reset(stmt);
	return 1;
}

int
store_dmarc_put(struct store *st, const char *domain, const char *policy,
    time_t expires)
{
	sqlite3_stmt *stmt;
	char key[DOMAIN_MAX];

	if (domain_key(domain, key) < 0)
		return 0;
	stmt = store_stmt(st, "INSERT OR REPLACE INTO dmarc_cache (domain,"
	    " policy, expires) VALUES (?1, ?2, ?3)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, policy, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (int64_t)expires);
	return store_step_done(st, stmt);
}

int
store_dmarc_purge(struct store *st, time_t now)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(st, "DELETE FROM dmarc_cache WHERE expires <= ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (int64_t)now);
	return store_step_done(st, stmt);
}
