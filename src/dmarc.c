/*
 * dmarc.c — DMARC policy discovery (dmarc.h): the record parser, the
 * organizational domain by the Public Suffix List, and the lookup of
 * both _dmarc names at once through c-ares, bounded by a deadline.
 *
 * The PSL comes from psl_latest(NULL): the newer of libpsl's built-in
 * list and the distribution's file (psl_dist_filename(); on Debian
 * /usr/share/publicsuffix/public_suffix_list.dafsa of the publicsuffix
 * package, world-readable, so loading it after the privilege drop
 * works), loaded once per process on the first lookup.
 *
 * Owns: a c-ares channel for the length of one lookup.  Fails: a lookup
 * never fails as a call (a missing answer is DMARC_FAIL, which the
 * caller mitigates); the parser rejects what is not a DMARC record with
 * a precise reason.
 */
#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <libpsl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dmarc.h"
#include "log.h"

#define TTL_MIN		60	/* seconds an answer is kept at least */
#define TTL_MAX		86400	/* and at most */
#define TTL_ABSENT	3600	/* no record: ask again in an hour */
#define TTL_FAIL	60	/* a failed lookup: mitigate for a minute */
#define NAME_MAX_DNS	255
#define DNS_C_IN	1
#define DNS_T_TXT	16

/* ---- the record (RFC 7489 §6.3, §6.4) -------------------------------- */

static int
policy_word(const char *v, size_t n, enum dmarc_policy *p)
{
	static const struct { const char *w; enum dmarc_policy p; } t[] = {
		{ "none", DMARC_NONE }, { "quarantine", DMARC_QUARANTINE },
		{ "reject", DMARC_REJECT },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].w) == n && strncasecmp(v, t[i].w, n) == 0) {
			*p = t[i].p;
			return 0;
		}
	return -1;
}

/* Trim blanks around s[0..*n); returns the new start. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

struct tags {
	int	 have_p, have_sp, have_rua;
	enum dmarc_policy p, sp;
};

/* One "name=value" tag; the first is v.  0, or -1 with *error_r. */
static int
tag(const char *s, size_t n, int first, struct tags *t, const char **error_r)
{
	const char *eq = memchr(s, '=', n), *name, *v;
	size_t nl, vl;

	if (eq == NULL) {
		*error_r = first ? "not a DMARC record" : "tag without '='";
		return -1;
	}
	nl = (size_t)(eq - s);
	name = trim(s, &nl);
	vl = n - (size_t)(eq + 1 - s);
	v = trim(eq + 1, &vl);
	if (first) {
		if (nl != 1 || *name != 'v' || vl != 6 ||
		    memcmp(v, "DMARC1", 6) != 0) {
			*error_r = "not a DMARC record";
			return -1;
		}
	} else if (nl == 1 && *name == 'p' && !t->have_p)
		t->have_p = policy_word(v, vl, &t->p) == 0;
	else if (nl == 2 && memcmp(name, "sp", 2) == 0 && !t->have_sp)
		t->have_sp = policy_word(v, vl, &t->sp) == 0;
	else if (nl == 3 && memcmp(name, "rua", 3) == 0)
		t->have_rua = vl > 0;
	return 0;
}

int
dmarc_parse(const char *txt, size_t len, struct dmarc_record *r,
    const char **error_r)
{
	struct tags t;
	const char *p = txt, *e, *end = txt + len;
	size_t n;
	int first = 1;

	memset(&t, 0, sizeof(t));
	while (p < end) {
		e = memchr(p, ';', (size_t)(end - p));
		if (e == NULL)
			e = end;
		n = (size_t)(e - p);
		(void)trim(p, &n);
		if (n > 0 || first) {
			if (tag(p, (size_t)(e - p), first, &t, error_r) < 0)
				return -1;
			first = 0;
		}
		p = e + 1;
	}
	if (first) {
		*error_r = "not a DMARC record";
		return -1;
	}
	if (!t.have_p && !t.have_rua) {
		*error_r = "no valid p= tag";
		return -1;
	}
	r->p = t.have_p ? t.p : DMARC_NONE;
	r->sp = t.have_sp ? t.sp : r->p;
	return 0;
}

/* ---- names ----------------------------------------------------------- */

static const char *const names[] = { "absent", "none", "quarantine",
    "reject", "fail" };

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	return (size_t)p < sizeof(names) / sizeof(names[0]) ? names[p] :
	    "fail";
}

int
dmarc_policy_from_name(const char *name, enum dmarc_policy *p)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*p = (enum dmarc_policy)i;
			return 0;
		}
	return -1;
}

int
dmarc_must_mitigate(enum dmarc_policy p)
{
	return p == DMARC_QUARANTINE || p == DMARC_REJECT || p == DMARC_FAIL;
}

/* ---- once per process: c-ares and the PSL ---------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ares_ok;
static const psl_ctx_t *psl;

static void
dmarc_init(void)
{
	ares_ok = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
	if ((psl = psl_latest(NULL)) == NULL)
		psl = psl_builtin();
}

int
dmarc_org_domain(const char *domain, char *out, size_t size)
{
	const char *reg;

	(void)pthread_once(&once, dmarc_init);
	*out = '\0';
	if (psl == NULL || (reg = psl_registrable_domain(psl, domain)) == NULL)
		return 0;
	if (strlen(reg) >= size)
		return -1;
	memcpy(out, reg, strlen(reg) + 1);
	return 0;
}

/* ---- the answer ------------------------------------------------------ */

static int
skip_name(const unsigned char *a, size_t alen, size_t *p)
{
	unsigned int c;

	for (;;) {
		if (*p >= alen)
			return -1;
		c = a[*p];
		if (c == 0) {
			(*p)++;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			*p += 2;
			return *p <= alen ? 0 : -1;
		}
		if ((c & 0xc0) != 0)
			return -1;
		*p += 1 + c;
	}
}

long
dmarc_answer_ttl(const unsigned char *a, size_t alen)
{
	size_t p = 12, i, qd, an, rdlen;
	long ttl, min = -1;

	if (alen < 12)
		return -1;
	qd = (size_t)a[4] << 8 | a[5];
	an = (size_t)a[6] << 8 | a[7];
	for (i = 0; i < qd; i++) {
		if (skip_name(a, alen, &p) < 0)
			return -1;
		p += 4;
	}
	for (i = 0; i < an; i++) {
		if (skip_name(a, alen, &p) < 0 || p + 10 > alen)
			break;
		ttl = (long)((uint32_t)a[p + 4] << 24 | (uint32_t)a[p + 5] << 16 |
		    (uint32_t)a[p + 6] << 8 | a[p + 7]) & 0x7fffffffL;
		rdlen = (size_t)a[p + 8] << 8 | a[p + 9];
		if (((unsigned)a[p] << 8 | a[p + 1]) == DNS_T_TXT &&
		    (min < 0 || ttl < min))
			min = ttl;
		p += 10 + rdlen;
	}
	return min;
}

struct query {
	int			 done;
	int			 failed;
	int			 timeout;	/* no answer at all */
	int			 has_rec;
	struct dmarc_record	 rec;
	long			 ttl;
};

/* The DMARC records among the TXT records: exactly one counts. */
static void
take_records(struct query *q, const unsigned char *abuf, int alen)
{
	struct ares_txt_ext *txt = NULL, *t;
	struct dmarc_record rec;
	char rr[4096];
	size_t n = 0;
	const char *why;
	int count = 0;

	if (ares_parse_txt_reply_ext(abuf, alen, &txt) != ARES_SUCCESS)
		return;
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start)
			n = 0;
		if (n + t->length < sizeof(rr)) {
			memcpy(rr + n, t->txt, t->length);
			n += t->length;
		}
		if ((t->next == NULL || t->next->record_start) &&
		    dmarc_parse(rr, n, &rec, &why) == 0 && count++ == 0)
			q->rec = rec;
	}
	ares_free_data(txt);
	q->has_rec = count == 1;
	q->ttl = dmarc_answer_ttl(abuf, (size_t)alen);
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;

	(void)timeouts;
	if (q->done)
		return;
	q->done = 1;
	if (status == ARES_SUCCESS)
		take_records(q, abuf, alen);
	else if (status != ARES_ENOTFOUND && status != ARES_ENODATA) {
		q->failed = 1;
		q->timeout = status == ARES_ETIMEOUT;
	}
}

/*
 * A resolver that did not answer at all is not asked again for
 * TTL_FAIL seconds: every look-up meanwhile fails at once (and is
 * mitigated, as it would be after waiting), so a dead DNS server costs
 * the processor one timeout a minute, not one per post.
 */
static pthread_mutex_t dead_lock = PTHREAD_MUTEX_INITIALIZER;
static char dead_resolver[256];
static long long dead_until;

static int
resolver_dead(const char *resolver, long long now)
{
	int dead;

	pthread_mutex_lock(&dead_lock);
	dead = now < dead_until && strcmp(dead_resolver, resolver) == 0;
	pthread_mutex_unlock(&dead_lock);
	return dead;
}

static void
resolver_died(const char *resolver, long long now)
{
	pthread_mutex_lock(&dead_lock);
	snprintf(dead_resolver, sizeof(dead_resolver), "%s", resolver);
	dead_until = now + TTL_FAIL * 1000LL;
	pthread_mutex_unlock(&dead_lock);
	log_warnx("dmarc: resolver %s does not answer: DMARC look-ups fail"
	    " (and posts are mitigated) for %d s", *resolver != '\0' ?
	    resolver : "of resolv.conf", TTL_FAIL);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the answer is known: the From domain's own record or failure
 * decides alone; else both queries must be done. */
static int
settled(const struct query *qd, const struct query *qo)
{
	if (qd->done && (qd->has_rec || qd->failed))
		return 1;
	return qd->done && (qo == NULL || qo->done);
}

/* Run ch until settled or the deadline. */
static void
wait_answers(ares_channel ch, long long deadline, const struct query *qd,
    const struct query *qo)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval max, tv, *tvp;
	long long left;
	unsigned bits, rd, wr;
	int i, n, rc;

	while (!settled(qd, qo) && (left = deadline - now_ms()) > 0) {
		/* ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign bit. */
		bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		for (i = n = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			rd = bits & 1u << i;
			wr = bits & 1u << (i + ARES_GETSOCK_MAXNUM);
			if (!rd && !wr)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = (rd ? POLLIN : 0) | (wr ? POLLOUT : 0);
			pfd[n++].revents = 0;
		}
		if (n == 0)
			break;	/* nothing in flight */
		max.tv_sec = left / 1000;
		max.tv_usec = (left % 1000) * 1000;
		tvp = ares_timeout(ch, &max, &tv);
		rc = poll(pfd, (nfds_t)n, (int)(tvp->tv_sec * 1000 +
		    tvp->tv_usec / 1000));
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++)
			ares_process_fd(ch, pfd[i].revents & (POLLIN | POLLERR |
			    POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD,
			    pfd[i].revents & POLLOUT ? pfd[i].fd :
			    ARES_SOCKET_BAD);
	}
}

static long
clamp_ttl(long ttl)
{
	return ttl < TTL_MIN ? TTL_MIN : ttl > TTL_MAX ? TTL_MAX : ttl;
}

/* RFC 7489 §6.6.3: the domain's own record, else the organizational
 * domain's sp; a query that did not answer is a failure. */
static void
decide(const struct query *qd, const struct query *qo, struct dmarc_answer *a)
{
	a->policy = DMARC_ABSENT;
	a->ttl = TTL_ABSENT;
	if (!qd->done || qd->failed) {
		a->policy = DMARC_FAIL;
		a->ttl = TTL_FAIL;
	} else if (qd->has_rec) {
		a->policy = qd->rec.p;
		a->ttl = clamp_ttl(qd->ttl);
	} else if (qo == NULL)
		;
	else if (!qo->done || qo->failed) {
		a->policy = DMARC_FAIL;
		a->ttl = TTL_FAIL;
	} else if (qo->has_rec) {
		a->policy = qo->rec.sp;
		a->ttl = clamp_ttl(qo->ttl);
		a->from_org = 1;
	}
}

static int
channel_open(ares_channel *ch, const char *resolver, int timeout_ms)
{
	struct ares_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	/* Two tries: the second waits twice as long (c-ares doubles it). */
	o.timeout = timeout_ms / 3 > 100 ? timeout_ms / 3 : 100;
	o.tries = 2;
	if ((rc = ares_init_options(ch, &o, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES)) != ARES_SUCCESS) {
		log_warnx("dmarc: cannot set up the resolver: %s",
		    ares_strerror(rc));
		return -1;
	}
	if (resolver != NULL && *resolver != '\0' &&
	    (rc = ares_set_servers_ports_csv(*ch, resolver)) != ARES_SUCCESS) {
		log_warnx("dmarc: bad resolver '%s': %s", resolver,
		    ares_strerror(rc));
		ares_destroy(*ch);
		return -1;
	}
	return 0;
}

int
dmarc_lookup(const char *resolver, int timeout_ms, const char *domain,
    struct dmarc_answer *a)
{
	char org[NAME_MAX_DNS + 1], name[NAME_MAX_DNS + 8];
	struct query qd, qo;
	ares_channel ch;
	int ask_org;

	memset(a, 0, sizeof(*a));
	memset(&qd, 0, sizeof(qd));
	memset(&qo, 0, sizeof(qo));
	a->policy = DMARC_FAIL;
	a->ttl = TTL_FAIL;
	(void)pthread_once(&once, dmarc_init);
	if (resolver == NULL)
		resolver = "";
	if (resolver_dead(resolver, now_ms()))
		return 0;
	if (!ares_ok || strlen(domain) > NAME_MAX_DNS ||
	    channel_open(&ch, resolver, timeout_ms) < 0)
		return -1;
	if (dmarc_org_domain(domain, org, sizeof(org)) < 0)
		org[0] = '\0';
	ask_org = org[0] != '\0' && strcasecmp(org, domain) != 0;
	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	ares_query(ch, name, DNS_C_IN, DNS_T_TXT, on_answer, &qd);
	if (ask_org) {
		snprintf(name, sizeof(name), "_dmarc.%s", org);
		ares_query(ch, name, DNS_C_IN, DNS_T_TXT, on_answer, &qo);
	}
	wait_answers(ch, now_ms() + timeout_ms, &qd, ask_org ? &qo : NULL);
	decide(&qd, ask_org ? &qo : NULL, a);
	if (!qd.done || qd.timeout)
		resolver_died(resolver, now_ms());
	ares_destroy(ch);	/* cancels what is left: callbacks see done */
	return 0;
}
