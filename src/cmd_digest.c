/*
 * cmd_digest.c — `postino digest send|preview|volume|ls LIST`: the
 * owners' hands on a list's digests (digest.c does the work).
 *
 * send cuts and queues the digest of the posts waiting now (a running
 * daemon delivers it); preview prints the next digest as it would go out
 * and changes nothing; volume starts a new volume; ls lists the digests
 * sent.  Errors go to stderr as "postino: digest SUB: what: why"; exit
 * codes are sysexits: 64 usage, 67 no such list, 75 store error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cmd.h"
#include "digest.h"
#include "postino.h"
#include "store.h"
#include "store_digest.h"

static int	digest_cmd_send(struct cmd_ctx *, int, char **);
static int	digest_cmd_preview(struct cmd_ctx *, int, char **);
static int	digest_cmd_volume(struct cmd_ctx *, int, char **);
static int	digest_cmd_ls(struct cmd_ctx *, int, char **);

static const struct cmd_sub digest_cmds[] = {
	{ "send", digest_cmd_send, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "digest send LIST" },
	{ "preview", digest_cmd_preview, CMD_STORE | CMD_KEYS | CMD_TEMPLATES,
	    "digest preview LIST [--plain]" },
	{ "volume", digest_cmd_volume, CMD_STORE, "digest volume LIST" },
	{ "ls", digest_cmd_ls, CMD_STORE | CMD_JSON, "digest ls LIST [--json]" },
};
#define NDIGEST_CMDS	(sizeof(digest_cmds) / sizeof(digest_cmds[0]))

static int
usage(const char *sub)
{
	return cmd_usage(digest_cmds, NDIGEST_CMDS, sub);
}

static int
digest_cmd_send(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct digest_cut cut;
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 2)
		return usage("send");
	if ((rc = cmd_list_find(ctx, "digest send", argv[1], &st, &l)) != 0)
		return rc;
	rc = digest_send(st, &ctx->cfg, &l, time(NULL), &cut);
	if (rc < 0)
		rc = cmd_store_error(st, "digest send");
	else if (rc == 0) {
		printf("%s: no posts waiting: no digest sent\n", l.addr);
		rc = EX_OK_;
	} else {
		printf("%s: digest volume %lld issue %lld queued: %lld post(s),"
		    " %lld personal copies\n", l.addr, (long long)cut.volume,
		    (long long)cut.issue, (long long)cut.posts,
		    (long long)cut.personal);
		rc = EX_OK_;
	}
	store_list_clear(&l);
	return rc;
}

static int
digest_cmd_preview(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buf out = BUF_INIT;
	struct store_list l;
	struct store *st;
	size_t i;
	int rc, plain = 0;

	if (argc == 3 && strcmp(argv[2], "--plain") == 0)
		plain = 1;
	else if (argc != 2)
		return usage("preview");
	if ((rc = cmd_list_find(ctx, "digest preview", argv[1], &st, &l)) != 0)
		return rc;
	rc = digest_preview(st, &ctx->cfg, &l, plain, time(NULL), &out);
	if (rc < 0)
		rc = cmd_store_error(st, "digest preview");
	else if (rc == 0) {
		fprintf(stderr, "postino: digest preview: %s: no posts"
		    " waiting\n", l.addr);
		rc = EX_OK_;
	} else {
		/* The mail as it goes out, with local line ends. */
		for (i = 0; i < out.len; i++)
			if (out.data[i] != '\r' || i + 1 == out.len ||
			    out.data[i + 1] != '\n')
				putchar(out.data[i]);
		rc = EX_OK_;
	}
	buf_free(&out);
	store_list_clear(&l);
	return rc;
}

static int
digest_cmd_volume(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	int64_t volume;
	int rc;

	if (argc != 2)
		return usage("volume");
	if ((rc = cmd_list_find(ctx, "digest volume", argv[1], &st, &l)) != 0)
		return rc;
	if (store_digest_new_volume(st, l.id, &volume) < 0)
		rc = cmd_store_error(st, "digest volume");
	else
		printf("%s: the next digest is volume %lld issue 1\n", l.addr,
		    (long long)volume);
	store_list_clear(&l);
	return rc;
}

struct ls_state {
	int	 json;
	int	 n;
};

static int
ls_one(const struct store_digest *d, void *arg)
{
	struct ls_state *s = arg;
	char when[CMD_TIME_MAX];

	cmd_time(d->created, when);
	if (s->json)
		printf("%s\n  {\"volume\": %lld, \"issue\": %lld, \"sent\":"
		    " \"%s\", \"posts\": %lld}", s->n ? "," : "",
		    (long long)d->volume, (long long)d->issue, when,
		    (long long)d->posts);
	else
		printf("volume %lld issue %lld  %s  %lld post(s)\n",
		    (long long)d->volume, (long long)d->issue, when,
		    (long long)d->posts);
	s->n++;
	return 0;
}

static int
digest_cmd_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct ls_state s = { ctx->json, 0 };
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 2)
		return usage("ls");
	if ((rc = cmd_list_find(ctx, "digest ls", argv[1], &st, &l)) != 0)
		return rc;
	if (s.json)
		printf("[");
	if (store_digest_each(st, l.id, 0, ls_one, &s) < 0)
		rc = cmd_store_error(st, "digest ls");
	else if (s.json)
		printf("%s]\n", s.n ? "\n" : "");
	store_list_clear(&l);
	return rc;
}

int
cmd_digest(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "digest", digest_cmds, NDIGEST_CMDS, argc,
	    argv);
}
