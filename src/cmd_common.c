/*
 * cmd_common.c — what every subcommand family shares: finding the
 * subcommand named by argv[1] in the family's table and printing the
 * family's usage lines (git.c style: the table is the documentation).
 *
 * Owns nothing; the tables are the callers' static arrays.  Errors go to
 * stderr as "postino: FAMILY: unknown subcommand 'X'" followed by the
 * usage lines; the exit code is then EX_USAGE_ (64).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "postino.h"

int
cmd_usage(const struct cmd_sub *subs, size_t n, const char *sub)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sub == NULL || strcmp(sub, subs[i].name) == 0)
			fprintf(stderr, "%s postino %s\n",
			    i == 0 || sub != NULL ? "usage:" : "      ",
			    subs[i].usage);
	return EX_USAGE_;
}

int
cmd_dispatch(struct cmd_ctx *ctx, const char *family,
    const struct cmd_sub *subs, size_t n, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cmd_usage(subs, n, NULL);
	for (i = 0; i < n; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(ctx, argc - 1, argv + 1);
	fprintf(stderr, "postino: %s: unknown subcommand '%s'\n", family,
	    argv[1]);
	return cmd_usage(subs, n, NULL);
}
