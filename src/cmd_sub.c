/*
 * cmd_sub.c — `postino sub ls|approve|decline LIST ...`: the requests
 * to join that wait for an owner (subscribe_policy approve).
 *
 * ls lists them (address, when asked, when the request lapses); approve
 * and decline decide one from the shell as an owner's reply would
 * (subscription.c: the requester gets the welcome, or is told it was
 * declined).  Exit codes are sysexits: 64 usage, 65 bad address, 67 no
 * such list or no such request, 75 store error.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "listctx.h"
#include "postino.h"
#include "store.h"
#include "subscription.h"

static int	sub_ls(struct cmd_ctx *, int, char **);
static int	sub_approve(struct cmd_ctx *, int, char **);
static int	sub_decline(struct cmd_ctx *, int, char **);

static const struct cmd_sub sub_cmds[] = {
	{ "ls", sub_ls, CMD_STORE | CMD_JSON, "sub ls LIST [--json]" },
	{ "approve", sub_approve, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "sub approve LIST ADDR" },
	{ "decline", sub_decline, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "sub decline LIST ADDR" },
};
#define NSUB_CMDS	(sizeof(sub_cmds) / sizeof(sub_cmds[0]))

struct ls_state {
	int	 json;
	int	 n;
};

static int
ls_one(const struct store_token *t, void *arg)
{
	struct ls_state *s = arg;
	char asked[CMD_TIME_MAX], lapses[CMD_TIME_MAX];

	cmd_time(t->created, asked);
	cmd_time(t->expires, lapses);
	if (s->json) {
		printf("%s\n  {\"address\": ", s->n ? "," : "");
		json_str(stdout, t->addr);
		printf(", \"asked\": \"%s\", \"lapses\": \"%s\"}", asked,
		    lapses);
	} else
		printf("%s\tasked %s\tlapses %s\n", t->addr, asked, lapses);
	s->n++;
	return 0;
}

static int
sub_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct ls_state s = { ctx->json, 0 };
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 2)
		return cmd_usage(sub_cmds, NSUB_CMDS, "ls");
	if ((rc = cmd_list_find(ctx, "sub ls", argv[1], &st, &l)) != 0)
		return rc;
	if (ctx->json)
		printf("[");
	if (store_token_pending_each(st, l.id, "approve", time(NULL), ls_one,
	    &s) < 0)
		rc = cmd_store_error(st, "sub ls");
	else if (ctx->json)
		printf("%s]\n", s.n ? "\n" : "");
	store_list_clear(&l);
	return rc;
}

/* approve or decline the request of argv[2] on list argv[1]. */
static int
sub_decide(struct cmd_ctx *ctx, int argc, char **argv, int approve)
{
	const char *sub = approve ? "approve" : "decline", *error;
	char where[32], addr[ADDR_MAX];
	struct buf note = BUF_INIT;
	struct store_list l;
	struct list_ctx lc;
	struct store *st;
	int rc;

	if (argc != 3)
		return cmd_usage(sub_cmds, NSUB_CMDS, sub);
	snprintf(where, sizeof(where), "sub %s", sub);
	if (addr_normalize(argv[2], addr, &error) < 0) {
		fprintf(stderr, "postino: %s: '%s': %s\n", where, argv[2],
		    error);
		return EX_DATAERR_;
	}
	if ((rc = cmd_list_find(ctx, where, argv[1], &st, &l)) != 0)
		return rc;
	memset(&lc, 0, sizeof(lc));
	if (store_begin(st) < 0 || list_ctx_init(st, &ctx->cfg, &l, &lc) < 0 ||
	    (rc = subscription_request_decide(&lc, addr, approve,
	    &note)) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		rc = cmd_store_error(st, where);
	} else if (rc == 0) {
		fprintf(stderr, "postino: %s: no request of %s is waiting on"
		    " %s\n", where, addr, l.addr);
		rc = EX_NOUSER_;
	} else {
		printf("%s: %s %s\n", l.addr, addr, approve ? "approved: now a"
		    " member" : "declined: told so");
		rc = EX_OK_;
	}
	list_ctx_clear(&lc);
	store_list_clear(&l);
	buf_free(&note);
	return rc;
}

static int
sub_approve(struct cmd_ctx *ctx, int argc, char **argv)
{
	return sub_decide(ctx, argc, argv, 1);
}

static int
sub_decline(struct cmd_ctx *ctx, int argc, char **argv)
{
	return sub_decide(ctx, argc, argv, 0);
}

int
cmd_sub(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "sub", sub_cmds, NSUB_CMDS, argc, argv);
}
