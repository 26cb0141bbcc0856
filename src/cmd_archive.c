/*
 * cmd_archive.c — `postino archive export|html LIST ...`: a list's
 * accepted posts as an mboxrd file, or as a static HTML archive.
 *
 * export writes to stdout, or with -o to FILE atomically (a temporary
 * file beside it, fsynced, renamed): an export that fails leaves the old
 * FILE as it was.  html writes only the files that changed and says how
 * many it wrote.  Owns nothing beyond one command's run.  Errors go to
 * stderr as "postino: archive SUB: what: why"; exit codes are sysexits:
 * 64 usage, 65 a bad date, 67 no such list, 73 the output cannot be
 * written, 75 store error, 78 a broken template.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "cmd.h"
#include "listconf.h"
#include "listctx.h"
#include "postino.h"
#include "store.h"

static int	archive_export_cmd(struct cmd_ctx *, int, char **);
static int	archive_html_cmd(struct cmd_ctx *, int, char **);

static const struct cmd_sub archive_cmds[] = {
	{ "export", archive_export_cmd, CMD_STORE,
	    "archive export LIST [--since YYYY-MM-DD] [-o FILE]" },
	{ "html", archive_html_cmd, CMD_STORE | CMD_TEMPLATES | CMD_JSON,
	    "archive html LIST DIR [--json]" },
};
#define NARCHIVE_CMDS	(sizeof(archive_cmds) / sizeof(archive_cmds[0]))

static int
usage(const char *sub)
{
	return cmd_usage(archive_cmds, NARCHIVE_CMDS, sub);
}

/* ---- export ------------------------------------------------------- */

struct export_args {
	const char	*list;
	const char	*since;		/* NULL: every post */
	const char	*out;		/* NULL: stdout */
};

/* LIST [--since DATE] [-o FILE], options in any order, each once. */
static int
export_args(int argc, char **argv, struct export_args *ea)
{
	const char **opt;
	int i;

	memset(ea, 0, sizeof(*ea));
	if (argc < 2 || argv[1][0] == '-')
		return -1;
	ea->list = argv[1];
	for (i = 2; i < argc; i += 2) {
		if (strcmp(argv[i], "--since") == 0)
			opt = &ea->since;
		else if (strcmp(argv[i], "-o") == 0)
			opt = &ea->out;
		else
			return -1;
		if (*opt != NULL || i + 1 == argc || argv[i + 1][0] == '\0')
			return -1;
		*opt = argv[i + 1];
	}
	return 0;
}

/* Export into fp; 0, or the exit code after saying why. */
static int
export_to(struct store *st, const struct store_list *l, time_t since,
    FILE *fp, const char *name, size_t *count_r)
{
	if (archive_export(st, l->id, since, fp, count_r) < 0)
		return cmd_store_error(st, "archive export");
	if (fflush(fp) != 0 || ferror(fp)) {
		fprintf(stderr, "postino: archive export: %s: %s\n", name,
		    strerror(errno != 0 ? errno : EIO));
		return EX_CANTCREAT_;
	}
	return 0;
}

static int
archive_export_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct export_args ea;
	struct store_list l;
	struct buf tmp = BUF_INIT;
	struct store *st;
	time_t since = 0;
	size_t count = 0;
	FILE *fp;
	int rc;

	if (export_args(argc, argv, &ea) < 0)
		return usage("export");
	if (ea.since != NULL && archive_date_parse(ea.since, &since) < 0) {
		fprintf(stderr, "postino: archive export: --since '%s': not a "
		    "date (YYYY-MM-DD, from 1970-01-01)\n", ea.since);
		return EX_DATAERR_;
	}
	if ((rc = cmd_list_find(ctx, "archive export", ea.list, &st, &l)) != 0)
		return rc;
	if (ea.out == NULL) {
		rc = export_to(st, &l, since, stdout, "stdout", &count);
		goto out;
	}
	if ((fp = archive_file_begin(ea.out, &tmp)) == NULL) {
		fprintf(stderr, "postino: archive export: %s: %s\n", ea.out,
		    strerror(errno));
		rc = EX_CANTCREAT_;
		goto out;
	}
	if ((rc = export_to(st, &l, since, fp, ea.out, &count)) != 0)
		archive_file_abort(fp, tmp.data);
	else if (archive_file_commit(fp, tmp.data, ea.out, 1) < 0) {
		fprintf(stderr, "postino: archive export: %s: %s\n", ea.out,
		    strerror(errno));
		rc = EX_CANTCREAT_;
	} else
		printf("%s: %zu posts written to %s\n", l.addr, count, ea.out);
out:
	buf_free(&tmp);
	store_list_clear(&l);
	return rc;
}

/* ---- html --------------------------------------------------------- */

static int
html_status(enum archive_status s, struct store *st, const char *error)
{
	switch (s) {
	case ARCHIVE_OK:
		return 0;
	case ARCHIVE_ESTORE:
		return cmd_store_error(st, "archive html");
	case ARCHIVE_EFILE:
		fprintf(stderr, "postino: archive html: %s\n", error);
		return EX_CANTCREAT_;
	case ARCHIVE_ETEMPLATE:
		fprintf(stderr, "postino: archive html: %s\n", error);
		return EX_CONFIG_;
	}
	return EX_SOFTWARE_;
}

static int
archive_html_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct archive_html a;
	enum archive_status status;
	struct store_list l;
	struct store *st;
	char *lang = NULL, *override = NULL, *error = NULL;
	int rc;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '\0')
		return usage("html");
	if ((rc = cmd_list_find(ctx, "archive html", argv[1], &st, &l)) != 0)
		return rc;
	if ((lang = listconf_get(st, l.id, l.addr, "language")) == NULL) {
		rc = cmd_store_error(st, "archive html");
		goto out;
	}
	override = list_override_dir(&ctx->cfg, l.addr);
	memset(&a, 0, sizeof(a));
	a.dir = argv[2];
	a.templates = ctx->cfg.templates;
	a.override_dir = override;
	a.lang = lang;
	a.list_addr = l.addr;
	a.list_created = l.created;
	status = archive_html_write(st, l.id, &a, &error);
	rc = html_status(status, st, error);
	if (rc == 0 && ctx->json)
		printf("{\"written\": %zu, \"unchanged\": %zu}\n", a.written,
		    a.unchanged);
	else if (rc == 0)
		printf("%s: %zu pages written, %zu unchanged\n", l.addr,
		    a.written, a.unchanged);
out:
	free(error);
	free(override);
	free(lang);
	store_list_clear(&l);
	return rc;
}

int
cmd_archive(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "archive", archive_cmds, NARCHIVE_CMDS, argc,
	    argv);
}
