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

struct json_state {
	int	 n;
};

static void
json_one(const char *name, const char *value, void *arg)
{
	struct json_state *js = arg;

	printf("%s\n    ", js->n++ ? "," : "");
	json_str(stdout, name);
	printf(": ");
	json_str(stdout, value);
}

/* {"file": PATH or null, "settings": {NAME: VALUE, ...}} */
static void
config_json(const struct config *cfg)
{
	struct json_state js = { 0 };

	printf("{\n  \"file\": ");
	if (cfg->path != NULL)
		json_str(stdout, cfg->path);
	else
		printf("null");
	printf(",\n  \"settings\": {");
	config_each(cfg, json_one, &js);
	printf("\n  }\n}\n");
}

int
cmd_config(struct cmd_ctx *ctx, int argc, char **argv)
{
	char *error = NULL;

	if (argc == 1 && ctx->json) {
		config_json(&ctx->cfg);
		return 0;
	}
	if (argc == 1) {
		printf("# %s\n", ctx->cfg.path ? ctx->cfg.path :
		    "embedded defaults (no postino.conf found)");
		config_dump(&ctx->cfg, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0 && ctx->json) {
		fprintf(stderr, "postino: config check: no --json form; it"
		    " prints one line or the first problem\n");
		return EX_USAGE_;
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
