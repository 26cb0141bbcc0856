/*
 * cmd_bounce.c — `postino bounce ls|reset`: the bounce records of a
 * list's members (bounce.h) and their reset by hand.
 *
 * Owns nothing beyond one command's run.  Exit codes (sysexits): 64
 * usage, 65 bad address, 67 no such list or member, 75 store error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmd.h"
#include "postino.h"
#include "store.h"

static int	bounce_ls(struct cmd_ctx *, int, char **);
static int	bounce_reset(struct cmd_ctx *, int, char **);

static const struct cmd_sub bounce_cmds[] = {
	{ "ls", bounce_ls, CMD_STORE | CMD_JSON, "bounce ls LIST [--json]" },
	{ "reset", bounce_reset, CMD_STORE, "bounce reset LIST ADDR" },
};
#define NBOUNCE_CMDS	(sizeof(bounce_cmds) / sizeof(bounce_cmds[0]))

static int
usage(const char *sub)
{
	return cmd_usage(bounce_cmds, NBOUNCE_CMDS, sub);
}

static void
ls_json(const struct store_bounce *b, int first)
{
	char last[CMD_TIME_MAX];

	cmd_time(b->last_bounce, last);
	printf("%s\n  {\"address\": ", first ? "" : ",");
	json_str(stdout, b->addr);
	printf(", \"score\": %.1f, \"last_bounce\": \"%s\", \"status\": \"%s\","
	    " \"warnings\": %d, \"last_diagnostic\": ", b->score,
	    b->last_bounce ? last : "", b->disabled ? "disabled" : "enabled",
	    b->warnings);
	json_str(stdout, b->last_diag);
	printf(", \"reason\": ");
	json_str(stdout, b->reason);
	printf("}");
}

static int
bounce_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_bounce *v;
	struct store_list l;
	struct store *st;
	char last[CMD_TIME_MAX];
	int rc, n, i;

	if (argc != 2)
		return usage("ls");
	if ((rc = cmd_list_find(ctx, "bounce ls", argv[1], &st, &l)) != 0)
		return rc;
	if ((n = store_bounce_list(st, l.id, 0, &v)) < 0) {
		store_list_clear(&l);
		return cmd_store_error(st, "bounce ls");
	}
	if (ctx->json)
		printf("[");
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			ls_json(&v[i], i == 0);
			continue;
		}
		cmd_time(v[i].last_bounce, last);
		printf("%s score %.1f last %s %s warnings %d: %s\n",
		    v[i].addr, v[i].score, v[i].last_bounce ? last : "-",
		    v[i].disabled ? "disabled" : "enabled", v[i].warnings,
		    *v[i].last_diag ? v[i].last_diag : "-");
	}
	if (ctx->json)
		printf("%s]\n", n ? "\n" : "");
	store_bounce_list_free(v, n);
	store_list_clear(&l);
	return 0;
}

static int
bounce_reset(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_member mb;
	struct store_list l;
	struct store *st;
	char addr[ADDR_MAX];
	const char *error;
	int rc, found;

	if (argc != 3)
		return usage("reset");
	if (addr_normalize(argv[2], addr, &error) < 0) {
		fprintf(stderr, "postino: bounce reset: '%s': %s\n", argv[2],
		    error);
		return EX_DATAERR_;
	}
	if ((rc = cmd_list_find(ctx, "bounce reset", argv[1], &st, &l)) != 0)
		return rc;
	if ((found = store_member_get(st, l.id, addr, &mb)) < 0 ||
	    (found == 1 && store_bounce_reset(st, mb.id) < 0))
		rc = cmd_store_error(st, "bounce reset");
	else if (found == 0) {
		fprintf(stderr, "postino: bounce reset: %s: not a member of"
		    " %s\n", addr, l.addr);
		rc = EX_NOUSER_;
	} else
		printf("%s: bounce score reset, delivery enabled\n", addr);
	if (found == 1)
		store_member_clear(&mb);
	store_list_clear(&l);
	return rc;
}

int
cmd_bounce(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "bounce", bounce_cmds, NBOUNCE_CMDS, argc,
	    argv);
}
