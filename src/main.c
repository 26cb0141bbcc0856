/*
 * main.c — postino's entry point: global options, then a table of
 * subcommands (as in git.c), each with what must be set up before it
 * runs (cmd_setup() in cmd_common.c).  Each subcommand lives in
 * src/cmd_*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd.h"
#include "log.h"
#include "postino.h"
#include "store.h"
#include "token.h"

struct command {
	const char	*name;
	int		(*run)(struct cmd_ctx *, int, char **);
	int		 setup;		/* CMD_* bits, include/cmd.h */
	int		 family;	/* has subcommands: cmd_dispatch */
	const char	*usage;
};

/*
 * A family with a subcommand table (struct cmd_sub) declares its needs
 * per subcommand there, so that `member ls` does not depend on the
 * templates and a usage error sets up nothing; its row here only drops
 * root.  serve keeps root to bind its listeners, then opens the store,
 * loads the keys and checks the templates itself, as `user` (it logs
 * instead of printing); config reads no database.
 */
static int	cmd_help(struct cmd_ctx *, int, char **);

/* family: the command has subcommands (cmd_dispatch answers --help). */
static const struct command commands[] = {
	{ "serve",   cmd_serve,   CMD_ROOT, 0, "serve" },
	{ "deliver", cmd_deliver, CMD_STORE, 0,
	    "deliver --recipient ADDR [--sender ADDR]" },
	{ "list",    cmd_list,    0, 1, "list create|ls|show|set|rm|role ..." },
	{ "member",  cmd_member,  0, 1, "member add|rm|ls|import|set ..." },
	{ "mod",     cmd_mod,     0, 1,
	    "mod ls|show|approve|reject|discard LIST ..." },
	{ "queue",   cmd_queue,   CMD_STORE | CMD_JSON, 0,
	    "queue [--all] | queue release ID" },
	{ "config",  cmd_config,  CMD_JSON, 0, "config [check]" },
	{ "log",     cmd_log,     0, 1, "log show|verify LIST" },
	{ "rules",   cmd_rules,   0, 1, "rules LIST ls|add|rm|mv ..." },
	{ "ban",     cmd_ban,     0, 1, "ban LIST|--site ls|add|rm ..." },
	{ "archive", cmd_archive, 0, 1, "archive export|html LIST ..." },
	{ "digest",  cmd_digest,  0, 1, "digest send|preview|volume|ls LIST" },
	{ "sub",     cmd_sub,     0, 1, "sub ls|approve|decline LIST ..." },
	{ "bounce",  cmd_bounce,  0, 1, "bounce ls|reset LIST ..." },
	{ "db",      cmd_db,      0, 1, "db copy SQLITE_PATH POSTGRES_URL" },
	{ "help",    cmd_help,    0, 0, "help [COMMAND]" },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: postino [-c FILE] [-o NAME=VALUE]... [--json]"
	    " COMMAND ...\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "       postino %s\n", commands[i].usage);
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* `postino help [COMMAND]`: the usage of all, or of one, on stdout. */
static int
cmd_help(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct command *c;
	char *help[] = { NULL, "--help", NULL };

	if (argc == 1) {
		usage(stdout);
		return EX_OK_;
	}
	if (argc != 2 || (c = command_find(argv[1])) == NULL) {
		fprintf(stderr, "postino: help: no command '%s'\n",
		    argc == 2 ? argv[1] : "");
		usage(stderr);
		return EX_USAGE_;
	}
	if (!c->family) {
		printf("usage: postino %s\n", c->usage);
		return EX_OK_;
	}
	help[0] = argv[1];
	return c->run(ctx, 2, help);
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
	const struct command *c;
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
		} else if (a == 1 && (strcmp(argv[a], "-h") == 0 ||
		    strcmp(argv[a], "--help") == 0)) {
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

	if ((c = command_find(argv[1])) == NULL) {
		fprintf(stderr, "postino: unknown command '%s'\n", argv[1]);
		usage(stderr);
		rc = EX_USAGE_;
	} else if (!c->family && cmd_help_asked(argc, argv, 2)) {
		printf("usage: postino %s\n", c->usage);
		rc = EX_OK_;
	} else if ((rc = c->family ? EX_OK_ : cmd_json_refused(&ctx, c->setup,
	    c->name)) == EX_OK_ && (rc = cmd_setup(&ctx, c->setup)) == EX_OK_)
		rc = c->run(&ctx, argc - 1, argv + 1);
	store_close(&ctx.st);
	token_shutdown();
	config_free(&ctx.cfg);
	return rc;
}
