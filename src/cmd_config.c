/*
 * cmd_config.c — `postino config`: print the settings in force;
 * `postino config check`: also check every template, and exit non-zero
 * on the first problem (use it before a reload).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "template.h"

int
cmd_config(struct cmd_ctx *ctx, int argc, char **argv)
{
	char *error = NULL;

	if (argc == 1) {
		printf("# %s\n", ctx->cfg.path ? ctx->cfg.path :
		    "embedded defaults (no postino.conf found)");
		config_dump(&ctx->cfg, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0) {
		if (template_check(ctx->cfg.templates, &error) < 0) {
			fprintf(stderr, "postino: %s\n", error);
			free(error);
			return EX_CONFIG_;
		}
		printf("%s: ok\n", ctx->cfg.path ? ctx->cfg.path :
		    "embedded defaults");
		return 0;
	}
	fprintf(stderr, "usage: postino config [check]\n");
	return EX_USAGE_;
}
