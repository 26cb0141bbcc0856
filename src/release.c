/*
 * release.c — a decided post on its way out (release.h): the copy a list
 * sends (the footer from the list's template, with personal links as
 * markers on personalized lists, filled in per recipient by the delivery
 * engine; the list headers and subject prefix by msg_decorate), the
 * envelope sender, Archived-At, the fan-out job and the thread follow
 * of its author.  Also the footer alone, for digests.
 *
 * DMARC: a post whose author's domain publishes p=quarantine or
 * p=reject, or whose lookup fails, or that is in dmarc_always, leaves
 * From the list (munged or wrapped, msg_dmarc.c).  The lookup runs here,
 * in release_prepare, outside the write lock: the store's cache first,
 * else DNS through c-ares bounded by dmarc_timeout (both _dmarc names
 * asked at once).  Only the processor waits, at most that long and once
 * per domain and TTL; sessions keep committing to the inbox and the
 * queue keeps sending meanwhile.  The answer is cached by
 * release_commit, inside the transaction.  A post released later
 * (release_post: a moderator, the hold deadline, an appeal) is looked
 * up then, inside its caller's transaction: on a cache miss that
 * transaction waits for DNS, at most dmarc_timeout.
 *
 * Owns: the buffers of a struct release until release_clear.  Fails: -1,
 * logged; a broken footer template is a broken copy, never a copy
 * without its footer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "archive.h"
#include "buf.h"
#include "dmarc.h"
#include "listctx.h"
#include "log.h"
#include "msg.h"
#include "personal.h"
#include "release.h"
#include "store_dmarc.h"
#include "template.h"

/* Marker addresses of the personal links (personal.h), or "" each. */
static void
personal_markers(const struct list_ctx *lc, struct buf *leave,
    struct buf *digest, struct buf *mute)
{
	const char *d = lc->name.delim;

	if (personal_marker(lc->list.addr, d, PERSONAL_LEAVE, leave) < 0 ||
	    personal_marker(lc->list.addr, d, PERSONAL_DIGEST, digest) < 0 ||
	    personal_marker(lc->list.addr, d, PERSONAL_MUTE, mute) < 0) {
		log_warnx("list %s: name too long for personal links",
		    lc->list.addr);
		buf_reset(leave);
		buf_reset(digest);
		buf_reset(mute);
	}
}

/*
 * Render the list's footer template into out.  A personalized list gets
 * footer_personal, whose links are markers that the delivery engine
 * fills in for each recipient.
 */
static int
render_footer(const struct list_ctx *lc, int personal, struct buf *out)
{
	struct buf help = BUF_INIT, unsub = BUF_INIT, owner = BUF_INIT;
	struct buf leave = BUF_INIT, digest = BUF_INIT, mute = BUF_INIT;
	struct template t = { NULL, NULL };
	char *error = NULL;
	int rc = -1;

	(void)list_addr_ext(&lc->name, "help", &help);
	(void)list_addr_ext(&lc->name, "unsubscribe", &unsub);
	(void)list_addr_ext(&lc->name, "owner", &owner);
	if (personal)
		personal_markers(lc, &leave, &digest, &mute);
	if (template_load(lc->cfg->templates, lc->override, lc->lang,
	    personal ? "footer_personal" : "footer", &t, &error) < 0)
		goto out;
	{
		const struct tvar vars[] = {
			{ "list_addr", lc->list.addr },
			{ "list_name", lc->name.local },
			{ "description", lc->descr },
			{ "help_addr", help.data },
			{ "unsubscribe_addr", unsub.data },
			{ "owner_addr", owner.data },
			{ "archive_url", lc->archive_url },
			{ "leave_link", leave.len ? leave.data : unsub.data },
			{ "digest_link", digest.len ? digest.data : "" },
			{ "mute_link", mute.len ? mute.data : "" },
		};

		rc = template_render(t.body, vars, personal ? 10 : 7, out,
		    &error);
	}
out:
	if (error != NULL)
		log_warnx("list %s: footer: %s", lc->list.addr, error);
	free(error);
	template_clear(&t);
	buf_free(&help);
	buf_free(&unsub);
	buf_free(&owner);
	buf_free(&leave);
	buf_free(&digest);
	buf_free(&mute);
	return rc;
}

/* Whether domain is one of the blank/comma list always, or below one. */
static int
always_mitigated(const char *always, const char *domain)
{
	size_t dl = strlen(domain), n;
	const char *p = always;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n > 0 && n <= dl &&
		    strncasecmp(domain + dl - n, p, n) == 0 &&
		    (n == dl || domain[dl - n - 1] == '.'))
			return 1;
		p += n;
	}
	return 0;
}

/* The DMARC policy of domain: the cache, else DNS, the answer kept in r
 * for release_commit to cache. */
static enum dmarc_policy
author_policy(const struct list_ctx *lc, const char *domain,
    struct release *r)
{
	struct dmarc_answer a;
	enum dmarc_policy p;
	char word[16];

	if (strcmp(lc->cfg->resolver, "off") == 0)
		return DMARC_ABSENT;	/* no DNS: dmarc_always only */
	if (store_dmarc_get(lc->st, domain, time(NULL), word,
	    sizeof(word)) == 1 && dmarc_policy_from_name(word, &p) == 0)
		return p;
	(void)dmarc_lookup(lc->cfg->resolver, lc->cfg->dmarc_timeout * 1000,
	    domain, &a);
	free(r->dmarc_domain);
	r->dmarc_domain = xstrdup(domain);
	r->dmarc_policy = a.policy;
	r->dmarc_expires = time(NULL) + a.ttl;
	return a.policy;
}

/* Whether and how the copy of m leaves From the list (d->dmarc). */
static void
dmarc_plan(const struct list_ctx *lc, const struct msg *m,
    struct release *r, struct decorate *d)
{
	const char *domain = strrchr(msg_from(m), '@'), *why;
	enum dmarc_policy p;

	if (lc->dmarc == LIST_DMARC_OFF || domain == NULL ||
	    *++domain == '\0' || *domain == '[')
		return;		/* an address literal has no DMARC */
	if (always_mitigated(lc->dmarc_always, domain))
		why = "in dmarc_always";
	else if (dmarc_must_mitigate(p = author_policy(lc, domain, r)))
		why = dmarc_policy_name(p);
	else
		return;
	d->dmarc = lc->dmarc == LIST_DMARC_WRAP ? DECORATE_DMARC_WRAP :
	    DECORATE_DMARC_MUNGE;
	d->via = lc->name.local;
	d->reply_to_list = lc->reply_to_list;
	log_info("list %s: post from %s: DMARC %s: %s", lc->list.addr,
	    msg_from(m), why, d->dmarc == DECORATE_DMARC_WRAP ? "wrapped" :
	    "From munged");
}

/* Build the outgoing copy of an accepted post into r->body. */
static int
decorate(const struct list_ctx *lc, const struct msg *m, struct release *r)
{
	static const char *const cmds[] = { "help", "subscribe",
	    "unsubscribe", "owner" };
	struct buf footer = BUF_INIT, list_id = BUF_INIT, cmd[4];
	struct decorate d;
	const char *error;
	size_t i;
	int rc = -1;

	for (i = 0; i < 4; i++)
		buf_init(&cmd[i]);
	for (i = 0; i < 4; i++)
		if (list_addr_ext(&lc->name, cmds[i], &cmd[i]) < 0)
			goto out;
	if (lc->footer && render_footer(lc, lc->personalize, &footer) < 0)
		goto out;
	buf_printf(&list_id, "%s.%s", lc->name.local, lc->name.domain);
	memset(&d, 0, sizeof(d));
	d.list_addr = lc->list.addr;
	d.list_id = list_id.data;
	d.list_name = *lc->descr != '\0' ? lc->descr : NULL;
	d.help_addr = cmd[0].data;
	d.subscribe_addr = cmd[1].data;
	d.unsubscribe_addr = cmd[2].data;
	d.owner_addr = cmd[3].data;
	d.subject_prefix = lc->subject_prefix;
	d.footer = footer.data;
	d.archive_url = *lc->archive_url != '\0' ? lc->archive_url : NULL;
	dmarc_plan(lc, m, r, &d);
	if ((rc = msg_decorate(m, &d, &r->body, &error)) < 0)
		log_warnx("list %s: cannot decorate post: %s", lc->list.addr,
		    error);
out:
	for (i = 0; i < 4; i++)
		buf_free(&cmd[i]);
	buf_free(&footer);
	buf_free(&list_id);
	return rc;
}

/* "Archived-At: <archive_url/YYYY-MM/ID.html>" (RFC 5064) in front of
 * the copy of post p; nothing when the list has no archive_url. */
static void
archived_at(const char *archive_url, const struct store_post *p,
    struct buf *body)
{
	struct buf page = BUF_INIT, out = BUF_INIT;
	size_t n;

	if (archive_url == NULL || *archive_url == '\0')
		return;
	n = strlen(archive_url);
	archive_page_path(p->id, p->created, &page);
	buf_printf(&out, "Archived-At: <%.*s/%s>\r\n", (int)(n > 0 &&
	    archive_url[n - 1] == '/' ? n - 1 : n), archive_url, page.data);
	buf_append(&out, body->data, body->len);
	buf_free(body);
	*body = out;
	buf_free(&page);
}

/* A member follows the threads he starts or replies to, unless muted. */
static int
follow_own_thread(struct store *st, int64_t member, const char *thread)
{
	const char *pref;
	int rc;

	if (thread == NULL || *thread == '\0')
		return 0;
	if ((rc = store_thread_pref_get(st, member, thread, &pref)) < 0)
		return -1;
	if (rc == 1)
		return 0;	/* muted or already following: keep it */
	return store_thread_pref_set(st, member, thread, "follow");
}

int
release_prepare(const struct list_ctx *lc, const struct msg *m,
    int64_t author_member, struct release *r)
{
	memset(r, 0, sizeof(*r));
	if (decorate(lc, m, r) < 0)
		return -1;
	(void)list_addr_ext(&lc->name, "bounces", &r->env_from);
	r->archive_url = xstrdup(lc->archive_url);
	r->per_rcpt = lc->personalize || lc->verp;
	r->author_member = author_member;
	return 0;
}

int
release_commit(struct store *st, struct release *r,
    const struct store_post *p)
{
	/* A new answer also clears the expired ones: the cache holds one
	 * row per domain, looked up at most once per TTL. */
	if (r->dmarc_domain != NULL && (store_dmarc_purge(st,
	    time(NULL)) < 0 || store_dmarc_put(st, r->dmarc_domain,
	    dmarc_policy_name(r->dmarc_policy), r->dmarc_expires) < 0))
		return -1;
	archived_at(r->archive_url, p, &r->body);
	if (store_job_fanout(st, p->list_id, p->id, r->env_from.data,
	    r->body.data, r->body.len, p->max_member, r->per_rcpt, p->thread,
	    NULL) < 0)
		return -1;
	if (r->author_member != 0 &&
	    follow_own_thread(st, r->author_member, p->thread) < 0)
		return -1;
	return 0;
}

void
release_clear(struct release *r)
{
	buf_free(&r->body);
	buf_free(&r->env_from);
	free(r->archive_url);
	free(r->dmarc_domain);
	memset(r, 0, sizeof(*r));
}

/* The member who wrote p (From:, else the envelope sender): 1, 0, -1. */
static int
author_member(const struct list_ctx *lc, const struct store_post *p,
    int64_t *id_r)
{
	struct store_member mb;
	int rc;

	*id_r = 0;
	rc = store_member_get(lc->st, lc->list.id, p->author, &mb);
	if (rc == 0)
		rc = store_member_get(lc->st, lc->list.id, p->sender, &mb);
	if (rc == 1) {
		*id_r = mb.id;
		store_member_clear(&mb);
	}
	return rc;
}

int
release_post(const struct list_ctx *lc, const struct store_post *p)
{
	struct release r;
	struct msg *m = NULL;
	const char *why;
	char *raw = NULL;
	int64_t member;
	size_t len;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (store_message_get(lc->st, p->message_id, &raw, &len) < 0)
		goto out;
	if (msg_parse(raw, len, &m, &why) < 0) {
		log_warnx("post %lld: cannot parse: %s", (long long)p->id, why);
		goto out;
	}
	if (author_member(lc, p, &member) < 0 ||
	    release_prepare(lc, m, member, &r) < 0)
		goto out;
	rc = release_commit(lc->st, &r, p);
out:
	release_clear(&r);
	msg_free(&m);
	free(raw);
	return rc;
}

int
release_footer(const struct list_ctx *lc, struct buf *out)
{
	if (!lc->footer)
		return 0;
	return render_footer(lc, 0, out);
}
