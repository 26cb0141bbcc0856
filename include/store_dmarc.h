/*
 * store_dmarc.h — the store's side of DMARC (store_dmarc.c): the policy
 * last found for a From domain, kept until its DNS TTL runs out.
 *
 * Part of the store's interface (store.h): only store_*.c talk to sqlite3.
 * The policy is a word of dmarc.h ("reject", "quarantine", "none",
 * "fail"); the store only keeps it.  Errors: -1 after logging the SQLite
 * error, as everywhere in the store.
 */
#ifndef POSTINO_STORE_DMARC_H
#define POSTINO_STORE_DMARC_H

#include <stddef.h>
#include <time.h>

struct store;

/* The cached policy of domain (case-insensitive) still valid at now,
 * copied into policy (at most size bytes with the NUL).  1 found, 0 none
 * or expired, -1 store error. */
int	 store_dmarc_get(struct store *, const char *domain, time_t now,
	    char *policy, size_t size);
/* Remember policy for domain until expires (replacing any row).  In the
 * caller's transaction, if one is open.  0, or -1. */
int	 store_dmarc_put(struct store *, const char *domain,
	    const char *policy, time_t expires);
/* Forget the rows expired before now.  0, or -1. */
int	 store_dmarc_purge(struct store *, time_t now);

#endif
