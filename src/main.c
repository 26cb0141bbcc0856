/*
 * main.c — postino's entry point: global options, then a table of
 * subcommands (as in git.c).  Each subcommand lives in src/cmd_*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd.h"
#include "log.h"
#include "postino.h"
#include "priv.h"
#include "store.h"
#include "token.h"

/* What main sets up before a family runs. */
#define CMD_KEYS	0x01	/* token_init: tokens, MACs, pseudonyms */
#define CMD_ROOT	0x02	/* keeps root: drops it itself (serve) */

struct command {
	const char	*name;
	int		(*run)(struct cmd_ctx *, int, char **);
	int		 setup;		/* CMD_* bits */
	const char	*usage;
};

/* serve loads its keys itself (it logs instead of printing), and drops
 * root only after binding its listeners; config, queue and deliver never
 * mint or check a token. */
static const struct command commands[] = {
	{ "serve",   cmd_serve,   CMD_ROOT, "serve" },
	{ "deliver", cmd_deliver, 0,
	    "deliver --recipient ADDR [--sender ADDR]" },
	{ "list",    cmd_list,    CMD_KEYS, "list create|ls|show|set|rm ..." },
	{ "member",  cmd_member,  CMD_KEYS, "member add|rm|ls|import|set ..." },
	{ "mod",     cmd_mod,     CMD_KEYS, "mod ls LIST" },
	{ "queue",   cmd_queue,   0,        "queue" },
	{ "config",  cmd_config,  0,        "config [check]" },
	{ "log",     cmd_log,     CMD_KEYS, "log show|verify LIST" },
	{ "rules",   cmd_rules,   CMD_KEYS, "rules LIST ls|add|rm|mv ..." },
	{ "archive", cmd_archive, CMD_KEYS, "archive export|html LIST ..." },
	{ "digest",  cmd_digest,  CMD_KEYS,
	    "digest send|preview|volume|ls LIST" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: postino [-c FILE] [-o NAME=VALUE]... [--json]"
	    " COMMAND ...\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "       postino %s\n", commands[i].usage);
}

int
cmd_store(struct cmd_ctx *ctx, struct store **st_r)
{
	const char *error;

	if (ctx->st == NULL &&
	    store_open(ctx->cfg.database, STORE_DURABLE, &ctx->st, &error) < 0) {
		fprintf(stderr, "postino: %s: %s\n", ctx->cfg.database, error);
		return -1;
	}
	*st_r = ctx->st;
	return 0;
}

/* Load what a family needs before it runs; an exit code. */
static int
cmd_setup(struct cmd_ctx *ctx, int setup)
{
	char *error = NULL;

	/* As root with an account named, every command runs as it, so
	 * that what it creates belongs to the daemon's user. */
	if (!(setup & CMD_ROOT) && *ctx->cfg.user != '\0' &&
	    priv_drop(ctx->cfg.user, &error) < 0) {
		fprintf(stderr, "postino: %s\n", error);
		free(error);
		return EX_CONFIG_;
	}
	if ((setup & CMD_KEYS) &&
	    token_init(ctx->cfg.secret_file, &error) < 0) {
		fprintf(stderr, "postino: %s\n", error);
		free(error);
		return EX_TEMPFAIL_;
	}
	return EX_OK_;
}

#define MAIN_OVERRIDES_MAX	32	/* -o NAME=VALUE options */

/* Remove argv[i] by shifting the rest down. */
static void
arg_drop(int *argc, char **argv, int i)
{
	memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
	(*argc)--;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const char *overrides[MAIN_OVERRIDES_MAX];
	char *error = NULL;
	size_t i, nover = 0;
	int rc, a;

	memset(&ctx, 0, sizeof(ctx));
	log_init("postino", LOG_L_INFO);
	if (sodium_init() < 0)
		fatalx("libsodium cannot initialise");

	/* Global options may appear anywhere before or after the command
	 * (--json after "member ls LIST" reads naturally). */
	for (a = 1; a < argc;) {
		if (strcmp(argv[a], "--json") == 0) {
			ctx.json = 1;
			arg_drop(&argc, argv, a);
		} else if (strcmp(argv[a], "-c") == 0 && a + 1 < argc &&
		    a == 1) {
			ctx.config_path = argv[a + 1];
			arg_drop(&argc, argv, a);
			arg_drop(&argc, argv, a);
		} else if (strcmp(argv[a], "-o") == 0 && a + 1 < argc &&
		    a == 1) {
			if (nover == MAIN_OVERRIDES_MAX) {
				fprintf(stderr, "postino: too many -o\n");
				return EX_USAGE_;
			}
			overrides[nover++] = argv[a + 1];
			arg_drop(&argc, argv, a);
			arg_drop(&argc, argv, a);
		} else if (strcmp(argv[a], "-h") == 0 ||
		    strcmp(argv[a], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[a], "--version") == 0) {
			printf("postino %s\n", POSTINO_VERSION);
			return 0;
		} else
			a++;
	}
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE_;
	}

	config_defaults(&ctx.cfg);
	rc = config_load(&ctx.cfg, ctx.config_path, &error);
	for (i = 0; rc == 0 && i < nover; i++)
		rc = config_set(&ctx.cfg, overrides[i], &error);
	if (rc < 0) {
		fprintf(stderr, "postino: %s\n", error);
		free(error);
		config_free(&ctx.cfg);
		return EX_CONFIG_;
	}

	rc = -1;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			rc = cmd_setup(&ctx, commands[i].setup);
			if (rc == EX_OK_)
				rc = commands[i].run(&ctx, argc - 1, argv + 1);
			break;
		}
	}
	if (rc == -1) {
		fprintf(stderr, "postino: unknown command '%s'\n", argv[1]);
		usage(stderr);
		rc = EX_USAGE_;
	}
	store_close(&ctx.st);
	token_shutdown();
	config_free(&ctx.cfg);
	return rc;
}
