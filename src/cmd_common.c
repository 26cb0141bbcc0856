/*
 * cmd_common.c — what every subcommand family shares: finding the
 * subcommand named by argv[1] in the family's table and printing the
 * family's usage lines (git.c style: the table is the documentation).
 *
 * Also the setup a command's row asks for (the store, the keys, the
 * templates), done once and the same way for every command, and the list
 * look-up every family does first.
 *
 * Owns nothing but ctx->st once opened (main closes it); the tables are
 * the callers' static arrays.  Errors go to stderr as "postino: FAMILY:
 * unknown subcommand 'X'" followed by the usage lines; the exit code is
 * then EX_USAGE_ (64).  A setup that fails says why and returns its
 * sysexits code; none aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cmd.h"
#include "postino.h"
#include "priv.h"
#include "store.h"
#include "template.h"
#include "token.h"

#define CMD_USER_	0x100	/* cmd_ctx.ready: running as `user` */

/* Print "postino: ERROR" (malloc'd, freed) and return rc. */
static int
setup_fail(char *error, int rc)
{
	fprintf(stderr, "postino: %s\n", error);
	free(error);
	return rc;
}

int
cmd_setup(struct cmd_ctx *ctx, int setup)
{
	const char *serror;
	char *error = NULL;

	if (ctx->shell_user[0] == '\0')
		priv_whoami(ctx->shell_user, sizeof(ctx->shell_user));
	/* As root with an account named, every command runs as it, so
	 * that what it creates belongs to the daemon's user. */
	if (!(setup & CMD_ROOT) && !(ctx->ready & CMD_USER_)) {
		if (*ctx->cfg.user != '\0' &&
		    priv_drop(ctx->cfg.user, &error) < 0)
			return setup_fail(error, EX_CONFIG_);
		ctx->ready |= CMD_USER_;
	}
	setup &= ~(ctx->ready | CMD_JSON);
	if ((setup & CMD_STORE) && store_open(ctx->cfg.database,
	    STORE_DURABLE, &ctx->st, &serror) < 0) {
		fprintf(stderr, "postino: %s: %s\n", ctx->cfg.database,
		    serror);
		return EX_TEMPFAIL_;
	}
	if ((setup & CMD_KEYS) &&
	    token_init(ctx->cfg.secret_file, &error) < 0)
		return setup_fail(error, EX_TEMPFAIL_);
	if ((setup & CMD_TEMPLATES) &&
	    template_check(ctx->cfg.templates, &error) < 0)
		return setup_fail(error, EX_CONFIG_);
	ctx->ready |= setup;
	return EX_OK_;
}

static void
usage_print(FILE *fp, const struct cmd_sub *subs, size_t n, const char *sub)
{
	size_t i;
	int first = 1;

	for (i = 0; i < n; i++)
		if (sub == NULL || strcmp(sub, subs[i].name) == 0) {
			fprintf(fp, "%s postino %s\n", first ? "usage:" :
			    "      ", subs[i].usage);
			first = 0;
		}
}

int
cmd_help_asked(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return i;
	return 0;
}

int
cmd_usage(const struct cmd_sub *subs, size_t n, const char *sub)
{
	usage_print(stderr, subs, n, sub);
	return EX_USAGE_;
}

int
cmd_json_refused(const struct cmd_ctx *ctx, int setup, const char *name)
{
	if (!ctx->json || (setup & CMD_JSON))
		return EX_OK_;
	fprintf(stderr, "postino: %s: no --json form (it prints text only)\n",
	    name);
	return EX_USAGE_;
}

int
cmd_dispatch(struct cmd_ctx *ctx, const char *family,
    const struct cmd_sub *subs, size_t n, int argc, char **argv)
{
	char name[64];
	size_t i;
	int rc, h;

	if (argc < 2)
		return cmd_usage(subs, n, NULL);
	if ((h = cmd_help_asked(argc, argv, 1)) != 0) {
		/* `postino list --help`, `postino list set --help`. */
		usage_print(stdout, subs, n, h == 1 ? NULL : argv[1]);
		return EX_OK_;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		snprintf(name, sizeof(name), "%s %s", family, argv[1]);
		if ((rc = cmd_json_refused(ctx, subs[i].setup, name)) != EX_OK_ ||
		    (rc = cmd_setup(ctx, subs[i].setup)) != EX_OK_)
			return rc;
		return subs[i].run(ctx, argc - 1, argv + 1);
	}
	fprintf(stderr, "postino: %s: unknown subcommand '%s'\n", family,
	    argv[1]);
	return cmd_usage(subs, n, NULL);
}

int
cmd_dispatch_object_first(struct cmd_ctx *ctx, const char *family,
    const struct cmd_sub *subs, size_t n, int argc, char **argv)
{
	char *object;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return cmd_dispatch(ctx, family, subs, n, argc, argv);
	if (argc < 3)
		return cmd_usage(subs, n, NULL);
	object = argv[1];
	argv[1] = argv[2];
	argv[2] = object;
	return cmd_dispatch(ctx, family, subs, n, argc, argv);
}

int
cmd_store_error(struct store *st, const char *where)
{
	fprintf(stderr, "postino: %s: store error: %s\n", where,
	    store_errmsg(st));
	return EX_TEMPFAIL_;
}

int
cmd_list_find(struct cmd_ctx *ctx, const char *where, const char *arg,
    struct store **st_r, struct store_list *l)
{
	char key[ADDR_MAX];
	const char *error;
	int rc;

	memset(l, 0, sizeof(*l));
	if (addr_normalize(arg, key, &error) < 0) {
		fprintf(stderr, "postino: %s: list '%s': %s\n", where, arg,
		    error);
		return EX_DATAERR_;
	}
	addr_key(key, key);
	if ((*st_r = ctx->st) == NULL) {
		fprintf(stderr, "postino: %s: the store is not open (its"
		    " command table row lacks CMD_STORE)\n", where);
		return EX_SOFTWARE_;
	}
	if ((rc = store_list_get(*st_r, key, l)) < 0)
		return cmd_store_error(*st_r, where);
	if (rc == 0) {
		fprintf(stderr, "postino: %s: no such list '%s'\n", where, key);
		return EX_NOUSER_;
	}
	return 0;
}

void
cmd_time(time_t t, char out[CMD_TIME_MAX])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, CMD_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, CMD_TIME_MAX, "%lld", (long long)t);
}
