/*
 * store_dmarc.c — the DMARC policy cache (store_dmarc.h): one row per
 * From domain with the policy found and when it stops being valid.
 *
 * Owns the rows of dmarc_cache.  Domains are stored in lower case, so a
 * From of Example.COM and one of example.com share a row.  Fails: -1,
 * the error logged by the store's fault hook.
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
	struct db_stmt *stmt;
	char key[DOMAIN_MAX];
	const char *v;
	int rc;

	if (domain_key(domain, key) < 0)
		return 0;
	stmt = db_query(st->db, "SELECT policy FROM dmarc_cache"
	    " WHERE domain = ?1 AND expires > ?2", "ti", key, (int64_t)now);
	if (stmt == NULL)
		return -1;
	if ((rc = db_step(stmt)) != DB_ROW)
		return store_end(stmt, rc);
	v = db_col_text(stmt, 0);
	snprintf(policy, size, "%s", v != NULL ? v : "");
	db_reset(stmt);
	return 1;
}

int
store_dmarc_put(struct store *st, const char *domain, const char *policy,
    time_t expires)
{
	char key[DOMAIN_MAX];

	if (domain_key(domain, key) < 0)
		return 0;
	if (db_run(st->db, "INSERT INTO dmarc_cache (domain, policy, expires)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (domain) DO UPDATE"
	    " SET policy = excluded.policy, expires = excluded.expires",
	    "tti", key, policy, (int64_t)expires) < 0)
		return -1;
	return 0;
}

int
store_dmarc_purge(struct store *st, time_t now)
{
	if (db_run(st->db, "DELETE FROM dmarc_cache WHERE expires <= ?1",
	    "i", (int64_t)now) < 0)
		return -1;
	return 0;
}
