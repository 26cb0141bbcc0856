/*
 * cmd_rules.c — `postino rules LIST ls|add|rm|mv`: a list's published
 * rules, in the order they are tried (rules.h).
 *
 * The list comes before the subcommand (argv: "rules", LIST, SUB, ...);
 * cmd_rules swaps the two so that the family table reads as elsewhere.
 * Names and texts are checked here (what a user typed); conditions,
 * arguments and actions by rules_check, which also keeps discard away
 * from members' posts.  Each change runs in one transaction, into which
 * the moderation log entry will go (rules_logged).
 * Owns nothing beyond one command's run.  Errors go to stderr as
 * "postino: rules SUB: what is wrong"; exit codes (sysexits): 64 usage,
 * 65 bad input, 67 no such list or rule, 73 name taken, 75 store error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmd.h"
#include "modlog.h"
#include "postino.h"
#include "rules.h"
#include "store.h"

#define RULE_POS_MAX	100000

static int	rules_ls(struct cmd_ctx *, int, char **);
static int	rules_add_cmd(struct cmd_ctx *, int, char **);
static int	rules_rm_cmd(struct cmd_ctx *, int, char **);
static int	rules_mv_cmd(struct cmd_ctx *, int, char **);

static const struct cmd_sub rules_cmds[] = {
	{ "ls", rules_ls, CMD_STORE | CMD_JSON, "rules LIST ls [--json]" },
	{ "add", rules_add_cmd, CMD_STORE,
	    "rules LIST add NAME ACTION COND [ARG]"
	    " [--text TEXT] [--position N]" },
	{ "rm", rules_rm_cmd, CMD_STORE, "rules LIST rm NAME" },
	{ "mv", rules_mv_cmd, CMD_STORE, "rules LIST mv NAME POSITION" },
};
#define NRULES_CMDS	(sizeof(rules_cmds) / sizeof(rules_cmds[0]))

/* "FAMILY SUB", the start of every error line of a subcommand. */
static const char *
where(const char *sub)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "rules %s", sub);
	return buf;
}

static int
usage(const char *sub)
{
	return cmd_usage(rules_cmds, NRULES_CMDS, sub);
}

/* ---- what a user typed ------------------------------------------- */

static int
name_check(const char *sub, const char *name)
{
	const char *why;

	if (rules_name_check(name, &why) < 0) {
		fprintf(stderr, "postino: rules %s: rule name '%s': 1 to 64"
		    " letters, digits, '.', '_' or '-'\n", sub, name);
		return EX_DATAERR_;
	}
	return 0;
}

/* One line of at most 500 characters (UTF-8), no control characters
 * (C0, DEL, C1): rules_text_check. */
static int
text_check(const char *text)
{
	const char *why;

	if (rules_text_check(text, &why) < 0) {
		fprintf(stderr, "postino: rules add: text %s\n", why);
		return EX_DATAERR_;
	}
	return 0;
}

/* A position: 1..RULE_POS_MAX; 0, or EX_DATAERR_ after saying why. */
static int
position_parse(const char *sub, const char *s, int *pos_r)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || v < 1 ||
	    v > RULE_POS_MAX) {
		fprintf(stderr, "postino: rules %s: position '%s': a number"
		    " from 1 to 100000\n", sub, s);
		return EX_DATAERR_;
	}
	*pos_r = (int)v;
	return 0;
}

/*
 * Every rule change goes into the moderation log, in the change's own
 * transaction, so that no change is ever unlogged.  Changes made from the
 * shell carry no moderator address: they are the owner's.
 */
static int
rules_logged(struct store *st, const struct store_list *l, const char *what,
    const char *name)
{
	struct modlog_entry e;

	memset(&e, 0, sizeof(e));
	e.action = MODLOG_RULE_CHANGED;
	e.msgid = "";
	e.subject = "";
	e.rule = name;
	e.reason = what;
	e.moderator = "";
	return modlog_append(st, l->id, &e);
}

/* ---- ls ---------------------------------------------------------- */

struct ls_state {
	int	 json;
	int	 n;
};

static int
ls_one(const struct rule *r, void *arg)
{
	struct ls_state *s = arg;

	if (!s->json) {
		printf("%d %s %s %s%s%s\n", r->position, r->name,
		    rule_action_name(r->action), r->cond, *r->arg ? " " : "",
		    r->arg);
		if (*r->text != '\0')
			printf("    %s\n", r->text);
	} else {
		printf("%s\n  {\"position\": %d, \"name\": ", s->n ? "," : "",
		    r->position);
		json_str(stdout, r->name);
		printf(", \"action\": \"%s\", \"cond\": ",
		    rule_action_name(r->action));
		json_str(stdout, r->cond);
		printf(", \"arg\": ");
		json_str(stdout, r->arg);
		printf(", \"text\": ");
		json_str(stdout, r->text);
		printf("}");
	}
	s->n++;
	return 0;
}

static int
rules_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct ls_state s;
	struct store *st;
	int rc;

	if (argc != 2)
		return usage("ls");
	if ((rc = cmd_list_find(ctx, "rules ls", argv[1], &st, &l)) != 0)
		return rc;
	s.json = ctx->json;
	s.n = 0;
	if (ctx->json)
		printf("[");
	if (rules_each(st, l.id, ls_one, &s) < 0)
		rc = cmd_store_error(st, "rules ls");
	else if (ctx->json)
		printf("%s]\n", s.n > 0 ? "\n" : "");
	else if (s.n == 0)
		printf("no rules: members' posts are accepted, others held\n");
	store_list_clear(&l);
	return rc;
}

/* ---- add --------------------------------------------------------- */

struct add_args {
	const char	*pos[4];	/* NAME ACTION COND [ARG] */
	int		 npos;
	const char	*text;
	int		 position;	/* 0: at the end */
};

/* argv from "add": LIST, then positionals and options in any order.
 * 0, or an exit code after saying why. */
static int
add_args_parse(int argc, char **argv, struct add_args *a)
{
	int i, rc;

	memset(a, 0, sizeof(*a));
	a->text = "";
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--text") == 0 && i + 1 < argc)
			a->text = argv[++i];
		else if (strcmp(argv[i], "--position") == 0 && i + 1 < argc) {
			if ((rc = position_parse("add", argv[++i],
			    &a->position)) != 0)
				return rc;
		} else if (strncmp(argv[i], "--", 2) == 0 || a->npos == 4)
			return usage("add");
		else
			a->pos[a->npos++] = argv[i];
	}
	if (a->npos < 3)
		return usage("add");
	return 0;
}

/*
 * Check everything a user typed; 0 or EX_DATAERR_ after saying why.
 * rules_check is asked in steps (the action with a condition valid for
 * all, then the condition with a harmless action) so that the error
 * names what is wrong.
 */
static int
add_check(const struct add_args *a)
{
	const char *error, *cond = a->pos[2];
	const char *arg = a->npos == 4 ? a->pos[3] : "";
	int rc;

	if ((rc = name_check("add", a->pos[0])) != 0 ||
	    (rc = text_check(a->text)) != 0)
		return rc;
	if (rules_check("sender", "nonmember", a->pos[1], &error) < 0)
		fprintf(stderr, "postino: rules add: action '%s': %s\n",
		    a->pos[1], error);
	else if (rules_check(cond, arg, "hold", &error) < 0)
		fprintf(stderr, "postino: rules add: condition '%s%s%s': %s\n",
		    cond, *arg ? " " : "", arg, error);
	else if (rules_check(cond, arg, a->pos[1], &error) < 0)
		fprintf(stderr, "postino: rules add: %s\n", error);
	else
		return 0;
	return EX_DATAERR_;
}

static int
rules_add_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct add_args a;
	struct store *st;
	int rc;

	if ((rc = add_args_parse(argc, argv, &a)) != 0 ||
	    (rc = add_check(&a)) != 0 ||
	    (rc = cmd_list_find(ctx, "rules add", argv[1], &st, &l)) != 0)
		return rc;
	if (store_begin(st) < 0) {
		rc = cmd_store_error(st, "rules add");
		goto out;
	}
	rc = rules_add(st, l.id, a.pos[0], a.pos[2], a.npos == 4 ?
	    a.pos[3] : "", a.pos[1], a.text, a.position);
	if (rc == 0 && rules_logged(st, &l, "rule added", a.pos[0]) < 0)
		rc = -1;
	if (rc == 0 && store_commit(st) == 0) {
		printf("added rule %s to %s\n", a.pos[0], l.addr);
		goto out;
	}
	if (rc == 1)
		fprintf(stderr, "postino: rules add: %s has a rule named '%s'"
		    " already\n", l.addr, a.pos[0]);
	rc = rc == 1 ? EX_CANTCREAT_ : cmd_store_error(st, "rules add");
	store_rollback(st);
out:
	store_list_clear(&l);
	return rc;
}

/* ---- rm, mv ------------------------------------------------------ */

/* Looking for the position of the rule named name (0: none). */
struct pos_state {
	const char	*name;
	int		 position;
};

static int
pos_one(const struct rule *r, void *arg)
{
	struct pos_state *p = arg;

	if (strcmp(r->name, p->name) != 0)
		return 0;
	p->position = r->position;
	return 1;
}

/*
 * rm and mv, after rules_rm/rules_mv answered rc (1 done, 0 no such
 * rule, -1 error) in the open transaction: log and commit, or roll back.
 * 0, or the exit code after saying why.
 */
static int
rules_change(struct store *st, const struct store_list *l, const char *sub,
    const char *name, int rc)
{
	if (rc == 1 && rules_logged(st, l, sub[0] == 'r' ? "rule removed" :
	    "rule moved", name) == 0 && store_commit(st) == 0)
		return 0;
	store_rollback(st);
	if (rc != 0)
		return cmd_store_error(st, where(sub));
	fprintf(stderr, "postino: rules %s: %s has no rule named '%s'\n", sub,
	    l->addr, name);
	return EX_NOUSER_;
}

static int
rules_rm_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 3)
		return usage("rm");
	if ((rc = name_check("rm", argv[2])) != 0 ||
	    (rc = cmd_list_find(ctx, "rules rm", argv[1], &st, &l)) != 0)
		return rc;
	if (store_begin(st) < 0)
		rc = cmd_store_error(st, "rules rm");
	else if ((rc = rules_change(st, &l, "rm", argv[2],
	    rules_rm(st, l.id, argv[2]))) == 0)
		printf("removed rule %s from %s\n", argv[2], l.addr);
	store_list_clear(&l);
	return rc;
}

static int
rules_mv_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct pos_state p;
	struct store_list l;
	struct store *st;
	int rc, pos;

	if (argc != 4)
		return usage("mv");
	if ((rc = name_check("mv", argv[2])) != 0 ||
	    (rc = position_parse("mv", argv[3], &pos)) != 0 ||
	    (rc = cmd_list_find(ctx, "rules mv", argv[1], &st, &l)) != 0)
		return rc;
	p.name = argv[2];
	p.position = 0;
	if (store_begin(st) < 0)
		rc = cmd_store_error(st, "rules mv");
	else if ((rc = rules_change(st, &l, "mv", argv[2],
	    rules_mv(st, l.id, argv[2], pos))) == 0 &&
	    rules_each(st, l.id, pos_one, &p) == 0)
		printf("moved rule %s of %s to position %d\n", argv[2], l.addr,
		    p.position);
	store_list_clear(&l);
	return rc;
}

/* argv: "rules", LIST, SUB, ...: swapped into "rules", SUB, LIST, ... so
 * that each subcommand gets (SUB, LIST, ...) like the other families. */
int
cmd_rules(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch_object_first(ctx, "rules", rules_cmds,
	    NRULES_CMDS, argc, argv);
}
