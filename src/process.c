/*
 * process.c — from an acknowledged inbox row to a decision.
 *
 * Each row is handled in one transaction: the post row, the fan-out job
 * (with the decorated copy) and the removal of the inbox row commit
 * together, so a crash repeats the decision rather than losing or
 * doubling it.  A row is tried PROCESS_MAX_ATTEMPTS times (the attempt is
 * counted before the work starts), then quarantined: one poison message
 * never stops the list.
 *
 * Commands to the list's extensions (subscribe, confirm, ...) belong to
 * the membership and moderation modules; until a module claims an
 * extension, such mail is logged and dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "listconf.h"
#include "log.h"
#include "msg.h"
#include "process.h"
#include "template.h"

struct process {
	struct config	 cfg;		/* private copy of what we use */
	struct store	*st;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 kicked;
	int		 stop;
	void		(*kick)(void *);
	void		*kick_arg;
};

/* Everything derived from a list's address and settings for one post. */
struct post_ctx {
	const struct config	*cfg;
	struct store		*st;
	const struct store_inbox *in;
	struct store_list	 list;
	char			 local[ADDR_LOCAL_MAX + 1];
	const char		*domain;
};

static char *
list_setting(struct post_ctx *pc, const char *key)
{
	return listconf_get(pc->st, pc->list.id, pc->list.addr, key);
}

/* "team+what@example.org" */
static void
list_ext_addr(const struct post_ctx *pc, const char *what, struct buf *out)
{
	buf_printf(out, "%s%s%s@%s", pc->local, pc->cfg->recipient_delimiter,
	    what, pc->domain);
}

/* Render the list's footer template into out ("" when footer = no). */
static int
render_footer(struct post_ctx *pc, struct buf *out)
{
	struct buf help = BUF_INIT, unsub = BUF_INIT, owner = BUF_INIT;
	char *lang = list_setting(pc, "language");
	char *descr = list_setting(pc, "description");
	char *archive = list_setting(pc, "archive_url");
	struct template t = { NULL, NULL };
	char *error = NULL;
	int rc = -1;

	list_ext_addr(pc, "help", &help);
	list_ext_addr(pc, "unsubscribe", &unsub);
	list_ext_addr(pc, "owner", &owner);
	if (lang == NULL || descr == NULL || archive == NULL)
		goto out;
	if (template_load(pc->cfg->templates, NULL, lang, "footer", &t,
	    &error) < 0)
		goto out;
	{
		const struct tvar vars[] = {
			{ "list_addr", pc->list.addr },
			{ "list_name", pc->local },
			{ "description", descr },
			{ "help_addr", help.data },
			{ "unsubscribe_addr", unsub.data },
			{ "owner_addr", owner.data },
			{ "archive_url", archive },
		};

		rc = template_render(t.body, vars, sizeof(vars) / sizeof(vars[0]),
		    out, &error);
	}
out:
	if (error != NULL)
		log_warnx("list %s: footer: %s", pc->list.addr, error);
	free(error);
	template_clear(&t);
	buf_free(&help);
	buf_free(&unsub);
	buf_free(&owner);
	free(lang);
	free(descr);
	free(archive);
	return rc;
}

/* Build the outgoing copy of an accepted post. */
static int
decorate(struct post_ctx *pc, const struct msg *m, struct buf *out)
{
	struct buf footer = BUF_INIT, list_id = BUF_INIT;
	char *prefix = list_setting(pc, "subject_prefix");
	char *descr = list_setting(pc, "description");
	char *archive = list_setting(pc, "archive_url");
	struct decorate d;
	const char *error;
	int rc = -1;

	if (prefix == NULL || descr == NULL || archive == NULL)
		goto out;
	if (listconf_get_bool(pc->st, pc->list.id, pc->list.addr, "footer") &&
	    render_footer(pc, &footer) < 0)
		goto out;
	buf_printf(&list_id, "%s.%s", pc->local, pc->domain);
	memset(&d, 0, sizeof(d));
	d.list_addr = pc->list.addr;
	d.list_id = list_id.data;
	d.list_name = *descr != '\0' ? descr : NULL;
	d.delim = pc->cfg->recipient_delimiter;
	d.subject_prefix = prefix;
	d.footer = footer.data;
	d.archive_url = *archive != '\0' ? archive : NULL;
	if ((rc = msg_decorate(m, &d, out, &error)) < 0)
		log_warnx("list %s: cannot decorate post: %s", pc->list.addr,
		    error);
out:
	buf_free(&footer);
	buf_free(&list_id);
	free(prefix);
	free(descr);
	free(archive);
	return rc;
}

/* Why a post must not be redistributed at all (NULL: it may). */
static const char *
post_refusal(struct post_ctx *pc, const struct msg *m)
{
	struct buf list_id = BUF_INIT;
	const char *why = NULL;
	int loop;

	if (pc->in->sender[0] == '\0')
		return "null envelope sender";
	if ((why = msg_is_auto(m)) != NULL)
		return why;
	buf_printf(&list_id, "%s.%s", pc->local, pc->domain);
	loop = msg_is_loop(m, list_id.data, pc->list.addr);
	buf_free(&list_id);
	if (loop)
		return "mail loop: carries this list's own List-Id or X-Loop";
	if (msg_received_count(m) > PROCESS_MAX_RECEIVED)
		return "mail loop: too many Received: headers";
	return NULL;
}

/* 1 when From: or the envelope sender is a member, 0 not, -1 error. */
static int
is_member(struct post_ctx *pc, const struct msg *m)
{
	struct store_member mb;
	int rc;

	rc = store_member_get(pc->st, pc->list.id, msg_from(m), &mb);
	if (rc == 1)
		store_member_clear(&mb);
	if (rc != 0)
		return rc;
	rc = store_member_get(pc->st, pc->list.id, pc->in->sender, &mb);
	if (rc == 1)
		store_member_clear(&mb);
	return rc;
}

/* Decide held / accepted / discarded; fill p->state and p->reason. */
static int
post_decide(struct post_ctx *pc, const struct msg *m, struct store_post *p)
{
	const char *why;
	int member;

	if ((why = post_refusal(pc, m)) != NULL) {
		p->state = POST_DISCARDED;
		p->reason = xstrdup(why);
		return 0;
	}
	if ((member = is_member(pc, m)) < 0)
		return -1;
	if (!member) {
		p->state = POST_HELD;
		p->reason = xstrdup("sender is not a member of the list");
	} else if (listconf_get_bool(pc->st, pc->list.id, pc->list.addr,
	    "moderated")) {
		p->state = POST_HELD;
		p->reason = xstrdup("the list is moderated");
	} else
		p->state = POST_ACCEPTED;
	return 0;
}

/* Store the post and, when accepted, its fan-out job.  In a txn. */
static int
post_store(struct post_ctx *pc, const struct msg *m, struct store_post *p,
    int *job_r)
{
	struct buf out = BUF_INIT, bounces = BUF_INIT;
	int64_t post_id;
	int rc = -1;

	p->list_id = pc->list.id;
	p->message_id = pc->in->message_id;
	p->msgid = xstrdup(msg_message_id(m));
	p->subject = msg_subject(m);
	p->author = xstrdup(msg_from(m));
	p->sender = xstrdup(pc->in->sender);
	p->max_member = pc->in->max_member;
	p->created = time(NULL);
	if (store_post_add(pc->st, p, &post_id) < 0)
		goto out;
	if (p->state == POST_ACCEPTED) {
		if (decorate(pc, m, &out) < 0)
			goto out;
		list_ext_addr(pc, "bounces", &bounces);
		if (store_job_fanout(pc->st, pc->list.id, post_id, bounces.data,
		    out.data, out.len, p->max_member, listconf_get_bool(pc->st,
		    pc->list.id, pc->list.addr, "personalize") == 1, NULL) < 0)
			goto out;
		*job_r = 1;
	}
	rc = 0;
out:
	buf_free(&out);
	buf_free(&bounces);
	return rc;
}

static int
handle_post(struct post_ctx *pc, int *job_r)
{
	struct store_post p;
	struct msg *m = NULL;
	const char *error;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	if (msg_parse(pc->in->body, pc->in->len, &m, &error) < 0) {
		/* Checked at ingest; only a policy change can get here. */
		log_warnx("inbox %lld: list %s: malformed post dropped: %s",
		    (long long)pc->in->id, pc->list.addr, error);
		return 0;
	}
	if (post_decide(pc, m, &p) < 0 || post_store(pc, m, &p, job_r) < 0)
		goto out;
	log_info("inbox %lld: list %s: post %s from <%s> %s%s%s",
	    (long long)pc->in->id, pc->list.addr, msg_message_id(m),
	    pc->in->sender, post_state_name(p.state),
	    p.reason ? ": " : "", p.reason ? p.reason : "");
	rc = 0;
out:
	store_post_clear(&p);
	msg_free(&m);
	return rc;
}

int
process_row(struct store *st, const struct config *cfg,
    const struct store_inbox *in, int *job_r)
{
	struct post_ctx pc;
	size_t llen;
	int rc;

	*job_r = 0;
	memset(&pc, 0, sizeof(pc));
	pc.cfg = cfg;
	pc.st = st;
	pc.in = in;
	if (store_begin(st) < 0)
		return -1;
	rc = store_list_get_id(st, in->list_id, &pc.list);
	if (rc == 1) {
		pc.domain = addr_domain(pc.list.addr, &llen);
		if (llen > ADDR_LOCAL_MAX)
			llen = ADDR_LOCAL_MAX;
		memcpy(pc.local, pc.list.addr, llen);
		pc.local[llen] = '\0';
		if (in->ext[0] == '\0')
			rc = handle_post(&pc, job_r);
		else {
			log_info("inbox %lld: list %s: no handler for '%s'"
			    " mail from <%s>; dropped", (long long)in->id,
			    pc.list.addr, in->ext, in->sender);
			rc = 0;
		}
	} else if (rc == 0)
		log_info("inbox %lld: list %lld no longer exists; dropped",
		    (long long)in->id, (long long)in->list_id);
	if (rc == 0 && store_inbox_done(st, in->id) < 0)
		rc = -1;
	store_list_clear(&pc.list);
	if (rc < 0 || store_commit(st) < 0) {
		store_rollback(st);
		*job_r = 0;
		return -1;
	}
	return 0;
}

static void
wait_kick(struct process *p, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&p->lock);
	while (!p->kicked && !p->stop)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) ==
		    ETIMEDOUT)
			break;
	p->kicked = 0;
	pthread_mutex_unlock(&p->lock);
}

static void *
process_thread(void *arg)
{
	struct process *p = arg;
	struct store_inbox in;
	int rc, job;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		rc = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (rc)
			break;
		if (store_inbox_quarantine(p->st, PROCESS_MAX_ATTEMPTS) < 0) {
			wait_kick(p, 1);
			continue;
		}
		rc = store_inbox_next(p->st, PROCESS_MAX_ATTEMPTS, &in);
		if (rc == 0) {
			wait_kick(p, 1);
			continue;
		}
		if (rc < 0) {
			wait_kick(p, 1);
			continue;
		}
		if (process_row(p->st, &p->cfg, &in, &job) < 0)
			log_warnx("inbox %lld: processing failed (attempt %d)",
			    (long long)in.id, in.attempts);
		else if (job && p->kick != NULL)
			p->kick(p->kick_arg);
		store_inbox_clear(&in);
	}
	return NULL;
}

int
process_start(const struct config *cfg, void (*kick)(void *), void *kick_arg,
    struct process **p_r, char **error_r)
{
	struct process *p = xcalloc(1, sizeof(*p));
	struct buf err = BUF_INIT;
	const char *error;

	p->cfg = *cfg;			/* strings borrowed from the caller */
	p->kick = kick;
	p->kick_arg = kick_arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (store_open(cfg->database, STORE_RELAXED, &p->st, &error) < 0) {
		buf_printf(&err, "%s: %s", cfg->database, error);
		goto fail;
	}
	if ((errno = pthread_create(&p->thread, NULL, process_thread, p))) {
		buf_printf(&err, "cannot start the processor: %s",
		    strerror(errno));
		goto fail;
	}
	*p_r = p;
	return 0;
fail:
	store_close(&p->st);
	free(p);
	*error_r = buf_steal(&err, NULL);
	return -1;
}

void
process_kick(struct process *p)
{
	pthread_mutex_lock(&p->lock);
	p->kicked = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void
process_stop(struct process **pp)
{
	struct process *p = *pp;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	store_close(&p->st);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
	*pp = NULL;
}
