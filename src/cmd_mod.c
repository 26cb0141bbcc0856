/*
 * cmd_mod.c — `postino mod ls LIST`: the posts held for moderation.
 * (Approving and rejecting come with the moderation module.)
 *
 * Owns nothing beyond one command's run.  Results go to stdout (one JSON
 * array with --json), errors to stderr as "postino: mod SUB: what: why";
 * exit codes (sysexits): 64 usage, 65 bad list address, 67 no such list,
 * 75 store error.
 */
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "cmd.h"
#include "postino.h"
#include "store.h"

static int	mod_ls(struct cmd_ctx *, int, char **);

static const struct cmd_sub mod_cmds[] = {
	{ "ls", mod_ls, "mod ls LIST [--json]" },
};
#define NMOD_CMDS	(sizeof(mod_cmds) / sizeof(mod_cmds[0]))

struct held_state {
	int	 json;
	int	 n;
};

/* One-line text: control characters (a subject could hold any) as '?'. */
static void
print_field(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 32 || *s == 127 ? '?' : *s);
}

static int
held_one(const struct store_post *p, void *arg)
{
	struct held_state *s = arg;
	char when[32];
	struct tm tm;
	time_t t = p->created;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	if (!s->json) {
		printf("%lld\t%s\t", (long long)p->id, when);
		print_field(p->author);
		putchar('\t');
		print_field(p->subject);
		putchar('\t');
		print_field(p->reason);
		putchar('\n');
	} else {
		printf("%s\n  {\"id\": %lld, \"date\": \"%s\", \"author\": ",
		    s->n ? "," : "", (long long)p->id, when);
		json_str(stdout, p->author);
		printf(", \"sender\": ");
		json_str(stdout, p->sender);
		printf(", \"subject\": ");
		json_str(stdout, p->subject);
		printf(", \"message_id\": ");
		json_str(stdout, p->msgid);
		printf(", \"reason\": ");
		json_str(stdout, p->reason);
		printf("}");
	}
	s->n++;
	return 0;
}

static int
mod_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct held_state s;
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 2)
		return cmd_usage(mod_cmds, NMOD_CMDS, "ls");
	if ((rc = cmd_list_find(ctx, "mod ls", argv[1], &st, &l)) != 0)
		return rc;
	s.json = ctx->json;
	s.n = 0;
	if (ctx->json)
		printf("[");
	if (store_post_each(st, l.id, POST_HELD, held_one, &s) < 0) {
		fprintf(stderr, "postino: mod ls: store error: %s\n",
		    store_errmsg(st));
		rc = EX_TEMPFAIL_;
	} else if (ctx->json)
		printf("%s]\n", s.n ? "\n" : "");
	store_list_clear(&l);
	return rc;
}

int
cmd_mod(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "mod", mod_cmds, NMOD_CMDS, argc, argv);
}
