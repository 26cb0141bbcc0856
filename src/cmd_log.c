/*
 * cmd_log.c — `postino log show|verify|checkpoint|key LIST`: the owners'
 * view of a list's moderation log, the check of its hash chain, and its
 * signed checkpoints.
 *
 * show prints the newest entries first with the moderators' real
 * addresses (members see pseudonyms in the LIST+log@ mail, not here);
 * verify recomputes the whole chain (modlog.c) and names the first
 * broken entry, and with --checkpoint FILE|STRING also proves that the
 * log still extends a signed checkpoint (modlog_checkpoint.c), naming
 * what is missing; checkpoint prints the latest signed checkpoint as one
 * line; key prints the list's Ed25519 public key (PEM, then hex).
 * Owns nothing beyond one command's run.  Errors go to stderr as
 * "postino: log SUB: what: why"; exit codes are sysexits: 64 usage or a
 * checkpoint that does not parse, 65 a broken chain, a log that does not
 * extend the checkpoint, or a bad argument, 67 no such list, 75 store
 * error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "checkpoint.h"
#include "cmd.h"
#include "modlog.h"
#include "modlog_checkpoint.h"
#include "modlog_report.h"
#include "token.h"
#include "postino.h"
#include "store.h"

static int	log_show(struct cmd_ctx *, int, char **);
static int	log_verify(struct cmd_ctx *, int, char **);
static int	log_checkpoint(struct cmd_ctx *, int, char **);
static int	log_key(struct cmd_ctx *, int, char **);

static const struct cmd_sub log_cmds[] = {
	{ "show", log_show, CMD_STORE | CMD_JSON, "log show LIST [--limit N] [--json]" },
	{ "verify", log_verify, CMD_STORE | CMD_KEYS,
	    "log verify LIST [--checkpoint FILE|STRING]" },
	{ "checkpoint", log_checkpoint, CMD_STORE | CMD_KEYS,
	    "log checkpoint LIST" },
	{ "key", log_key, CMD_STORE | CMD_KEYS, "log key LIST" },
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

/*
 * The checkpoint named by arg: a string that starts with the magic word,
 * else a file holding one line.  0, or the exit code after saying why.
 */
static int
checkpoint_arg(const char *arg, struct checkpoint *cp)
{
	char line[1024];
	const char *error;
	size_t n = 0;
	FILE *f = NULL;

	if (strncmp(arg, CHECKPOINT_MAGIC " ", strlen(CHECKPOINT_MAGIC) + 1)
	    != 0) {
		if ((f = fopen(arg, "r")) == NULL) {
			fprintf(stderr, "postino: log verify: %s: %s\n", arg,
			    strerror(errno));
			return EX_NOINPUT_;
		}
		n = fread(line, 1, sizeof(line) - 1, f);
		line[n] = '\0';
		fclose(f);
		arg = line;
	}
	if (checkpoint_parse(arg, strlen(arg), cp, &error) < 0) {
		fprintf(stderr, "postino: log verify: bad checkpoint: %s\n",
		    error);
		return EX_USAGE_;
	}
	return 0;
}

/* verify --checkpoint: the log extends cp, or why not. */
static int
verify_checkpoint(struct store *st, const struct store_list *l,
    const struct checkpoint *cp)
{
	struct buf why = BUF_INIT;
	int rc;

	switch (modlog_checkpoint_verify(st, l->id, l->addr, cp, &why)) {
	case 0:
		printf("%s: %s\n", l->addr, why.data);
		rc = 0;
		break;
	case 1:
		printf("%s: does not extend the checkpoint: %s\n", l->addr,
		    why.data);
		rc = EX_DATAERR_;
		break;
	default:
		rc = cmd_store_error(st, "log verify");
		break;
	}
	buf_free(&why);
	return rc;
}

static int
verify_chain(struct store *st, const struct store_list *l)
{
	struct modlog_check c;
	char hex[MODLOG_HEX];

	switch (modlog_check(st, l->id, &c)) {
	case 0:
		modlog_hex(c.head, hex);
		printf("%s: %lld entries, chain intact, head %s\n", l->addr,
		    (long long)c.entries, hex);
		return 0;
	case 1:
		printf("%s: entry %lld is broken: %s\n", l->addr,
		    (long long)c.bad_seq, c.what);
		return EX_DATAERR_;
	default:
		return cmd_store_error(st, "log verify");
	}
}

static int
log_verify(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct checkpoint cp;
	struct store_list l;
	struct store *st;
	int rc;

	if ((argc != 2 && argc != 4) || argv[1][0] == '-' ||
	    (argc == 4 && strcmp(argv[2], "--checkpoint") != 0))
		return usage("verify");
	if (argc == 4 && (rc = checkpoint_arg(argv[3], &cp)) != 0)
		return rc;
	if ((rc = cmd_list_find(ctx, "log verify", argv[1], &st, &l)) != 0)
		return rc;
	if (argc == 4)
		rc = verify_checkpoint(st, &l, &cp);
	else
		rc = verify_chain(st, &l);
	store_list_clear(&l);
	return rc;
}

/* ---- checkpoint, key ---------------------------------------------- */

/* "SUB LIST": the list found, or the exit code after saying why. */
static int
one_list(struct cmd_ctx *ctx, int argc, char **argv, const char *sub,
    struct store **st_r, struct store_list *l)
{
	char where[32];

	if (argc != 2 || argv[1][0] == '-')
		return usage(sub);
	snprintf(where, sizeof(where), "log %s", sub);
	return cmd_list_find(ctx, where, argv[1], st_r, l);
}

static int
log_checkpoint(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	struct buf line = BUF_INIT;
	int rc;

	if ((rc = one_list(ctx, argc, argv, "checkpoint", &st, &l)) != 0)
		return rc;
	if (store_begin(st) < 0)
		rc = cmd_store_error(st, "log checkpoint");
	else if (modlog_checkpoint_line(st, l.id, l.addr, &line) < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		rc = cmd_store_error(st, "log checkpoint");
	} else
		printf("%s\n", line.data);
	buf_free(&line);
	store_list_clear(&l);
	return rc;
}

static int
log_key(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	struct buf pem = BUF_INIT;
	uint8_t pk[TOKEN_PK];
	size_t i;
	int rc;

	if ((rc = one_list(ctx, argc, argv, "key", &st, &l)) != 0)
		return rc;
	token_sign_pubkey(l.id, pk);
	checkpoint_pem(pk, &pem);
	fputs(pem.data, stdout);
	printf("# Ed25519, raw hex: ");
	for (i = 0; i < TOKEN_PK; i++)
		printf("%02x", pk[i]);
	printf("\n");
	buf_free(&pem);
	store_list_clear(&l);
	return rc;
}

int
cmd_log(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "log", log_cmds, NLOG_CMDS, argc, argv);
}
