/*
 * cmd_list.c — `postino list create|ls|show|set|rm`: lists, their settings
 * and their owners and moderators.
 *
 * Owns nothing beyond one command's run.  Results go to stdout (one JSON
 * value with --json), errors to stderr as "postino: list SUB: what: why",
 * and the exit code is a sysexits value: 64 usage, 65 bad address or
 * value, 67 no such list, 73 list exists already, 75 store error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cmd.h"
#include "listconf.h"
#include "modlog.h"
#include "postino.h"
#include "rules.h"
#include "store.h"
#include "style.h"

static int	list_create(struct cmd_ctx *, int, char **);
static int	list_ls(struct cmd_ctx *, int, char **);
static int	list_show(struct cmd_ctx *, int, char **);
static int	list_set(struct cmd_ctx *, int, char **);
static int	list_rm(struct cmd_ctx *, int, char **);
static int	list_role(struct cmd_ctx *, int, char **);

static const struct cmd_sub list_cmds[] = {
	{ "create", list_create, CMD_STORE,
	    "list create ADDR [--owner ADDR]... [--moderator ADDR]..."
	    " [--style discussion|announce|moderated|private]" },
	{ "ls", list_ls, CMD_STORE | CMD_JSON, "list ls [--json]" },
	{ "show", list_show, CMD_STORE | CMD_JSON, "list show ADDR [--json]" },
	{ "set", list_set, CMD_STORE, "list set ADDR KEY VALUE" },
	{ "rm", list_rm, CMD_STORE, "list rm ADDR" },
	{ "role", list_role, CMD_STORE | CMD_KEYS,
	    "list role ADDR add|rm owner|moderator MEMBER" },
};
#define NLIST_CMDS	(sizeof(list_cmds) / sizeof(list_cmds[0]))

/* The style a list was created with, beside its settings (no setting:
 * listconf has no such key). */
#define LIST_STYLE_KEY	"style"

static int
usage(const char *sub)
{
	return cmd_usage(list_cmds, NLIST_CMDS, sub);
}

/* ISO 8601 UTC time into a static buffer. */
static const char *
fmt_time(time_t t)
{
	static char s[CMD_TIME_MAX];

	cmd_time(t, s);
	return s;
}

/*
 * A new list's address: a valid address, lower-cased, whose local part is
 * [a-z0-9][a-z0-9._-]{0,63} and cannot be confused with the address of
 * another list's extension or command address.
 */
static int
list_addr_check(const char *in, const char *delim, char out[ADDR_MAX],
    const char **error_r)
{
	static char why[80];
	size_t llen, i;

	if (addr_normalize(in, out, error_r) < 0)
		return -1;
	addr_key(out, out);
	(void)addr_domain(out, &llen);
	if (*delim != '\0' && memchr(out, *delim, llen) != NULL) {
		snprintf(why, sizeof(why), "'%c' is the recipient delimiter,"
		    " not allowed in a list name", *delim);
		*error_r = why;
		return -1;
	}
	for (i = 0; i < llen; i++) {
		if ((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= '0' && out[i] <= '9'))
			continue;
		if (i == 0 || strchr("._-", out[i]) == NULL) {
			*error_r = i == 0 ? "list name must start with a letter"
			    " or digit" : "list name may only contain letters,"
			    " digits, '.', '_' and '-'";
			return -1;
		}
	}
	if (llen >= 8 && memcmp(out + llen - 8, "-request", 8) == 0) {
		*error_r = "names ending in '-request' are reserved for"
		    " command addresses";
		return -1;
	}
	return 0;
}

/* ---- create ------------------------------------------------------ */

/* Style name from the templates: 0, or an exit code after saying why
 * (64 with the styles there are for a name that is none). */
static int
style_read(struct cmd_ctx *ctx, const char *name, struct style *s)
{
	struct buf names = BUF_INIT;
	char *error = NULL;
	int rc;

	if ((rc = style_load(ctx->cfg.templates, name, s, &error)) == 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "postino: list create: style %s: %s\n", name,
		    error);
		free(error);
		return EX_DATAERR_;
	}
	if (style_names(ctx->cfg.templates, &names) < 0)
		buf_puts(&names, "none (no styles directory)");
	fprintf(stderr, "postino: list create: unknown style '%s'; styles:"
	    " %s\n", name, names.data);
	buf_free(&names);
	return EX_USAGE_;
}

/* Log one line of a style applied to list id, in its transaction. */
static int
style_logged(struct cmd_ctx *ctx, int64_t id, const char *style,
    const struct style_line *l)
{
	struct modlog_entry e;
	struct buf what = BUF_INIT;
	char who[80];
	int rc;

	snprintf(who, sizeof(who), "shell:%s", ctx->shell_user);
	if (l->kind == STYLE_SET)
		buf_printf(&what, "setting %s = '%s' (style %s)", l->a, l->b,
		    style);
	else
		buf_printf(&what, "rule added (style %s)", style);
	memset(&e, 0, sizeof(e));
	e.action = MODLOG_RULE_CHANGED;
	e.msgid = "";
	e.subject = "";
	e.rule = l->kind == STYLE_RULE ? l->a : "";
	e.reason = what.data;
	e.moderator = who;
	rc = modlog_append(ctx->st, id, &e);
	buf_free(&what);
	return rc;
}

/*
 * Each setting and rule of the style, each logged: 0 or an exit code.
 * The style's name is kept beside the settings, under a key that is no
 * setting (list set refuses it), for list show.
 */
static int
style_apply(struct cmd_ctx *ctx, int64_t id, const char *name,
    const struct style *s)
{
	const struct style_line *l;
	size_t i;

	for (i = 0; i < s->n; i++) {
		l = &s->lines[i];
		if ((l->kind == STYLE_SET ? store_list_setting_set(ctx->st, id,
		    l->a, l->b) : rules_add(ctx->st, id, l->a, l->c, l->d, l->b,
		    l->text, 0)) != 0 || style_logged(ctx, id, name, l) < 0)
			return cmd_store_error(ctx->st, "list create");
	}
	if (store_list_setting_set(ctx->st, id, LIST_STYLE_KEY, name) < 0)
		return cmd_store_error(ctx->st, "list create");
	return 0;
}

/* Add each "--owner X" / "--moderator X" of argv; 0 or an exit code. */
static int
create_roles(struct store *st, int64_t id, int argc, char **argv)
{
	char addr[ADDR_MAX];
	const char *error;
	int i;

	for (i = 2; i + 1 < argc; i += 2) {
		const char *role = strcmp(argv[i], "--owner") == 0 ?
		    "owner" : "moderator";

		if (strcmp(argv[i], "--style") == 0)
			continue;
		if (addr_normalize(argv[i + 1], addr, &error) < 0) {
			fprintf(stderr, "postino: list create: %s '%s': %s\n",
			    role, argv[i + 1], error);
			return EX_DATAERR_;
		}
		if (store_role_add(st, id, role, addr) < 0)
			return cmd_store_error(st, "list create");
	}
	return 0;
}

/* "create ADDR" then "--owner X" / "--moderator X" pairs and at most
 * one "--style NAME" (into *style, else NULL). */
static int
create_args_ok(int argc, char **argv, const char **style)
{
	int i;

	*style = NULL;
	if (argc < 2 || argv[1][0] == '-')
		return 0;
	for (i = 2; i < argc; i += 2) {
		if (i + 1 >= argc || (strcmp(argv[i], "--style") == 0 &&
		    *style != NULL))
			return 0;
		if (strcmp(argv[i], "--style") == 0)
			*style = argv[i + 1];
		else if (strcmp(argv[i], "--owner") != 0 &&
		    strcmp(argv[i], "--moderator") != 0)
			return 0;
	}
	return 1;
}

static int
list_create(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct style style;
	struct store *st;
	char addr[ADDR_MAX];
	const char *error, *style_name;
	int64_t id;
	int rc;

	memset(&style, 0, sizeof(style));
	if (!create_args_ok(argc, argv, &style_name))
		return usage("create");
	if (style_name != NULL && (rc = style_read(ctx, style_name,
	    &style)) != 0)
		return rc;
	if (list_addr_check(argv[1], ctx->cfg.recipient_delimiter, addr,
	    &error) < 0) {
		fprintf(stderr, "postino: list create: '%s': %s\n", argv[1],
		    error);
		return EX_DATAERR_;
	}
	st = ctx->st;
	if (store_begin(st) < 0)
		return cmd_store_error(st, "list create");
	if ((rc = store_list_create(st, addr, &id)) < 0) {
		rc = cmd_store_error(st, "list create");
		goto fail;
	}
	if (rc == 1) {
		fprintf(stderr, "postino: list create: list '%s' exists"
		    " already\n", addr);
		rc = EX_CANTCREAT_;
		goto fail;
	}
	if ((rc = create_roles(st, id, argc, argv)) != 0 ||
	    (style_name != NULL && (rc = style_apply(ctx, id, style_name,
	    &style)) != 0))
		goto fail;
	style_clear(&style);
	if (store_commit(st) < 0)
		return cmd_store_error(st, "list create");
	printf("created list %s%s%s\n", addr, style_name ? " with style " :
	    "", style_name ? style_name : "");
	return 0;
fail:
	style_clear(&style);
	store_rollback(st);
	return rc;
}

/* ---- ls ---------------------------------------------------------- */

struct ls_state {
	struct cmd_ctx	*ctx;
	struct store	*st;
	int		 n;
};

static int
ls_one(const struct store_list *l, void *arg)
{
	struct ls_state *s = arg;
	int64_t count = store_member_count(s->st, l->id);

	if (count < 0)
		return -1;
	if (!s->ctx->json) {
		printf("%s %lld\n", l->addr, (long long)count);
	} else {
		printf("%s\n  {\"address\": ", s->n == 0 ? "" : ",");
		json_str(stdout, l->addr);
		printf(", \"members\": %lld, \"created\": \"%s\"}",
		    (long long)count, fmt_time(l->created));
	}
	s->n++;
	return 0;
}

static int
list_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct ls_state s;

	(void)argv;
	if (argc != 1)
		return usage("ls");
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.st = ctx->st;
	if (ctx->json)
		printf("[");
	if (store_list_each(s.st, ls_one, &s) < 0)
		return cmd_store_error(s.st, "list ls");
	if (ctx->json)
		printf("%s]\n", s.n > 0 ? "\n" : "");
	return 0;
}

/* ---- show -------------------------------------------------------- */

struct show_counts {
	int64_t		 modes[MODE_FOLLOW + 1];
	int64_t		 held;
	int		 n;
};

static int
count_member(const struct store_member *m, void *arg)
{
	struct show_counts *c = arg;

	if ((size_t)m->mode < sizeof(c->modes) / sizeof(c->modes[0]))
		c->modes[m->mode]++;
	return 0;
}

static int
count_post(const struct store_post *p, void *arg)
{
	(void)p;
	((struct show_counts *)arg)->held++;
	return 0;
}

struct role_state {
	int	 json;
	int	 n;
};

static int
print_role(const char *addr, void *arg)
{
	struct role_state *r = arg;

	if (r->json) {
		printf("%s", r->n > 0 ? ", " : "");
		json_str(stdout, addr);
	} else
		printf(" %s", addr);
	r->n++;
	return 0;
}

static int
show_roles(struct cmd_ctx *ctx, struct store *st, const struct store_list *l)
{
	static const char *const roles[] = { "owner", "moderator" };
	struct role_state r;
	size_t i;

	for (i = 0; i < 2; i++) {
		r.json = ctx->json;
		r.n = 0;
		printf(ctx->json ? "  \"%ss\": [" : "%ss:", roles[i]);
		if (store_role_each(st, l->id, roles[i], print_role, &r) < 0)
			return -1;
		printf(ctx->json ? "],\n" : "\n");
	}
	return 0;
}

static int
show_settings(struct cmd_ctx *ctx, struct store *st,
    const struct store_list *l)
{
	const struct listconf_key *keys;
	size_t n, i;
	char *set, *v;
	int rc;

	keys = listconf_keys(&n);
	printf(ctx->json ? "  \"settings\": {" : "settings:\n");
	for (i = 0; i < n; i++) {
		if ((rc = store_list_setting_get(st, l->id, keys[i].name,
		    &set)) < 0)
			return -1;
		free(set);
		if ((v = listconf_get(st, l->id, l->addr, keys[i].name)) == NULL)
			return -1;
		if (ctx->json) {
			printf("%s\n    \"%s\": {\"value\": ", i ? "," : "",
			    keys[i].name);
			json_str(stdout, v);
			printf(", \"default\": %s}", rc ? "false" : "true");
		} else
			printf("  %-18s %s%s\n", keys[i].name,
			    *v ? v : "''", rc ? "" : "  (default)");
		free(v);
	}
	printf(ctx->json ? "\n  },\n" : "");
	return 0;
}

static int
show_counts(struct cmd_ctx *ctx, struct store *st, const struct store_list *l)
{
	struct show_counts c;
	int64_t total;

	memset(&c, 0, sizeof(c));
	if (store_member_each(st, l->id, count_member, &c) < 0 ||
	    store_post_each(st, l->id, POST_HELD, count_post, &c) < 0)
		return -1;
	total = c.modes[MODE_EACH] + c.modes[MODE_DIGEST] +
	    c.modes[MODE_NOMAIL] + c.modes[MODE_FOLLOW];
	printf(ctx->json ? "  \"members\": {\"total\": %lld, \"each\": %lld,"
	    " \"digest\": %lld, \"nomail\": %lld, \"follow\": %lld},\n"
	    "  \"held\": %lld\n" :
	    "members: %lld (each %lld, digest %lld, nomail %lld, follow %lld)\n"
	    "held posts: %lld\n", (long long)total,
	    (long long)c.modes[MODE_EACH], (long long)c.modes[MODE_DIGEST],
	    (long long)c.modes[MODE_NOMAIL], (long long)c.modes[MODE_FOLLOW],
	    (long long)c.held);
	return 0;
}

static int
list_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	char *style = NULL;
	int rc;

	if (argc != 2)
		return usage("show");
	if ((rc = cmd_list_find(ctx, "list show", argv[1], &st, &l)) != 0)
		return rc;
	if (store_list_setting_get(st, l.id, LIST_STYLE_KEY, &style) < 0) {
		rc = cmd_store_error(st, "list show");
		goto out;
	}
	if (ctx->json) {
		printf("{\n  \"address\": ");
		json_str(stdout, l.addr);
		printf(",\n  \"created\": \"%s\",\n  \"style\": ",
		    fmt_time(l.created));
		json_str(stdout, style ? style : "");
		printf(",\n");
	} else
		printf("address: %s\ncreated: %s\nstyle: %s\n", l.addr,
		    fmt_time(l.created), style ? style : "-");
	if (show_settings(ctx, st, &l) < 0 || show_roles(ctx, st, &l) < 0 ||
	    show_counts(ctx, st, &l) < 0)
		rc = cmd_store_error(st, "list show");
	else if (ctx->json)
		printf("}\n");
out:
	free(style);
	store_list_clear(&l);
	return rc;
}

/* ---- set, rm ----------------------------------------------------- */

static void
known_keys(FILE *fp)
{
	const struct listconf_key *keys;
	size_t n, i;

	keys = listconf_keys(&n);
	fprintf(fp, "known settings:\n");
	for (i = 0; i < n; i++)
		fprintf(fp, "  %-18s %s\n", keys[i].name, keys[i].help);
}

static int
list_set(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	const char *error;
	int rc;

	if (argc != 4)
		return usage("set");
	if (listconf_find(argv[2]) == NULL) {
		fprintf(stderr, "postino: list set: unknown setting '%s'\n",
		    argv[2]);
		known_keys(stderr);
		return EX_DATAERR_;
	}
	if (listconf_check(argv[2], argv[3], &error) < 0) {
		fprintf(stderr, "postino: list set: %s '%s': %s\n", argv[2],
		    argv[3], error);
		return EX_DATAERR_;
	}
	if ((rc = cmd_list_find(ctx, "list set", argv[1], &st, &l)) != 0)
		return rc;
	if (store_list_setting_set(st, l.id, argv[2], argv[3]) < 0)
		rc = cmd_store_error(st, "list set");
	else
		printf("%s: %s = %s\n", l.addr, argv[2], argv[3]);
	store_list_clear(&l);
	return rc;
}

static int
list_rm(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct store_list l;
	struct store *st;
	int rc;

	if (argc != 2)
		return usage("rm");
	if ((rc = cmd_list_find(ctx, "list rm", argv[1], &st, &l)) != 0)
		return rc;
	if (store_list_delete(st, l.id) < 0)
		rc = cmd_store_error(st, "list rm");
	else
		printf("removed list %s\n", l.addr);
	store_list_clear(&l);
	return rc;
}

int
cmd_list(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_dispatch(ctx, "list", list_cmds, NLIST_CMDS, argc, argv);
}

/* ---- role -------------------------------------------------------- */

/* The log entry of a role change, in the change's transaction. */
static int
role_logged(struct cmd_ctx *ctx, struct store *st, const struct store_list *l,
    const char *what)
{
	struct modlog_entry e;
	char who[80];

	snprintf(who, sizeof(who), "shell:%s", ctx->shell_user);
	memset(&e, 0, sizeof(e));
	e.action = MODLOG_ROLE_CHANGED;
	e.msgid = "";
	e.subject = "";
	e.rule = "";
	e.reason = what;
	e.moderator = who;
	return modlog_append(st, l->id, &e);
}

/*
 * `list role LIST add|rm owner|moderator ADDR`: who may decide on held
 * posts and requests.  Each change is in the moderation log, written in
 * the same transaction.  67 when rm names nobody with that role, 73 when
 * add names somebody who has it already.
 */
static int
list_role(struct cmd_ctx *ctx, int argc, char **argv)
{
	char addr[ADDR_MAX], what[ADDR_MAX + 64];
	struct store_list l;
	struct store *st;
	const char *error;
	int add, rc, changed;

	if (argc != 5 || (strcmp(argv[2], "add") != 0 &&
	    strcmp(argv[2], "rm") != 0) || (strcmp(argv[3], "owner") != 0 &&
	    strcmp(argv[3], "moderator") != 0))
		return usage("role");
	add = strcmp(argv[2], "add") == 0;
	if (addr_normalize(argv[4], addr, &error) < 0) {
		fprintf(stderr, "postino: list role: '%s': %s\n", argv[4],
		    error);
		return EX_DATAERR_;
	}
	if ((rc = cmd_list_find(ctx, "list role", argv[1], &st, &l)) != 0)
		return rc;
	if (store_begin(st) < 0)
		goto fail;
	/* store_role_add: 0 added, 1 had it; store_role_rm: 1 removed.
	 * The log names a removed address as the role had it. */
	rc = add ? 0 : store_role_find(st, l.id, argv[3], addr);
	snprintf(what, sizeof(what), "%s %s %s", add ? "added" : "removed",
	    argv[3], addr);
	if (rc >= 0)
		rc = add ? store_role_add(st, l.id, argv[3], addr) :
		    store_role_rm(st, l.id, argv[3], addr);
	changed = rc == (add ? 0 : 1);
	if (rc < 0 || (changed && role_logged(ctx, st, &l, what) < 0) ||
	    store_commit(st) < 0)
		goto fail;
	if (changed)
		printf("%s: %s\n", l.addr, what);
	else
		fprintf(stderr, "postino: list role: %s %s %s of %s\n", addr,
		    add ? "is already" : "is not", argv[3], l.addr);
	rc = changed ? EX_OK_ : add ? EX_CANTCREAT_ : EX_NOUSER_;
	store_list_clear(&l);
	return rc;
fail:
	store_rollback(st);
	store_list_clear(&l);
	return cmd_store_error(st, "list role");
}
