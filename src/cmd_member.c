/*
 * cmd_member.c — `postino member add|rm|ls|set|import`: a list's members.
 *
 * Owns nothing beyond one command's run.  Results go to stdout (one JSON
 * value with --json), errors to stderr as "postino: member SUB: what: why";
 * an import reports each bad line as "FILE:LINE: reason: 'text'".
 * A member is given as "addr", "<addr>" or "Name <addr>" (addr_mailbox.c);
 * the display name is kept, shown by ls and used in the To: of the
 * welcome (add --welcome).  A line whose name is bad is refused whole,
 * never imported without its name.
 * Exit codes (sysexits): 64 usage, 65 bad address, name or value (for
 * import: some lines were invalid, the valid ones were imported), 66
 * unreadable file, 67 no such list or member, 73 already a member, 75
 * store error, 78 templates missing (add --welcome).
 * An import is one transaction: a store or read error leaves no row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "listctx.h"
#include "postino.h"
#include "store.h"
#include "store_digest.h"
#include "subscription.h"

#define SHOW_MAX	120	/* bytes of a bad line quoted in a report */

static int	member_add(struct cmd_ctx *, int, char **);
static int	member_rm(struct cmd_ctx *, int, char **);
static int	member_ls(struct cmd_ctx *, int, char **);
static int	member_set(struct cmd_ctx *, int, char **);
static int	member_import(struct cmd_ctx *, int, char **);

static const struct cmd_sub member_cmds[] = {
	{ "add", member_add, CMD_STORE,
	    "member add LIST ADDR|'NAME <ADDR>' [--mode MODE] [--welcome]\n"
	    "         MODE: each, digest, nomail or follow" },
	{ "rm", member_rm, CMD_STORE, "member rm LIST ADDR" },
	{ "ls", member_ls, CMD_STORE | CMD_JSON,
	    "member ls LIST [--mode MODE] [--moderated] [--json]" },
	{ "set", member_set, CMD_STORE,
	    "member set LIST ADDR mode each|digest|nomail|follow\n"
	    "         postino member set LIST ADDR digest mime|plain\n"
	    "         postino member set LIST ADDR moderated yes|no\n"
	    "         postino member set LIST ADDR name NAME ('' removes it)" },
	{ "import", member_import, CMD_STORE,
	    "member import LIST FILE|- [--mode MODE]\n"
	    "         one address or 'Name <addr>' per line, '#' comments;"
	    " exits 0 when\n         no line was invalid, 65 when some were"
	    " (the valid ones are imported,\n         each bad one is named"
	    " with its line number)" },
};
#define NMEMBER_CMDS	(sizeof(member_cmds) / sizeof(member_cmds[0]))

static int
usage(const char *sub)
{
	return cmd_usage(member_cmds, NMEMBER_CMDS, sub);
}

/* text[0..len) quoted for a report into out (4 * SHOW_MAX + 8 bytes):
 * unprintable bytes as \xNN, "..." past SHOW_MAX bytes; its length. */
static size_t
show_text(const char *text, size_t len, char *out)
{
	size_t i, n = 0;

	out[n++] = '\'';
	for (i = 0; i < len && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 32 || c >= 127)
			n += (size_t)snprintf(out + n, 5, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	n += (size_t)snprintf(out + n, 5, "'%s", len > SHOW_MAX ? "..." : "");
	return n;
}

/* A member argument, "addr" or "Name <addr>": the normalised address and
 * the display name (name may be NULL: ignored); 0, or EX_DATAERR_ after
 * saying why. */
static int
member_mailbox(const char *sub, const char *arg, char out[ADDR_MAX],
    char *name)
{
	char shown[4 * SHOW_MAX + 8], ignored[ADDR_NAME_MAX];
	const char *error;

	if (addr_mailbox_parse(arg, strlen(arg), name ? name : ignored, out,
	    &error) < 0) {
		shown[show_text(arg, strlen(arg), shown)] = '\0';
		fprintf(stderr, "postino: member %s: %s: %s\n", sub, shown,
		    error);
		return EX_DATAERR_;
	}
	return 0;
}

static int
member_addr(const char *sub, const char *arg, char out[ADDR_MAX])
{
	return member_mailbox(sub, arg, out, NULL);
}

static int
mode_arg(const char *sub, const char *arg, enum member_mode *mode_r)
{
	if (member_mode_parse(arg, mode_r) < 0) {
		fprintf(stderr, "postino: member %s: unknown mode '%s' (each,"
		    " digest, nomail or follow)\n", sub, arg);
		return EX_DATAERR_;
	}
	return 0;
}

/* ---- add, rm, set ------------------------------------------------ */

/* "LIST ADDR [--mode MODE] [--welcome]"; 0 or an exit code. */
static int
add_args(int argc, char **argv, enum member_mode *mode, int *welcome)
{
	int i, rc;

	if (argc < 3)
		return usage("add");
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--welcome") == 0)
			*welcome = 1;
		else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			if ((rc = mode_arg("add", argv[++i], mode)) != 0)
				return rc;
		} else
			return usage("add");
	}
	return 0;
}

/* Add him, and queue the welcome when asked, in one transaction:
 * 0 added, 1 already a member, -1 store error, -2 the welcome could not
 * be made (the log says why; he was not added either). */
static int
add_welcome(struct cmd_ctx *ctx, struct store *st, const struct store_list *l,
    const char *addr, const char *name, enum member_mode mode, int welcome)
{
	struct buf note = BUF_INIT;
	struct list_ctx lc;
	int64_t id;
	int rc;

	memset(&lc, 0, sizeof(lc));
	if (store_begin(st) < 0)
		return -1;
	rc = store_member_add_named(st, l->id, addr, name, mode, &id);
	if (rc == 0 && welcome && list_ctx_init(st, &ctx->cfg, l, &lc) < 0)
		rc = -1;
	else if (rc == 0 && welcome && subscription_welcome(&lc, addr, name,
	    member_mode_name(mode), &note) < 0)
		rc = -2;
	if (rc != 0 || store_commit(st) < 0) {
		store_rollback(st);
		rc = rc > 0 || rc == -2 ? rc : -1;
	}
	list_ctx_clear(&lc);
	buf_free(&note);
	return rc;
}

static int
member_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	enum member_mode mode = MODE_EACH;
	struct store_list l;
	struct store *st;
	char addr[ADDR_MAX], name[ADDR_NAME_MAX];
	int rc, welcome = 0;

	if ((rc = add_args(argc, argv, &mode, &welcome)) != 0 ||
	    (rc = member_mailbox("add", argv[2], addr, name)) != 0)
		return rc;
	/* The welcome is rendered and carries the list's links. */
	if (welcome && (rc = cmd_setup(ctx, CMD_KEYS | CMD_TEMPLATES)) != 0)
		return rc;
	if ((rc = cmd_list_find(ctx, "member add", argv[1], &st, &l)) != 0)
		return rc;
	switch (add_welcome(ctx, st, &l, addr, name, mode, welcome)) {
	case 0:
		printf("added %s to %s (%s)%s\n", addr, l.addr,
		    member_mode_name(mode), welcome ? ", welcome queued" : "");
		break;
	case 1:
		fprintf(stderr, "postino: member add: '%s' is already a member"
		    " of %s\n", addr, l.addr);
		rc = EX_CANTCREAT_;
		break;
	case -2:
		fprintf(stderr, "postino: member add: the welcome for '%s' could"
		    " not be queued; %s was not added\n", addr, addr);
		rc = EX_TEMPFAIL_;
		break;
	default:
		rc = cmd_store_error(st, "member add");
	}
	store_list_clear(&l);
	return rc;
}

static int
member_rm(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	char addr[ADDR_MAX];
	int rc;

	if (argc != 3)
		return usage("rm");
	if ((rc = member_addr("rm", argv[2], addr)) != 0 ||
	    (rc = cmd_list_find(ctx, "member rm", argv[1], &st, &l)) != 0)
		return rc;
	switch (store_member_rm(st, l.id, addr)) {
	case 1:
		printf("removed %s from %s\n", addr, l.addr);
		break;
	case 0:
		fprintf(stderr, "postino: member rm: '%s' is not a member of"
		    " %s\n", addr, l.addr);
		rc = EX_NOUSER_;
		break;
	default:
		rc = cmd_store_error(st, "member rm");
	}
	store_list_clear(&l);
	return rc;
}

/* "name NAME": his display name, "" to remove it. */
static int
set_name(struct store *st, const struct store_list *l,
    const struct store_member *m, const char *arg)
{
	char name[ADDR_NAME_MAX], shown[4 * SHOW_MAX + 8];
	const char *error;

	if (addr_name_literal(arg, strlen(arg), name, &error) < 0) {
		shown[show_text(arg, strlen(arg), shown)] = '\0';
		fprintf(stderr, "postino: member set: name %s: %s\n", shown,
		    error);
		return EX_DATAERR_;
	}
	if (store_member_set_name(st, l->id, m->id, name) < 0)
		return cmd_store_error(st, "member set");
	printf("%s: %s name = %s\n", l->addr, m->addr, *name ? name :
	    "(none)");
	return 0;
}

/* The change asked for by "mode MODE", "digest mime|plain",
 * "moderated yes|no" or "name NAME". */
static int
set_apply(struct store *st, const struct store_list *l,
    const struct store_member *m, char **argv)
{
	enum member_mode mode;
	int rc, yes;

	if (strcmp(argv[3], "name") == 0)
		return set_name(st, l, m, argv[4]);
	if (strcmp(argv[3], "mode") == 0) {
		if ((rc = mode_arg("set", argv[4], &mode)) != 0)
			return rc;
		if (store_member_set_mode(st, l->id, m->addr, mode) < 0)
			return cmd_store_error(st, "member set");
		printf("%s: %s mode = %s\n", l->addr, m->addr,
		    member_mode_name(mode));
		return 0;
	}
	if (strcmp(argv[3], "digest") == 0) {
		if (strcmp(argv[4], "mime") != 0 &&
		    strcmp(argv[4], "plain") != 0) {
			fprintf(stderr, "postino: member set: digest format"
			    " must be 'mime' or 'plain', not '%s'\n", argv[4]);
			return EX_DATAERR_;
		}
		if (store_member_set_digest_format(st, l->id, m->addr,
		    argv[4]) < 0)
			return cmd_store_error(st, "member set");
		printf("%s: %s digest format = %s\n", l->addr, m->addr,
		    argv[4]);
		return 0;
	}
	if (strcmp(argv[4], "yes") != 0 && strcmp(argv[4], "no") != 0) {
		fprintf(stderr, "postino: member set: moderated must be 'yes'"
		    " or 'no', not '%s'\n", argv[4]);
		return EX_DATAERR_;
	}
	yes = strcmp(argv[4], "yes") == 0;
	if (store_member_set_moderated(st, l->id, m->id, yes) < 0)
		return cmd_store_error(st, "member set");
	printf("%s: %s moderated = %s\n", l->addr, m->addr, argv[4]);
	return 0;
}

static int
member_set(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_member m;
	struct store_list l;
	struct store *st;
	char addr[ADDR_MAX];
	int rc;

	if (argc != 5 || (strcmp(argv[3], "mode") != 0 &&
	    strcmp(argv[3], "digest") != 0 &&
	    strcmp(argv[3], "moderated") != 0 && strcmp(argv[3], "name") != 0))
		return usage("set");
	if ((rc = member_addr("set", argv[2], addr)) != 0 ||
	    (rc = cmd_list_find(ctx, "member set", argv[1], &st, &l)) != 0)
		return rc;
	if ((rc = store_member_get(st, l.id, addr, &m)) == 1) {
		rc = set_apply(st, &l, &m, argv);
		store_member_clear(&m);
	} else if (rc == 0) {
		fprintf(stderr, "postino: member set: '%s' is not a member of"
		    " %s\n", addr, l.addr);
		rc = EX_NOUSER_;
	} else
		rc = cmd_store_error(st, "member set");
	store_list_clear(&l);
	return rc;
}

/* ---- ls ---------------------------------------------------------- */

struct ls_state {
	struct store	*st;
	int		 json;
	int64_t		 n;
	int		 mode;		/* only this mode, or -1 */
	int		 moderated;	/* only moderated members */
};

/* Why a disabled member gets no mail ("" when he does). */
static void
ls_disabled(struct ls_state *s, const struct store_member *m, char *out,
    size_t len)
{
	struct store_bounce b;

	*out = '\0';
	if (m->disabled == 0)
		return;
	snprintf(out, len, "bounces");
	if (store_bounce_get(s->st, m->id, &b) == 1 && *b.reason)
		snprintf(out, len, "bounces: %s", b.reason);
	store_bounce_clear(&b);
}

/* The end of a text line: his display name quoted, when he has one. */
static void
ls_name(const char *name)
{
	if (name != NULL && *name != '\0') {
		printf(" \"");
		for (; *name != '\0'; name++)
			printf(*name == '"' || *name == '\\' ? "\\%c" : "%c",
			    *name);
		printf("\"");
	}
	printf("\n");
}

static int
ls_one(const struct store_member *m, void *arg)
{
	struct ls_state *s = arg;
	char when[CMD_TIME_MAX], why[300];

	if ((s->mode >= 0 && (int)m->mode != s->mode) ||
	    (s->moderated && !m->moderated))
		return 0;
	ls_disabled(s, m, why, sizeof(why));
	if (!s->json) {
		printf("%s %s%s%s%s%s%s", m->addr, member_mode_name(m->mode),
		    m->mode == MODE_DIGEST ? (m->digest_plain ? " plain" :
		    " mime") : "", m->moderated ? " moderated" : "",
		    *why ? " disabled (" : "", why, *why ? ")" : "");
		ls_name(m->name);
		s->n++;
		return 0;
	}
	cmd_time(m->created, when);
	printf("%s\n  {\"id\": %lld, \"address\": ", s->n ? "," : "",
	    (long long)m->id);
	json_str(stdout, m->addr);
	printf(", \"name\": ");
	if (m->name != NULL && *m->name != '\0')
		json_str(stdout, m->name);
	else
		printf("null");
	printf(", \"mode\": \"%s\", \"digest_format\": \"%s\","
	    " \"created\": \"%s\", \"moderated\": %s, \"disabled\": %s",
	    member_mode_name(m->mode), m->digest_plain ? "plain" : "mime",
	    when, m->moderated ? "true" : "false", *why ? "true" : "false");
	if (*why) {
		printf(", \"disabled_why\": ");
		json_str(stdout, why);
	}
	printf("}");
	s->n++;
	return 0;
}

static int
member_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct ls_state s;
	struct store *st;
	enum member_mode mode;
	int rc, i;

	if (argc < 2)
		return usage("ls");
	memset(&s, 0, sizeof(s));
	s.mode = -1;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--moderated") == 0)
			s.moderated = 1;
		else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			if ((rc = mode_arg("ls", argv[++i], &mode)) != 0)
				return rc;
			s.mode = (int)mode;
		} else
			return usage("ls");
	}
	if ((rc = cmd_list_find(ctx, "member ls", argv[1], &st, &l)) != 0)
		return rc;
	s.st = st;
	s.json = ctx->json;
	if (ctx->json)
		printf("[");
	if (store_member_each(st, l.id, ls_one, &s) < 0)
		rc = cmd_store_error(st, "member ls");
	else if (ctx->json)
		printf("%s]\n", s.n ? "\n" : "");
	store_list_clear(&l);
	return rc;
}

/* ---- import ------------------------------------------------------ */

struct import {
	const char	*name;		/* file name for reports */
	struct store	*st;
	int64_t		 list_id;
	enum member_mode mode;
	int64_t		 max_before;	/* members above it: from this file */
	long long	 added, dups, invalid;
};

/*
 * Report a line: "FILE:LINE: why: 'text'", unprintable bytes as \xNN.
 * One write per report: stderr is unbuffered, and an import may report
 * a million duplicates.
 */
static void
import_report(const struct import *im, unsigned long lineno,
    const char *why, const char *text, size_t len)
{
	char out[4 * SHOW_MAX + 512];
	size_t n;

	n = (size_t)snprintf(out, 320, "%.200s:%lu: %.80s: ", im->name,
	    lineno, why);
	if (n >= 320)		/* cannot happen with those precisions */
		n = 319;
	n += show_text(text, len, out + n);
	out[n++] = '\n';
	fwrite(out, 1, n, stderr);
}

/* Classify a duplicate: already a member before, or earlier in the file. */
static int
import_dup(struct import *im, const char *addr, const char **why_r)
{
	struct store_member m;
	int rc;

	if ((rc = store_member_get(im->st, im->list_id, addr, &m)) < 0)
		return -1;
	*why_r = rc == 1 && m.id > im->max_before ?
	    "duplicate of an earlier line" : "already a member";
	store_member_clear(&m);
	return 0;
}

/* One raw line (no newline) of len bytes; 0, or -1 on a store error. */
static int
import_line(struct import *im, char *line, size_t len, unsigned long lineno)
{
	char name[ADDR_NAME_MAX], addr[ADDR_MAX];
	const char *why;
	int rc;

	while (len > 0 && strchr(" \t\r", line[len - 1]) != NULL)
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len == 0 || *line == '#')
		return 0;
	if (memchr(line, '\0', len) != NULL)
		why = "NUL byte in line";
	else if (addr_mailbox_parse(line, len, name, addr, &why) == 0) {
		if ((rc = store_member_import_one(im->st, im->list_id, addr,
		    name, im->mode)) < 0)
			return -1;
		if (rc == 0) {
			im->added++;
			return 0;
		}
		if (import_dup(im, addr, &why) < 0)
			return -1;
		im->dups++;
		import_report(im, lineno, why, line, len);
		return 0;
	}
	im->invalid++;
	import_report(im, lineno, why, line, len);
	return 0;
}

/* Read fp to the end inside the open transaction; 0 or an exit code. */
static int
import_read(struct import *im, FILE *fp)
{
	unsigned long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (import_line(im, line, (size_t)n, lineno) < 0) {
			rc = cmd_store_error(im->st, "member import");
			goto out;
		}
	}
	if (ferror(fp)) {
		fprintf(stderr, "postino: member import: %s: read error: %s;"
		    " nothing imported\n", im->name, strerror(errno));
		rc = EX_NOINPUT_;
	}
out:
	free(line);
	return rc;
}

/* Parse "LIST FILE|- [--mode MODE]"; 0 or an exit code. */
static int
import_args(int argc, char **argv, struct import *im)
{
	memset(im, 0, sizeof(*im));
	im->mode = MODE_EACH;
	if (argc != 3 && (argc != 5 || strcmp(argv[3], "--mode") != 0))
		return usage("import");
	if (argc == 5)
		return mode_arg("import", argv[4], &im->mode);
	return 0;
}

static int
member_import(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct import im;
	FILE *fp = NULL;
	int rc;

	if ((rc = import_args(argc, argv, &im)) != 0 ||
	    (rc = cmd_list_find(ctx, "member import", argv[1], &im.st, &l)) != 0)
		return rc;
	im.list_id = l.id;
	im.name = strcmp(argv[2], "-") == 0 ? "stdin" : argv[2];
	fp = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "r");
	if (fp == NULL) {
		fprintf(stderr, "postino: member import: %s: %s\n", argv[2],
		    strerror(errno));
		rc = EX_NOINPUT_;
		goto out;
	}
	if (store_begin(im.st) < 0 ||
	    (im.max_before = store_member_max_id(im.st)) < 0) {
		rc = cmd_store_error(im.st, "member import");
		store_rollback(im.st);
		goto out;
	}
	if ((rc = import_read(&im, fp)) != 0 || store_commit(im.st) < 0) {
		store_rollback(im.st);
		rc = rc != 0 ? rc : cmd_store_error(im.st, "member import");
		goto out;
	}
	printf("imported %lld, duplicates %lld, invalid %lld\n", im.added,
	    im.dups, im.invalid);
	rc = im.invalid > 0 ? EX_DATAERR_ : 0;
out:
	if (fp != NULL && fp != stdin)
		fclose(fp);
	store_list_clear(&l);
	return rc;
}

int
cmd_member(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "member", member_cmds, NMEMBER_CMDS, argc,
	    argv);
}
