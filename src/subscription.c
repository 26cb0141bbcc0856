/*
 * subscription.c — command mail: what reaches a list's command addresses.
 *
 * Mail to LIST+subscribe@, +unsubscribe@, +confirm-TOKEN@, +digest@,
 * +nomail@, +each@, +follow@, +mute@, +help@, +owner@, and commands to
 * LIST-request@: the table of cmdaddr.c reads the address or the
 * command, run_action runs it (joining and leaving: sub_member.c;
 * moderators' and authors' tokens, rules and log: sub_moderation.c;
 * bounces: sub_bounce.c).  A reply to a notice that lost the +TOKEN of
 * its address is read by the token tag of its Subject (subject_token):
 * at LIST@ (process.c sends it here) and at LIST-request@ it is that
 * token's command alone.  Everything runs inside the caller's
 * transaction: the token taken, the member added and the mails queued
 * commit together.
 *
 * Safety (reliability.md §3, §4.E): automatic mail is never answered;
 * an address is answered at most max_requests_per_day times a day (a
 * moderator's token decisions excepted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "bounce.h"
#include "cmdaddr.h"
#include "listctx.h"
#include "log.h"
#include "msg.h"
#include "notice.h"
#include "personal.h"
#include "request.h"
#include "store_digest.h"
#include "subscription.h"
#include "subscription_int.h"
#include "token.h"


static int	sub_mail_full(struct sctx *, const char *, const struct tvar *,
		    size_t, const char *, const char *, const char *,
		    const char *, const char *);

int
sub_mail(struct sctx *sc, const char *name, const struct tvar *vars, size_t n,
    const char *to, const char *reply_to, const char *from_role)
{
	return sub_mail_full(sc, name, vars, n, to, NULL, reply_to, NULL,
	    from_role);
}

int
sub_mail_to(struct sctx *sc, const char *name, const struct tvar *vars,
    size_t n, const char *to, const char *to_name, const char *reply_to,
    const char *from_role)
{
	return sub_mail_full(sc, name, vars, n, to, to_name, reply_to, NULL,
	    from_role);
}

int
sub_mail_token(struct sctx *sc, const char *name, const struct tvar *vars,
    size_t n, const char *to, const char *reply_to, const char *tok,
    const char *from_role)
{
	return sub_mail_full(sc, name, vars, n, to, NULL, reply_to, tok,
	    from_role);
}

/* To: "to_name" <to>; a token notice is From and Reply-To reply_to. */
static int
sub_mail_full(struct sctx *sc, const char *name, const struct tvar *vars,
    size_t n, const char *to, const char *to_name, const char *reply_to,
    const char *tok,
    const char *from_role)
{
	struct notice nt;
	char *error = NULL;

	notice_from_list(&nt, sc->lc, name, vars, n);
	nt.to = to;
	nt.to_name = to_name;
	nt.from_role = from_role;
	nt.reply_to = reply_to;
	nt.from_addr = tok != NULL ? reply_to : NULL;
	nt.subject_token = tok;
	nt.in_reply_to = sc->m != NULL && *msg_message_id(sc->m) ?
	    msg_message_id(sc->m) : NULL;
	if (notice_queue(sc->st, sc->cfg, &nt, &error) < 0) {
		log_warnx("list %s: cannot queue '%s' for <%s>: %s",
		    sc->list->addr, name, to, error ? error : "store error");
		free(error);
		return -1;
	}
	return 0;
}

/* Add a result line to the reply; the reply will be sent. */
int
sub_result_v(struct sctx *sc, const char *name, const struct tvar *vars,
    size_t n)
{
	char *error = NULL;

	if (notice_line(sc->cfg, sc->lc->lang, sc->lc->override, name, vars, n,
	    &sc->results, &error) < 0) {
		log_warnx("list %s: result '%s': %s", sc->list->addr, name,
		    error);
		free(error);
		return -1;
	}
	buf_puts(&sc->results, "\n");
	sc->need_reply = 1;
	return 0;
}

int
sub_result(struct sctx *sc, const char *name, const char *var, const char *value)
{
	struct tvar v = { var, value };

	return sub_result_v(sc, name, &v, var != NULL ? 1 : 0);
}

static int
do_mode(struct sctx *sc, const char *arg)
{
	struct store_member mb;
	enum member_mode mode;
	char mode_name[32], words[64];
	const char *format;
	size_t n;
	int rc;

	/* "digest", "digest plain", "digest-mime": a format after digest. */
	snprintf(words, sizeof(words), "%s", arg);
	for (n = strlen(words); n > 0 && (words[n - 1] == ' ' ||
	    words[n - 1] == '\t'); n--)
		words[n - 1] = '\0';
	arg = words;
	n = strcspn(arg, " \t-");
	format = arg + n + strspn(arg + n, " \t-");
	if (n >= sizeof(mode_name))
		n = sizeof(mode_name) - 1;
	memcpy(mode_name, arg, n);
	mode_name[n] = '\0';
	if (member_mode_parse(mode_name, &mode) < 0 || (*format != '\0' &&
	    (mode != MODE_DIGEST || (strcmp(format, "mime") != 0 &&
	    strcmp(format, "plain") != 0))))
		return sub_result(sc, "r_unknown_command", "command", arg);
	if ((rc = sub_is_member(sc, sc->who, &mb)) != 1)
		return rc < 0 ? -1 :
		    sub_result(sc, "r_not_member", "member_addr", sc->who);
	store_member_clear(&mb);
	if (store_member_set_mode(sc->st, sc->list->id, sc->who, mode) < 0)
		return -1;
	if (*format != '\0') {
		if (store_member_set_digest_format(sc->st, sc->list->id,
		    sc->who, format) < 0)
			return -1;
		snprintf(mode_name + n, sizeof(mode_name) - n, " %s", format);
	}
	buf_printf(sc->note, "; <%s> now %s", sc->who, mode_name);
	{
		const struct tvar vars[] = {
			{ "member_addr", sc->who }, { "mode", mode_name },
		};

		return sub_result_v(sc, "r_mode_set", vars, 2);
	}
}

/* 1 when the mail answers another (so it belongs to a thread). */
static int
is_reply(const struct msg *m)
{
	return msg_header_count(m, "In-Reply-To") > 0 ||
	    msg_header_count(m, "References") > 0;
}

static int
do_thread(struct sctx *sc, const char *pref)
{
	struct store_member mb;
	char *thread;
	int rc;

	if (!is_reply(sc->m))
		return sub_result(sc, "r_thread_unknown", NULL, NULL);
	if ((rc = sub_is_member(sc, sc->who, &mb)) != 1)
		return rc < 0 ? -1 :
		    sub_result(sc, "r_not_member", "member_addr", sc->who);
	thread = msg_thread(sc->m);
	rc = store_thread_pref_set(sc->st, mb.id, thread, pref);
	store_member_clear(&mb);
	if (rc == 0) {
		buf_printf(sc->note, "; <%s> %s thread <%s>", sc->who,
		    strcmp(pref, "mute") == 0 ? "muted" : "follows", thread);
		rc = sub_result(sc, strcmp(pref, "mute") == 0 ? "r_thread_muted" :
		    "r_thread_followed", "thread", thread);
	}
	free(thread);
	return rc;
}

struct addr_list {
	char	**v;
	size_t	  n;
};

static int
addr_collect(const char *addr, void *arg)
{
	struct addr_list *al = arg;

	al->v = xrealloc(al->v, (al->n + 1) * sizeof(*al->v));
	al->v[al->n++] = xstrdup(addr);
	return 0;
}

/* LIST+owner@: pass the mail on to the owners as it is. */
static int
do_owner(struct sctx *sc)
{
	struct addr_list al = { NULL, 0 };
	struct buf from = BUF_INIT;
	size_t i;
	int rc;

	(void)list_addr_ext(&sc->lc->name, "bounces", &from);
	rc = store_role_each(sc->st, sc->list->id, "owner", addr_collect, &al);
	if (rc == 0 && al.n == 0)
		buf_printf(sc->note, "; mail for the owners dropped: the list"
		    " has none");
	else if (rc == 0) {
		rc = store_job_direct(sc->st, from.data,
		    (const char *const *)al.v, al.n, sc->in->body, sc->in->len,
		    NULL);
		buf_printf(sc->note, "; passed on to %zu owner%s", al.n,
		    al.n == 1 ? "" : "s");
	}
	for (i = 0; i < al.n; i++)
		free(al.v[i]);
	free(al.v);
	buf_free(&from);
	return rc;
}

static int
do_help(struct sctx *sc)
{
	return sub_mail(sc, "help", NULL, 0, sc->who, NULL, NULL);
}

/* A personal link was used: act for the member it was made for. */
static int
link_act(struct sctx *sc, char action, const struct store_member *mb,
    const char *thread)
{
	const char *mode = "digest";

	if (action == PERSONAL_LEAVE)
		return sub_leave(sc, mb->addr);
	if (action == PERSONAL_MUTE) {
		if (store_thread_pref_set(sc->st, mb->id, thread, "mute") < 0)
			return -1;
		buf_printf(sc->note, "; <%s> muted thread <%s> by link",
		    mb->addr, thread);
		return sub_result(sc, "r_thread_muted", "thread", thread);
	}
	if (store_member_set_mode(sc->st, sc->list->id, mb->addr,
	    MODE_DIGEST) < 0)
		return -1;
	buf_printf(sc->note, "; <%s> now digest by link", mb->addr);
	{
		const struct tvar vars[] = {
			{ "member_addr", mb->addr }, { "mode", mode },
		};

		return sub_result_v(sc, "r_mode_set", vars, 2);
	}
}

/* LIST+u-ID-MAC@ and friends (the row's word is the action letter). */
static int
do_link(struct sctx *sc, const struct cmdaddr *ca)
{
	struct store_member mb;
	struct store_post post;
	char action = ca->row->word[0];
	int rc = 0, found;

	memset(&post, 0, sizeof(post));
	if (action == PERSONAL_MUTE &&
	    (rc = store_post_get(sc->st, ca->post, &post)) < 0)
		return -1;
	found = store_member_get_id(sc->st, sc->list->id, ca->member, &mb);
	if (found < 0) {
		store_post_clear(&post);
		return -1;
	}
	if (found == 0 || personal_verify(sc->list->addr, action, ca->member,
	    post.thread, ca->mac) < 0 || (action == PERSONAL_MUTE &&
	    post.list_id != sc->list->id)) {
		buf_printf(sc->note, "; personal link refused");
		rc = sub_result(sc, "r_token_unknown", "token", sc->in->ext);
	} else {
		/* The reply goes to the member, whoever used his link. */
		snprintf(sc->who, sizeof(sc->who), "%s", mb.addr);
		rc = link_act(sc, action, &mb, post.thread);
	}
	if (found == 1)
		store_member_clear(&mb);
	store_post_clear(&post);
	return rc < 0 ? -1 : 0;
}

static int
unknown_command(struct sctx *sc, const char *word)
{
	buf_printf(sc->note, "; unknown command '%s'", word);
	return sub_result(sc, "r_unknown_command", "command", word);
}

/* A delivery mode named by the row's word ("digest-plain"), followed by
 * the -request argument when the row takes one ("digest plain"). */
static int
mode_command(struct sctx *sc, const struct cmdaddr *ca)
{
	char mode[32];

	if (ca->row->arg == CA_ARG_NONE)
		return do_mode(sc, ca->row->word);
	snprintf(mode, sizeof(mode), "%s %s", ca->row->word, ca->arg);
	return do_mode(sc, mode);
}

static int	run_request(struct sctx *);
static int	run_action(struct sctx *, const struct cmdaddr *);
static int	token_row(struct sctx *, const char *, struct cmdaddr *);

/*
 * "confirm TOKEN" (LIST+confirm-TOKEN@, a -request line) with a token
 * made for something else (a held post's, a moderator's) does what that
 * token is for, rather than using it up as an unknown confirmation.
 */
static int
confirm_any(struct sctx *sc, const char *tok)
{
	struct cmdaddr ca;

	if (token_row(sc, tok, &ca) < 0)
		return -1;
	if (ca.row->action != CA_CONFIRM)
		return run_action(sc, &ca);
	return sub_confirm(sc, tok, 0);
}

/* The handler of each action of the command address table (cmdaddr.c);
 * ca->arg is the token of an extension or the -request argument. */
static int
run_action(struct sctx *sc, const struct cmdaddr *ca)
{
	const char *arg = ca->arg;

	switch (ca->row->action) {
	case CA_REQUEST:
		return run_request(sc);
	case CA_OWNER:
		return do_owner(sc);
	case CA_SUBSCRIBE:
		return sub_subscribe(sc);
	case CA_UNSUBSCRIBE:
		return sub_unsubscribe(sc);
	case CA_CONFIRM:
		return confirm_any(sc, arg);
	case CA_DECLINE:
		return sub_confirm(sc, arg, 1);
	case CA_SET:
		return do_mode(sc, strncmp(arg, "mode ", 5) == 0 ? arg + 5 :
		    arg);
	case CA_MODE:
		return mode_command(sc, ca);
	case CA_FOLLOW:
		return is_reply(sc->m) ? do_thread(sc, "follow") :
		    do_mode(sc, "follow");
	case CA_MUTE:
		return do_thread(sc, "mute");
	case CA_HELP:
		return do_help(sc);
	case CA_APPROVE:
	case CA_REJECT:
	case CA_DISCARD:
		return sub_moderate(sc, ca->row->action == CA_APPROVE ?
		    POST_ACCEPTED : ca->row->action == CA_REJECT ?
		    POST_REJECTED : POST_DISCARDED, arg);
	case CA_MODERATE:
		return sub_moderate_reply(sc, arg);
	case CA_APPEAL:
	case CA_UPHOLD:
	case CA_OVERTURN:
		return sub_appeal(sc, ca->row->word, arg);
	case CA_RULES:
		return sub_rules(sc);
	case CA_LOG:
		return sub_log(sc);
	case CA_LINK:
		return do_link(sc, ca);
	case CA_REENABLE:
		return sub_reenable(sc, arg);
	case CA_POST:
		return sub_post_confirm(sc, arg);
	case CA_BOUNCES:	/* never answered: subscription_handle */
	case CA_END:		/* run_request stops there */
	case CA_NACTIONS:	/* no row has it */
		break;
	}
	return 0;
}

/* LIST-request@: the commands in the Subject and the first lines. */
static int
run_request(struct sctx *sc)
{
	struct request_cmd cmds[REQUEST_MAX];
	size_t n, i;
	int rc;

	n = request_parse(sc->m, cmds, REQUEST_MAX);
	if (n == 0)
		return sub_result(sc, "r_no_commands", NULL, NULL);
	for (i = 0; i < n; i++) {
		struct cmdaddr ca = { cmds[i].row, cmds[i].arg, 0, 0, NULL };

		if (ca.row != NULL && ca.row->action == CA_END)
			break;
		rc = ca.row == NULL ? unknown_command(sc, cmds[i].word) :
		    run_action(sc, &ca);
		if (rc < 0)
			return -1;
	}
	/* Several commands: always one reply that lists what happened. */
	if (n > 1)
		sc->need_reply = sc->results.len > 0;
	return 0;
}

/* Why not to answer this mail at all, or NULL. */
static const char *
never_answer(struct sctx *sc)
{
	struct buf list_id = BUF_INIT;
	const char *why;
	int loop;

	if (sc->in->sender[0] == '\0')
		return "null envelope sender";
	if ((why = msg_is_auto(sc->m)) != NULL)
		return why;
	buf_printf(&list_id, "%s.%s", sc->lc->name.local,
	    sc->lc->name.domain);
	loop = msg_is_loop(sc->m, list_id.data, sc->list->addr);
	buf_free(&list_id);
	return loop ? "mail loop" : NULL;
}

/* The address the daily cap counts: user+anything@dom counts as
 * user@dom, so that plus-variants cannot multiply the mails a victim
 * gets (reliability.md §4.E.52). */
static void
cap_key(const struct sctx *sc, char out[ADDR_MAX])
{
	const char *domain, *plus = NULL;
	size_t llen;

	domain = addr_domain(sc->who, &llen);
	if (*sc->cfg->recipient_delimiter != '\0')
		plus = memchr(sc->who, *sc->cfg->recipient_delimiter, llen);
	if (plus == NULL || plus == sc->who) {
		snprintf(out, ADDR_MAX, "%s", sc->who);
		return;
	}
	snprintf(out, ADDR_MAX, "%.*s@%s", (int)(plus - sc->who), sc->who,
	    domain);
}

/* Under the daily cap?  1 yes, 0 over it (logged), -1 error. */
static int
within_cap(struct sctx *sc)
{
	char key[ADDR_MAX];
	int count;

	cap_key(sc, key);
	if (store_request_count(sc->st, sc->list->id, key,
	    (int64_t)(sc->now / 86400), &count) < 0)
		return -1;
	if (count <= sc->cfg->max_requests_per_day)
		return 1;
	buf_printf(sc->note, "; <%s> is over %d requests today: ignored",
	    sc->who, sc->cfg->max_requests_per_day);
	return 0;
}

static int
send_reply(struct sctx *sc)
{
	struct buf addr = BUF_INIT;
	int rc;
	const struct tvar vars[] = {
		{ "results", sc->results.data }, { "member_addr", sc->who },
	};

	if (!sc->need_reply || sc->results.len == 0)
		return 0;
	/* Drop the final newline: the template places the block. */
	sc->results.data[--sc->results.len] = '\0';
	if (sc->reply_ext.len == 0)
		return sub_mail(sc, "reply", vars, 2, sc->who, NULL, NULL);
	/* A reply that asks for another (a held post still undecided):
	 * answering it works like answering the notice. */
	(void)list_addr_ext(&sc->lc->name, sc->reply_ext.data, &addr);
	rc = sub_mail_token(sc, "reply", vars, 2, sc->who, addr.data,
	    strchr(sc->reply_ext.data, '-') + 1, NULL);
	buf_free(&addr);
	return rc;
}

void
sub_ctx_clear(struct sctx *sc)
{
	buf_free(&sc->results);
	buf_free(&sc->reply_ext);
	msg_free(&sc->m);
}

void
sub_ctx_init(struct sctx *sc, const struct list_ctx *lc,
    const struct store_inbox *in, struct buf *note)
{
	memset(sc, 0, sizeof(*sc));
	sc->lc = lc;
	sc->st = lc->st;
	sc->cfg = lc->cfg;
	sc->list = &lc->list;
	sc->in = in;
	sc->note = note;
	sc->now = time(NULL);
}

/*
 * A moderator's or owner's decision by token (approve, reject, uphold,
 * overturn, the confirmation of his own post, ...): never subject to the daily cap, which protects the
 * addresses of people who asked for nothing; a single-use token cannot
 * be replayed into a flood, and a decision must always be answered.
 */
static int
reviewer_token(const struct cmdaddr *ca)
{
	const char *purpose = ca->row != NULL ? ca->row->purpose : NULL;

	return purpose != NULL && ((strncmp(purpose, "mod_", 4) == 0 &&
	    strcmp(purpose, "mod_appeal") != 0) ||
	    strcmp(purpose, "post_confirm") == 0);
}

_Static_assert(REQUEST_TOKEN_LEN == TOKEN_LEN, "a Subject token is a token");

/*
 * The row a token of this list is for: the row of its purpose, or
 * confirm (a member's or an owner's confirmation, and a token the list
 * does not know: confirm says so).  Decline shares the owners' approval
 * token: a reply confirms, never declines.
 */
static int
token_row(struct sctx *sc, const char *tok, struct cmdaddr *ca)
{
	const struct cmdaddr_row *row = NULL;
	uint8_t hash[TOKEN_HASH];
	struct store_token t;
	size_t i;
	int rc = 0;

	if (token_hash(tok, strlen(tok), hash) == 0 && (rc = store_token_get(
	    sc->st, hash, sizeof(hash), sc->list->id, &t)) == 1) {
		for (i = 0; (row = cmdaddr_row(i)) != NULL; i++)
			if (row->action != CA_DECLINE && row->purpose != NULL &&
			    strcmp(row->purpose, t.purpose) == 0)
				break;
		store_token_clear(&t);
	}
	memset(ca, 0, sizeof(*ca));
	ca->row = row != NULL ? row : cmdaddr_word("confirm", 7, CA_EXT);
	ca->arg = tok;
	return rc < 0 ? -1 : 0;
}

/*
 * Mail to LIST@ (the processor found a token of the list in its
 * Subject: process.c) or to LIST-request@ whose Subject carries a
 * notice's token tag: the reply to that notice whose client lost the
 * +TOKEN of the address.  It is that token's command alone.
 */
static int
subject_token(struct sctx *sc, struct cmdaddr *ca, char *tok)
{
	char *subject;
	int found;

	if (*sc->in->ext != '\0' && (ca->row == NULL ||
	    ca->row->action != CA_REQUEST))
		return 0;
	subject = msg_subject(sc->m);
	found = request_subject_token(subject, tok);
	free(subject);
	if (!found)
		return 0;
	buf_printf(sc->note, "; token in the Subject");
	return token_row(sc, tok, ca);
}

int
subscription_handle(const struct list_ctx *lc, const struct store_inbox *in,
    struct buf *note)
{
	char tok[REQUEST_TOKEN_LEN + 1];
	struct sctx sc;
	struct cmdaddr ca;
	const char *why;
	int rc = -1;

	sub_ctx_init(&sc, lc, in, note);
	buf_printf(note, "list %s: '%s' mail from <%s>", lc->list.addr,
	    in->ext, in->sender);
	if (msg_parse(in->body, in->len, &sc.m, &why) < 0) {
		buf_printf(note, ": malformed, ignored: %s", why);
		return 0;
	}
	/* Mail to the bounce address is never answered: bounce.c reads
	 * the report, if it is one. */
	(void)cmdaddr_parse(in->ext, &ca);
	if (ca.row != NULL && ca.row->action == CA_BOUNCES) {
		rc = bounce_handle(lc, in, sc.m, ca.arg, note);
		goto out;
	}
	if ((why = never_answer(&sc)) != NULL) {
		buf_printf(note, ": not answered: %s", why);
		rc = 0;
		goto out;
	}
	snprintf(sc.who, sizeof(sc.who), "%s", *msg_from(sc.m) ?
	    msg_from(sc.m) : in->sender);
	if (subject_token(&sc, &ca, tok) < 0)
		goto out;
	if (!reviewer_token(&ca) && (rc = within_cap(&sc)) != 1)
		goto out;
	/* A row missing was stored before the router refused it at RCPT. */
	rc = (ca.row == NULL ? unknown_command(&sc, in->ext) :
	    run_action(&sc, &ca)) < 0 || send_reply(&sc) < 0 ? -1 : 0;
out:
	sub_ctx_clear(&sc);
	return rc < 0 ? -1 : 0;
}
