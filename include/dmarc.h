/*
 * dmarc.h — DMARC policy discovery (RFC 7489 §6.6.3) for a From domain:
 * the policy record parser, the organizational domain (Public Suffix
 * List, libpsl) and the DNS lookup (c-ares), bounded in time.
 *
 * The only user of c-ares and libpsl.  Knows no list and no store: the
 * caller caches the answer (store_dmarc.h) for the TTL it returns.
 */
#ifndef POSTINO_DMARC_H
#define POSTINO_DMARC_H

#include <stddef.h>

/* What a From domain asks of receivers, or why we do not know. */
enum dmarc_policy {
	DMARC_ABSENT,		/* no record (NXDOMAIN, no DMARC TXT) */
	DMARC_NONE,		/* p=none */
	DMARC_QUARANTINE,
	DMARC_REJECT,
	DMARC_FAIL		/* SERVFAIL, timeout, refused: unknown */
};

/* One parsed record: p, and sp (the subdomains' policy; p when absent). */
struct dmarc_record {
	enum dmarc_policy	 p;
	enum dmarc_policy	 sp;
};

/*
 * Parse the text of one TXT record (its strings joined).  0 a DMARC
 * record; -1 with a static *error_r when it is not one ("v=DMARC1" not
 * first) or is invalid (no valid p and no rua, RFC 7489 §6.6.3 step 6:
 * a record with an invalid p but a rua counts as p=none).
 */
int	 dmarc_parse(const char *txt, size_t len, struct dmarc_record *,
	    const char **error_r);

/* "absent", "none", "quarantine", "reject", "fail"; and back (-1 when
 * name is none of them). */
const char *dmarc_policy_name(enum dmarc_policy);
int	 dmarc_policy_from_name(const char *name, enum dmarc_policy *);

/* Whether a post from a domain with policy p must be mitigated:
 * quarantine, reject, and a failed lookup (we cannot know). */
int	 dmarc_must_mitigate(enum dmarc_policy);

/* The organizational domain of domain (its registrable domain by the
 * Public Suffix List) into out; "" when domain is itself a public
 * suffix.  0, or -1 when it does not fit. */
int	 dmarc_org_domain(const char *domain, char *out, size_t size);

/* The smallest TTL of the TXT records in DNS answer a[0..alen), read
 * within its bounds; -1 when it holds none or is truncated before one. */
long	 dmarc_answer_ttl(const unsigned char *a, size_t alen);

struct dmarc_answer {
	enum dmarc_policy	 policy;
	long			 ttl;	/* seconds the answer may be kept */
	int			 from_org; /* found at the organizational domain */
};

/*
 * Discover the policy of From domain: _dmarc.<domain> and, when that has
 * no record, _dmarc.<organizational domain> (its sp, else p), both asked
 * at once.  resolver: "" for the system's (resolv.conf), else
 * "HOST:PORT[,HOST:PORT...]".  Waits at most timeout_ms; what has not
 * answered by then is DMARC_FAIL, and the resolver is then not asked
 * again for a minute (every look-up fails at once).  Always fills *a;
 * 0, or -1 when the resolver cannot be set up (a->policy DMARC_FAIL,
 * logged).
 */
int	 dmarc_lookup(const char *resolver, int timeout_ms, const char *domain,
	    struct dmarc_answer *a);

#endif
