/*
 * router.c — recipient address -> (list, extension).
 *
 * Owns nothing.  A store error is -1 (the caller answers 451 and the MTA
 * retries); an address that is no list of ours is 0 (550 at RCPT time,
 * never a bounce later).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "router.h"

/* LIST-request@ and LIST-owner@ (the addresses Mailman taught people). */
static const struct {
	const char	*suffix;
	const char	*ext;
} suffixes[] = {
	{ "-request", "request" },
	{ "-owner", "owner" },
};

static int
lookup(struct store *st, const char *local, size_t llen, const char *domain,
    struct ingest_rcpt *r)
{
	struct store_list l;
	char key[ADDR_MAX];
	int found;

	if (llen == 0 || llen + 1 + strlen(domain) >= ADDR_MAX)
		return 0;
	memcpy(key, local, llen);
	key[llen] = '@';
	strcpy(key + llen + 1, domain);
	addr_key(key, key);
	found = store_list_get(st, key, &l);
	if (found == 1) {
		r->list_id = l.id;
		store_list_clear(&l);
	}
	return found;
}

int
router_rcpt(struct store *st, const char *delim, const char *addr,
    struct ingest_rcpt *r)
{
	const char *domain, *plus = NULL;
	size_t llen, i, slen;
	int found;

	memset(r, 0, sizeof(*r));
	if (strlen(addr) >= sizeof(r->addr))
		return 0;
	strcpy(r->addr, addr);
	domain = addr_domain(addr, &llen);
	if (*delim != '\0')
		plus = memchr(addr, *delim, llen);

	if (plus != NULL) {
		size_t elen = llen - (size_t)(plus - addr) - 1;

		if (elen == 0 || elen >= sizeof(r->ext))
			return 0;
		found = lookup(st, addr, (size_t)(plus - addr), domain, r);
		if (found != 1)
			return found;
		for (i = 0; i < elen; i++)
			r->ext[i] = (char)tolower((unsigned char)plus[1 + i]);
		r->ext[elen] = '\0';
		return 1;
	}
	found = lookup(st, addr, llen, domain, r);
	for (i = 0; found == 0 && i < sizeof(suffixes) / sizeof(*suffixes);
	    i++) {
		slen = strlen(suffixes[i].suffix);
		if (llen <= slen || strncasecmp(addr + llen - slen,
		    suffixes[i].suffix, slen) != 0)
			continue;
		found = lookup(st, addr, llen - slen, domain, r);
		if (found == 1)
			strcpy(r->ext, suffixes[i].ext);
	}
	return found;
}
