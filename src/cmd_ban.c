/*
 * cmd_ban.c — `postino ban LIST|--site add|rm|ls [GLOB]`: the addresses
 * a list, or every list of the site, refuses (ban.h).
 *
 * The list (or --site) comes before the subcommand, as with rules; it
 * is swapped behind it so that the family table reads as elsewhere.
 * Each change runs in one transaction with its moderation log entries.
 * Owns nothing beyond one command's run.  Errors go to stderr as
 * "postino: ban SUB: what is wrong"; exit codes (sysexits): 64 usage,
 * 65 bad glob or list address, 67 no such list or ban, 73 banned
 * already, 75 store error.
 */
#include <stdio.h>
#include <string.h>

#include "ban.h"
#include "cmd.h"
#include "postino.h"
#include "store.h"

static int	ban_ls(struct cmd_ctx *, int, char **);
static int	ban_add_cmd(struct cmd_ctx *, int, char **);
static int	ban_rm_cmd(struct cmd_ctx *, int, char **);

static const struct cmd_sub ban_cmds[] = {
	{ "ls", ban_ls, CMD_STORE | CMD_JSON, "ban LIST|--site ls [--json]" },
	{ "add", ban_add_cmd, CMD_STORE, "ban LIST|--site add GLOB" },
	{ "rm", ban_rm_cmd, CMD_STORE, "ban LIST|--site rm GLOB" },
};
#define NBAN_CMDS	(sizeof(ban_cmds) / sizeof(ban_cmds[0]))

/* Whose bans: the list named by arg (*l filled) or the site's
 * (*id_r BAN_SITE, l->addr "the site").  0 or an exit code. */
static int
whose(struct cmd_ctx *ctx, const char *where, const char *arg,
    struct store_list *l, int64_t *id_r)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if (strcmp(arg, "--site") == 0) {
		*id_r = BAN_SITE;
		return 0;
	}
	if ((rc = cmd_list_find(ctx, where, arg, &ctx->st, l)) != 0)
		return rc;
	*id_r = l->id;
	return 0;
}

struct ls_state {
	int	 json;
	int	 n;
};

static int
ls_one(const char *glob, int64_t created, void *arg)
{
	struct ls_state *s = arg;
	char when[CMD_TIME_MAX];

	cmd_time((time_t)created, when);
	if (!s->json)
		printf("%s\t%s\n", glob, when);
	else {
		printf("%s\n  {\"glob\": ", s->n ? "," : "");
		json_str(stdout, glob);
		printf(", \"created\": \"%s\"}", when);
	}
	s->n++;
	return 0;
}

static int
ban_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct ls_state s = { ctx->json, 0 };
	struct store_list l;
	int64_t id;
	int rc;

	if (argc != 2)
		return cmd_usage(ban_cmds, NBAN_CMDS, "ls");
	if ((rc = whose(ctx, "ban ls", argv[1], &l, &id)) != 0)
		return rc;
	if (ctx->json)
		printf("[");
	if (ban_each(ctx->st, id, ls_one, &s) < 0)
		rc = cmd_store_error(ctx->st, "ban ls");
	else if (ctx->json)
		printf("%s]\n", s.n > 0 ? "\n" : "");
	else if (s.n == 0)
		printf("no bans on %s\n", id == BAN_SITE ? "the site" : l.addr);
	store_list_clear(&l);
	return rc;
}

/* add and rm: one change and its log entries in one transaction. */
static int
ban_change(struct cmd_ctx *ctx, int argc, char **argv, int add)
{
	const char *sub = add ? "add" : "rm", *where = add ? "ban add" :
	    "ban rm", *error;
	char glob[BAN_GLOB_MAX + 1];
	struct store_list l;
	int64_t id;
	int rc;

	if (argc != 3)
		return cmd_usage(ban_cmds, NBAN_CMDS, sub);
	if (ban_glob(argv[2], glob, &error) < 0) {
		fprintf(stderr, "postino: %s: '%s': %s\n", where, argv[2],
		    error);
		return EX_DATAERR_;
	}
	if ((rc = whose(ctx, where, argv[1], &l, &id)) != 0)
		return rc;
	if (store_begin(ctx->st) < 0 || (rc = add ? ban_add(ctx->st, id,
	    glob) : ban_rm(ctx->st, id, glob)) < 0 ||
	    store_commit(ctx->st) < 0) {
		store_rollback(ctx->st);
		store_list_clear(&l);
		return cmd_store_error(ctx->st, where);
	}
	if (rc == 0)
		printf("%s %s %s\n", add ? "banned" : "unbanned", glob,
		    id == BAN_SITE ? "on the whole site" : l.addr);
	else
		fprintf(stderr, "postino: %s: %s %s on %s\n", where, glob,
		    add ? "is banned already" : "is not banned",
		    id == BAN_SITE ? "the site" : l.addr);
	store_list_clear(&l);
	return rc == 0 ? 0 : add ? EX_CANTCREAT_ : EX_NOUSER_;
}

static int
ban_add_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	return ban_change(ctx, argc, argv, 1);
}

static int
ban_rm_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	return ban_change(ctx, argc, argv, 0);
}

int
cmd_ban(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch_object_first(ctx, "ban", ban_cmds, NBAN_CMDS,
	    argc, argv);
}
