/*
 * cmd_log.c — `postino log show|verify LIST`: the owners' view of a
 * list's moderation log, and the check of its hash chain.
 *
 * show prints the newest entries first with the moderators' real
 * addresses (members see pseudonyms in the LIST+log@ mail, not here);
 * verify recomputes the whole chain (modlog.c) and names the first
 * broken entry.  Owns nothing beyond one command's run.  Errors go to
 * stderr as "postino: log SUB: what: why"; exit codes are sysexits: 64
 * usage, 65 a broken chain or a bad argument, 67 no such list, 75 store
 * error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmd.h"
#include "modlog.h"
#include "modlog_report.h"
#include "postino.h"
#include "store.h"

static int	log_show(struct cmd_ctx *, int, char **);
static int	log_verify(struct cmd_ctx *, int, char **);

static const struct cmd_sub log_cmds[] = {
	{ "show", log_show, CMD_STORE, "log show LIST [--limit N] [--json]" },
	{ "verify", log_verify, CMD_STORE, "log verify LIST" },
};
#define NLOG_CMDS	(sizeof(log_cmds) / sizeof(log_cmds[0]))

static int
usage(const char *sub)
{
	return cmd_usage(log_cmds, NLOG_CMDS, sub);
}

/* ---- show -------------------------------------------------------- */

struct show_state {
	int	 json;
	int	 n;
};

static void
show_json(const struct modlog_entry *e, const char *tm, const char *hex,
    int first)
{
	printf("%s\n  {\"seq\": %lld, \"time\": \"%s\", \"action\": ",
	    first ? "" : ",", (long long)e->seq, tm);
	json_str(stdout, e->action);
	printf(", \"post_id\": %lld, \"subject\": ", (long long)e->post_id);
	json_str(stdout, e->subject);
	printf(", \"msgid\": ");
	json_str(stdout, e->msgid);
	printf(", \"rule\": ");
	json_str(stdout, e->rule);
	printf(", \"reason\": ");
	json_str(stdout, e->reason);
	printf(", \"moderator\": ");
	json_str(stdout, *e->moderator != '\0' ? e->moderator : "postino");
	printf(", \"hash\": \"%s\"}", hex);
}

static int
show_one(const struct modlog_entry *e, void *arg)
{
	struct show_state *s = arg;
	char tm[32], hex[MODLOG_HEX];

	modlog_time(e->time, tm);
	modlog_hex(e->hash, hex);
	if (s->json)
		show_json(e, tm, hex, s->n == 0);
	else
		printf("%lld  %s  %s  by %s\n  subject: %s\n"
		    "  message-id: %s\n  rule: %s\n  reason: %s\n"
		    "  hash: %s\n", (long long)e->seq, tm, e->action,
		    *e->moderator != '\0' ? e->moderator : "postino",
		    e->subject, e->msgid, e->rule, e->reason, hex);
	s->n++;
	return 0;
}

/* "--limit N" at argv[2..3], or nothing.  0, or -1. */
static int
show_limit(int argc, char **argv, size_t *limit_r)
{
	unsigned long long v;
	char *end;

	*limit_r = 0;
	if (argc == 2)
		return 0;
	if (argc != 4 || strcmp(argv[2], "--limit") != 0)
		return -1;
	errno = 0;
	v = strtoull(argv[3], &end, 10);
	if (argv[3][0] < '0' || argv[3][0] > '9' || *end != '\0' ||
	    errno != 0 || v > 1000000)
		return -1;
	*limit_r = (size_t)v;
	return 0;
}

static int
log_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct show_state s = { ctx->json, 0 };
	struct store_list l;
	struct store *st;
	size_t limit;
	int rc;

	if (argc < 2 || argv[1][0] == '-' || show_limit(argc, argv, &limit) < 0)
		return usage("show");
	if ((rc = cmd_list_find(ctx, "log show", argv[1], &st, &l)) != 0)
		return rc;
	if (ctx->json)
		printf("[");
	if (modlog_each(st, l.id, limit, show_one, &s) < 0)
		rc = cmd_store_error(st, "log show");
	else if (ctx->json)
		printf("%s]\n", s.n > 0 ? "\n" : "");
	else if (s.n == 0)
		printf("%s: no entries\n", l.addr);
	store_list_clear(&l);
	return rc;
}

/* ---- verify ------------------------------------------------------ */

static int
log_verify(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct modlog_check c;
	struct store_list l;
	struct store *st;
	char hex[MODLOG_HEX];
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return usage("verify");
	if ((rc = cmd_list_find(ctx, "log verify", argv[1], &st, &l)) != 0)
		return rc;
	switch (modlog_check(st, l.id, &c)) {
	case 0:
		modlog_hex(c.head, hex);
		printf("%s: %lld entries, chain intact, head %s\n", l.addr,
		    (long long)c.entries, hex);
		break;
	case 1:
		printf("%s: entry %lld is broken: %s\n", l.addr,
		    (long long)c.bad_seq, c.what);
		rc = EX_DATAERR_;
		break;
	default:
		rc = cmd_store_error(st, "log verify");
		break;
	}
	store_list_clear(&l);
	return rc;
}

int
cmd_log(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "log", log_cmds, NLOG_CMDS, argc, argv);
}
