/*
 * cmd_mod.c — `postino mod ls|show|approve|reject|discard`: the posts
 * held for moderation, and deciding them from the shell.  A decision goes
 * through moderation_decide, exactly as one made by mail: first decision
 * wins, logged, the author told of a rejection, nobody of a discard (a
 * non-member's post only).  approve --always also adds, in the same
 * transaction, a logged rule accepting the author from now on.
 *
 * Owns nothing beyond one command's run.  Results go to stdout (one JSON
 * array with --json), errors to stderr as "postino: mod SUB: what: why";
 * exit codes (sysexits): 64 usage, 65 bad list address, a member's post
 * to discard or an author --always cannot name, 67 no such list or
 * post, 73 decided already, 75 store error, 77 --as no reviewer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cmd.h"
#include "listctx.h"
#include "buf.h"
#include "moderation.h"
#include "modlog.h"
#include "postino.h"
#include "rules.h"
#include "store.h"
#include "token.h"

static int	mod_ls(struct cmd_ctx *, int, char **);
static int	mod_show(struct cmd_ctx *, int, char **);
static int	mod_approve(struct cmd_ctx *, int, char **);
static int	mod_reject(struct cmd_ctx *, int, char **);
static int	mod_discard(struct cmd_ctx *, int, char **);

static const struct cmd_sub mod_cmds[] = {
	{ "ls", mod_ls, CMD_STORE | CMD_JSON, "mod ls LIST [--json]" },
	{ "show", mod_show, CMD_STORE | CMD_JSON, "mod show LIST ID [--json]" },
	{ "approve", mod_approve, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "mod approve LIST ID [--as ADDR] [--always]" },
	{ "reject", mod_reject, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "mod reject LIST ID --reason TEXT [--as ADDR]" },
	{ "discard", mod_discard, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "mod discard LIST ID [--as ADDR]" },
};
#define NMOD_CMDS	(sizeof(mod_cmds) / sizeof(mod_cmds[0]))

struct held_state {
	int	 json;
	int	 n;
};

/* One-line text: control characters (a subject could hold any) as '?'. */
static void
print_field(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 32 || *s == 127 ? '?' : *s);
}

static int
held_one(const struct store_post *p, void *arg)
{
	struct held_state *s = arg;
	char when[CMD_TIME_MAX], due[CMD_TIME_MAX] = "-";

	cmd_time(p->created, when);
	if (p->deadline > 0)
		cmd_time(p->deadline, due);
	if (!s->json) {
		printf("%lld\t%s\t%s\t", (long long)p->id, when, due);
		print_field(p->author);
		putchar('\t');
		print_field(p->subject);
		putchar('\t');
		print_field(p->reason);
		putchar('\n');
	} else {
		printf("%s\n  {\"id\": %lld, \"date\": \"%s\", \"deadline\": ",
		    s->n ? "," : "", (long long)p->id, when);
		if (p->deadline > 0)
			printf("\"%s\"", due);
		else
			printf("null");
		printf(", \"author\": ");
		json_str(stdout, p->author);
		printf(", \"sender\": ");
		json_str(stdout, p->sender);
		printf(", \"subject\": ");
		json_str(stdout, p->subject);
		printf(", \"message_id\": ");
		json_str(stdout, p->msgid);
		printf(", \"reason\": ");
		json_str(stdout, p->reason);
		printf("}");
	}
	s->n++;
	return 0;
}

static int
mod_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct held_state s;
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 2)
		return cmd_usage(mod_cmds, NMOD_CMDS, "ls");
	if ((rc = cmd_list_find(ctx, "mod ls", argv[1], &st, &l)) != 0)
		return rc;
	s.json = ctx->json;
	s.n = 0;
	if (ctx->json)
		printf("[");
	if (store_post_each(st, l.id, POST_HELD, held_one, &s) < 0) {
		fprintf(stderr, "postino: mod ls: store error: %s\n",
		    store_errmsg(st));
		rc = EX_TEMPFAIL_;
	} else if (ctx->json)
		printf("%s]\n", s.n ? "\n" : "");
	store_list_clear(&l);
	return rc;
}

static int
post_id_arg(const char *sub, const char *s, int64_t *id_r)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1) {
		fprintf(stderr, "postino: mod %s: '%s' is not a post number\n",
		    sub, s);
		return EX_DATAERR_;
	}
	*id_r = v;
	return 0;
}

/* One post and its message (as received; invalid UTF-8 escaped as
 * json_str does) as one JSON object. */
static void
show_json(const struct store_post *p, const char *raw)
{
	char when[CMD_TIME_MAX], due[CMD_TIME_MAX];
	const struct {
		const char	*key, *value;
	} f[] = {
		{ "state", post_state_name(p->state) }, { "author", p->author },
		{ "sender", p->sender }, { "subject", p->subject },
		{ "message_id", p->msgid }, { "rule", p->rule },
		{ "reason", p->reason }, { "message", raw },
	};
	size_t i;

	cmd_time(p->created, when);
	cmd_time(p->deadline, due);
	printf("{\"id\": %lld, \"date\": \"%s\", \"deadline\": ",
	    (long long)p->id, when);
	if (p->deadline > 0)
		printf("\"%s\"", due);
	else
		printf("null");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		printf(", \"%s\": ", f[i].key);
		json_str(stdout, f[i].value != NULL ? f[i].value : "");
	}
	printf("}\n");
}

static int
mod_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store_post p;
	struct store *st;
	char *raw = NULL;
	size_t len;
	int64_t id;
	int rc;

	if (argc != 3)
		return cmd_usage(mod_cmds, NMOD_CMDS, "show");
	if ((rc = post_id_arg("show", argv[2], &id)) != 0 ||
	    (rc = cmd_list_find(ctx, "mod show", argv[1], &st, &l)) != 0)
		return rc;
	rc = store_post_get(st, id, &p);
	if (rc == 1 && p.list_id != l.id) {
		store_post_clear(&p);
		rc = 0;
	}
	if (rc <= 0) {
		store_list_clear(&l);
		if (rc < 0)
			return cmd_store_error(st, "mod show");
		fprintf(stderr, "postino: mod show: no post %s on %s\n",
		    argv[2], argv[1]);
		return EX_NOUSER_;
	}
	if (store_message_get(st, p.message_id, &raw, &len) < 0) {
		store_post_clear(&p);
		store_list_clear(&l);
		return cmd_store_error(st, "mod show");
	}
	if (ctx->json)
		show_json(&p, raw);
	else {
		printf("post %lld  %s  from <%s>  rule %s\nreason: %s\n\n",
		    (long long)p.id, post_state_name(p.state), p.author,
		    *p.rule ? p.rule : "-", p.reason);
		fwrite(raw, 1, len, stdout);
	}
	free(raw);
	store_post_clear(&p);
	store_list_clear(&l);
	return 0;
}

/* Say what came of a decision; the exit code. */
static int
decision_report(const char *sub, const char *id, const struct mod_result *r)
{
	char when[CMD_TIME_MAX];

	switch (r->outcome) {
	case MOD_DECIDED:
		printf("post %s %s\n", id, strcmp(sub, "approve") == 0 ?
		    "approved: it goes to the members" :
		    strcmp(sub, "reject") == 0 ?
		    "rejected: the author was told why" :
		    "discarded: nobody was told, the log says so");
		return 0;
	case MOD_MEMBER_POST:
		fprintf(stderr, "postino: mod %s: post %s is a member's: it"
		    " cannot be discarded (approve or reject it)\n", sub, id);
		return EX_DATAERR_;
	case MOD_TOO_LATE:
		cmd_time(r->when, when);
		fprintf(stderr, "postino: mod %s: post %s was already %s by %s"
		    " at %s; nothing changed\n", sub, id, r->state,
		    *r->by ? r->by : "the owner", when);
		return EX_CANTCREAT_;
	case MOD_OWN_POST:
		fprintf(stderr, "postino: mod %s: nobody decides on a post of"
		    " his own\n", sub);
		return EX_DATAERR_;
	default:
		fprintf(stderr, "postino: mod %s: no held post %s on this"
		    " list\n", sub, id);
		return EX_NOUSER_;
	}
}

/* approve / reject: LIST ID [--reason TEXT] [--as ADDR] */
/*
 * Who the log names as deciding: --as ADDR must be an owner or moderator
 * of the list now (1 after saying why when not); without --as, the
 * shell user ("shell:alice"), who is never taken for a moderator.
 * 0, 1, or -1 on a store error.
 */
static int
decider(struct cmd_ctx *ctx, const struct list_ctx *lc, const char *sub,
    char as[ADDR_MAX])
{
	int rc;

	if (*as == '\0') {
		snprintf(as, ADDR_MAX, "shell:%s", ctx->shell_user);
		return 0;
	}
	if ((rc = moderation_is_reviewer(lc, as)) != 0)
		return rc < 0 ? -1 : 0;
	fprintf(stderr, "postino: mod %s: --as %s: not an owner or moderator"
	    " of %s\n", sub, as, lc->list.addr);
	return 1;
}

/*
 * approve --always: the post's author is accepted from now on, by a rule
 * "sender ADDR accept" at the top, logged as any rule change, in the
 * decision's transaction.  0, -1 store error, or EX_DATAERR_ after
 * saying why not (the caller then rolls the approval back too).
 */
static int
always_accept(const struct list_ctx *lc, int64_t id, const char *as)
{
	struct buf name = BUF_INIT, text = BUF_INIT;
	struct modlog_entry e;
	struct store_post p;
	const char *who, *s, *error = "it holds * or ?, which a rule reads"
	    " as a glob";
	int rc;

	if ((rc = store_post_get(lc->st, id, &p)) != 1)
		return -1;
	who = *p.author ? p.author : p.sender;
	buf_puts(&name, "always-");
	for (s = who; *s != '\0' && name.len < 64; s++)
		buf_append(&name, strchr("abcdefghijklmnopqrstuvwxyz"
		    "0123456789._-", *s) != NULL ? s : "_", 1);
	buf_printf(&text, "%s is accepted from now on (post %lld)", who,
	    (long long)id);
	if (strpbrk(who, "*?") != NULL ||
	    rules_check("sender", who, "accept", &error) < 0) {
		fprintf(stderr, "postino: mod approve: --always: <%s>: %s\n",
		    who, error);
		rc = EX_DATAERR_;
	} else if ((rc = rules_add(lc->st, lc->list.id, name.data, "sender",
	    who, "accept", text.data, 1)) == 0) {
		memset(&e, 0, sizeof(e));
		e.action = MODLOG_RULE_CHANGED;
		e.msgid = e.subject = "";
		e.rule = name.data;
		e.reason = text.data;
		e.moderator = as;
		rc = modlog_append(lc->st, lc->list.id, &e);
	} else if (rc == 1) {
		printf("rule %s accepts <%s> already\n", name.data, who);
		rc = 0;
	}
	store_post_clear(&p);
	buf_free(&name);
	buf_free(&text);
	return rc;
}

static int
mod_decide(struct cmd_ctx *ctx, int argc, char **argv, enum post_state to)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "as", required_argument, NULL, 'a' },
		{ "always", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = to == POST_ACCEPTED ? "approve" :
	    to == POST_REJECTED ? "reject" : "discard";
	char where[32], as[ADDR_MAX] = "";
	const char *reason = "", *error;
	struct mod_result res;
	struct store_list l;
	struct list_ctx lc;
	struct store *st;
	int64_t id;
	int c, rc, always = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:a:A", opts, NULL)) != -1) {
		if (c == 'r' && to == POST_REJECTED)
			reason = optarg;
		else if (c == 'A' && to == POST_ACCEPTED)
			always = 1;
		else if (c == 'a' && addr_normalize(optarg, as, &error) < 0) {
			fprintf(stderr, "postino: mod %s: --as '%s': %s\n", sub,
			    optarg, error);
			return EX_DATAERR_;
		} else if (c != 'a')
			return cmd_usage(mod_cmds, NMOD_CMDS, sub);
	}
	if (argc - optind != 2)
		return cmd_usage(mod_cmds, NMOD_CMDS, sub);
	if (to == POST_REJECTED && *reason == '\0') {
		fprintf(stderr, "postino: mod reject: a rejection needs a reason"
		    " (--reason TEXT): it reaches the author\n");
		return EX_USAGE_;
	}
	snprintf(where, sizeof(where), "mod %s", sub);
	if ((rc = post_id_arg(sub, argv[optind + 1], &id)) != 0 ||
	    (rc = cmd_list_find(ctx, where, argv[optind], &st, &l)) != 0)
		return rc;
	memset(&lc, 0, sizeof(lc));
	memset(&res, 0, sizeof(res));
	if (store_begin(st) < 0 || list_ctx_init(st, &ctx->cfg, &l, &lc) < 0 ||
	    (rc = decider(ctx, &lc, sub, as)) < 0 ||
	    (rc == 0 && moderation_decide(&lc, id, to, as, reason, &res) < 0) ||
	    (rc == 0 && always && res.outcome == MOD_DECIDED &&
	    (rc = always_accept(&lc, id, as)) < 0) ||
	    (rc == 0 && store_commit(st) < 0)) {
		rc = cmd_store_error(st, where);
		store_rollback(st);
	} else if (rc == 0)
		rc = decision_report(sub, argv[optind + 1], &res);
	else {
		store_rollback(st);
		rc = rc == 1 ? EX_NOPERM_ : rc;
	}
	mod_result_clear(&res);
	list_ctx_clear(&lc);
	store_list_clear(&l);
	return rc;
}

static int
mod_approve(struct cmd_ctx *ctx, int argc, char **argv)
{
	return mod_decide(ctx, argc, argv, POST_ACCEPTED);
}

static int
mod_reject(struct cmd_ctx *ctx, int argc, char **argv)
{
	return mod_decide(ctx, argc, argv, POST_REJECTED);
}

static int
mod_discard(struct cmd_ctx *ctx, int argc, char **argv)
{
	return mod_decide(ctx, argc, argv, POST_DISCARDED);
}

int
cmd_mod(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "mod", mod_cmds, NMOD_CMDS, argc, argv);
}
