/*
 * router.c — recipient address -> (list, extension, token).
 *
 * The extensions and the LIST-word@ suffixes are those of the command
 * address table (cmdaddr.c); anything else is no address of ours.
 *
 * Owns nothing.  A store error is -1 (the caller answers 451 and the MTA
 * retries); an address that is no list of ours, or no command address of
 * the list, is 0 (550 at RCPT time, never a bounce later).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cmdaddr.h"
#include "router.h"

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

/* LIST-word@ for the table's suffix words (LIST-request@, LIST-owner@,
 * the addresses Mailman taught people). */
static int
lookup_suffix(struct store *st, const char *addr, size_t llen,
    const char *domain, struct ingest_rcpt *r, struct cmdaddr *ca)
{
	const struct cmdaddr_row *row;
	size_t i, wlen;
	int found;

	for (i = 0; (row = cmdaddr_row(i)) != NULL; i++) {
		if ((row->where & CA_SUFFIX) == 0)
			continue;
		wlen = strlen(row->word);
		if (llen <= wlen + 1 || addr[llen - wlen - 1] != '-' ||
		    strncasecmp(addr + llen - wlen, row->word, wlen) != 0)
			continue;
		found = lookup(st, addr, llen - wlen - 1, domain, r);
		if (found == 1) {
			strcpy(r->ext, row->word);
			(void)cmdaddr_parse(r->ext, ca);
		}
		if (found != 0)
			return found;
	}
	return 0;
}

int
router_rcpt_cmd(struct store *st, const char *delim, const char *addr,
    struct ingest_rcpt *r, struct cmdaddr *ca)
{
	const char *domain, *plus = NULL;
	size_t llen, i;
	int found;

	memset(r, 0, sizeof(*r));
	memset(ca, 0, sizeof(*ca));
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
		return cmdaddr_parse(r->ext, ca);
	}
	found = lookup(st, addr, llen, domain, r);
	if (found == 0)
		found = lookup_suffix(st, addr, llen, domain, r, ca);
	return found;
}

int
router_rcpt(struct store *st, const char *delim, const char *addr,
    struct ingest_rcpt *r)
{
	struct cmdaddr ca;

	return router_rcpt_cmd(st, delim, addr, r, &ca);
}
