/*
 * template.c — load templates/<lang>/NAME.txt, expand {{placeholders}},
 * and check at start-up that every template exists and uses only the
 * placeholders its caller provides (one table below: the single place
 * that says which templates exist, what each is, and which names it may
 * use).
 *
 * A template file is "Subject: ..." on its first line, a blank line, then
 * the UTF-8 body.  Line ends are normalised to LF on load; whoever puts
 * a body into a mail converts to CRLF (msg_decorate does for the footer).
 *
 * Owns: the strings of a loaded struct template (template_clear).
 * Fails: -1 with a malloc'd message naming the file and the problem.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "template.h"

#define TEMPLATE_MAX_SIZE	(64 * 1024)
#define TVAR_NAME_MAX		64

/*
 * What a template is, which decides the placeholders it gets beyond its
 * own and the shape of its file:
 *   T_PIECE  a piece of another mail (the footer): no Subject, own names;
 *   T_MAIL   a whole notice (notice_build): a Subject, the common names;
 *   T_LINE   a result line (notice_line): no Subject, own names only,
 *            since notice_line knows nothing of the list.
 */
enum tkind { T_PIECE, T_MAIL, T_LINE };

#define TDEF_VARS_MAX	12
#define TVARS_MAX	32

/* The names notice_build fills for every T_MAIL template (notice.c). */
static const char *const common_vars[] = {
	"list_addr", "list_name", "description", "hostname", "request_addr",
	"help_addr", "owner_addr", "subscribe_addr", "unsubscribe_addr",
	"digest_addr", "nomail_addr", "each_addr", "follow_addr", "mute_addr",
	"rules_addr", "log_addr", NULL
};

/* Each template, what it is, and the placeholders its caller provides. */
static const struct tdef {
	const char	*name;
	enum tkind	 kind;
	const char	*vars[TDEF_VARS_MAX];
} tdefs[] = {
	{ "footer", T_PIECE, { "list_addr", "list_name", "description",
	    "help_addr", "unsubscribe_addr", "owner_addr", "archive_url",
	    NULL } },
	/* The footer of a personalized list: one-reply links of the member
	 * who receives the copy (personal.h). */
	{ "footer_personal", T_PIECE, { "list_addr", "list_name",
	    "description", "help_addr", "unsubscribe_addr", "owner_addr",
	    "archive_url", "leave_link", "digest_link", "mute_link", NULL } },
	{ "confirm_subscribe", T_MAIL, { "token", "confirm_addr",
	    "member_addr", "expires", NULL } },
	{ "confirm_unsubscribe", T_MAIL, { "token", "confirm_addr",
	    "member_addr", "expires", NULL } },
	{ "approve_subscribe", T_MAIL, { "member_addr", "token",
	    "approve_addr", "expires", "decline_addr", NULL } },
	{ "request_declined", T_MAIL, { "member_addr", NULL } },
	{ "subscribe_pending", T_MAIL, { "member_addr", NULL } },
	{ "welcome", T_MAIL, { "member_addr", "mode", "rules", NULL } },
	{ "goodbye", T_MAIL, { "member_addr", NULL } },
	{ "help", T_MAIL, { NULL } },
	{ "reply", T_MAIL, { "results", "member_addr", NULL } },
	{ "owner_join", T_MAIL, { "member_addr", "mode", NULL } },
	{ "owner_leave", T_MAIL, { "member_addr", NULL } },
	/* Bounce processing (bounce.c, sub_bounce.c). */
	{ "bounce_disabled", T_MAIL, { "member_addr", "reason", "reenable_addr",
	    "warnings_left", NULL } },
	{ "bounce_owner_disabled", T_MAIL, { "member_addr", "reason", "score",
	    NULL } },
	{ "bounce_owner_removed", T_MAIL, { "member_addr", "reason", NULL } },
	{ "r_reenabled", T_LINE, { "member_addr", NULL } },
	{ "held_author", T_MAIL, { "subject", "reason", "rule", "moderator",
	    "deadline", "checkpoint", NULL } },
	{ "rejected_author", T_MAIL, { "subject", "reason", "rule",
	    "moderator", "deadline", "appeal_addr", "checkpoint", NULL } },
	{ "appeal_moderator", T_MAIL, { "subject", "author", "reason",
	    "appeal", "uphold_addr", "overturn_addr", "post_id", "checkpoint",
	    NULL } },
	{ "appeal_upheld", T_MAIL, { "subject", "reason", "moderator",
	    "checkpoint", NULL } },
	{ "appeal_overturned", T_MAIL, { "subject", "moderator",
	    "checkpoint", NULL } },
	{ "r_appeal_sent", T_LINE, { "post_id", NULL } },
	{ "r_appeal_decided", T_LINE, { "post_id", "outcome", NULL } },
	{ "reminder_moderator", T_MAIL, { "subject", "author", "reason",
	    "rule", "approve_addr", "reject_addr", "post_id", "deadline",
	    "discard_addr", "checkpoint", "moderate_addr", NULL } },
	{ "reason_expired", T_LINE, { NULL } },
	{ "reason_null_sender", T_LINE, { NULL } },
	{ "reason_automatic", T_LINE, { "detail", NULL } },
	{ "reason_loop", T_LINE, { NULL } },
	{ "held_moderator", T_MAIL, { "subject", "author", "reason", "rule",
	    "approve_addr", "reject_addr", "post_id", "deadline",
	    "discard_addr", "checkpoint", "moderate_addr", NULL } },
	{ "rules_default", T_LINE, { NULL } },
	{ "r_mod_approved", T_LINE, { "post_id", "subject", NULL } },
	{ "r_mod_rejected", T_LINE, { "post_id", "subject", "reason", NULL } },
	{ "r_mod_too_late", T_LINE, { "post_id", "state", "by", "when", NULL } },
	{ "r_mod_need_reason", T_LINE, { "post_id", NULL } },
	{ "r_mod_choices", T_LINE, { "post_id", "line", NULL } },
	{ "r_mod_own_post", T_LINE, { "post_id", NULL } },
	{ "r_mod_discarded", T_LINE, { "post_id", "subject", NULL } },
	{ "r_mod_member_post", T_LINE, { "post_id", NULL } },
	{ "r_subscribe_refused", T_LINE, { "member_addr", NULL } },
	{ "reason_banned", T_LINE, { "detail", NULL } },
	{ "reason_nonmember", T_LINE, { NULL } },
	{ "reason_token", T_LINE, { NULL } },
	/* A Subject token tag at LIST@ that is not live (process.c). */
	{ "reason_token_unknown", T_LINE, { NULL } },
	{ "reason_token_used", T_LINE, { NULL } },
	{ "reason_token_expired", T_LINE, { NULL } },
	{ "reason_moderated_list", T_LINE, { NULL } },
	{ "reason_moderated_member", T_LINE, { NULL } },
	{ "r_subscribed", T_LINE, { "member_addr", "mode", NULL } },
	{ "r_confirm_subscribe_sent", T_LINE, { "member_addr", NULL } },
	{ "r_confirm_unsubscribe_sent", T_LINE, { "member_addr", NULL } },
	{ "r_already_member", T_LINE, { "member_addr", NULL } },
	{ "r_not_member", T_LINE, { "member_addr", NULL } },
	{ "r_log_members_only", T_LINE, { "member_addr", NULL } },
	{ "r_unsubscribed", T_LINE, { "member_addr", NULL } },
	{ "r_pending_approval", T_LINE, { "member_addr", NULL } },
	{ "r_approved", T_LINE, { "member_addr", NULL } },
	{ "r_declined", T_LINE, { "member_addr", NULL } },
	{ "r_mode_set", T_LINE, { "member_addr", "mode", NULL } },
	{ "r_thread_muted", T_LINE, { "thread", NULL } },
	{ "r_thread_followed", T_LINE, { "thread", NULL } },
	{ "r_thread_unknown", T_LINE, { NULL } },
	{ "r_unknown_command", T_LINE, { "command", NULL } },
	{ "r_token_unknown", T_LINE, { "token", NULL } },
	{ "r_token_used", T_LINE, { "token", NULL } },
	{ "r_token_expired", T_LINE, { "token", NULL } },
	{ "r_no_commands", T_LINE, { NULL } },
	/* An owner's or moderator's own post, confirmed by its sender
	 * (moderation_confirm.c), and the announce lists' reason. */
	{ "post_confirm", T_MAIL, { "subject", "post_id", "rule",
	    "confirm_addr", "deadline", "checkpoint", NULL } },
	{ "reason_confirm", T_LINE, { NULL } },
	{ "reason_confirm_expired", T_LINE, { NULL } },
	{ "reason_announce_only", T_LINE, { "owner_addr", "list_addr", NULL } },
	{ "r_post_released", T_LINE, { "post_id", "subject", NULL } },
	{ "r_post_used", T_LINE, { "post_id", "subject", "state", "when",
	    NULL } },
	{ "r_post_expired", T_LINE, { "post_id", "subject", NULL } },
	{ "r_post_no_role", T_LINE, { "post_id", "subject", NULL } },
	/* The moderation log (modlog.c) and the published rules. */
	{ "log_report", T_MAIL, { "entries", "summary", "head_hash",
	    "head_seq", "since", "checkpoint", "chain", NULL } },
	{ "log_line", T_LINE, { "seq", "time", "action", "subject", "msgid",
	    "rule", "reason", "moderator", "hash", NULL } },
	{ "rules_report", T_MAIL, { "rules", "emergency", NULL } },
	{ "rule_line", T_LINE, { "position", "name", "text", "action",
	    NULL } },
	/* The HTML archive (archive_page.c, archive_index.c): a page from
	 * its <title> on (the code writes the head before it, with the
	 * policy that forbids scripts), or a piece of one.  Values come
	 * HTML-escaped. */
	{ "archive_index", T_PIECE, { "list_addr", "months", "count", NULL } },
	{ "archive_month_row", T_PIECE, { "month", "count", NULL } },
	{ "archive_by_date", T_PIECE, { "list_addr", "month", "count",
	    "posts", NULL } },
	{ "archive_by_thread", T_PIECE, { "list_addr", "month", "count",
	    "threads", NULL } },
	{ "archive_message", T_PIECE, { "list_addr", "subject", "author",
	    "date", "prev_date", "next_date", "prev_thread", "next_thread",
	    "content", NULL } },
	{ "archive_attachments", T_PIECE, { "items", NULL } },
	{ "archive_broken", T_PIECE, { NULL } },
	{ "archive_no_subject", T_PIECE, { NULL } },
	{ "archive_feed", T_PIECE, { "list_addr", "feed_id", "updated",
	    "entries", NULL } },
	/* The one-click unsubscribe pages (http_page.c): from <title> on,
	 * values HTML-escaped; mode is the member_mode name. */
	{ "http_unsubscribe", T_PIECE, { "list_addr", "member_addr",
	    "action", NULL } },
	{ "http_unsubscribed", T_PIECE, { "list_addr", "member_addr", NULL } },
	{ "http_mode_set", T_PIECE, { "list_addr", "member_addr", "mode",
	    NULL } },
	{ "http_invalid", T_PIECE, { NULL } },
	{ "http_error", T_PIECE, { "code", "reason", NULL } },
	/* Digests (digest.c): the mail, then its pieces. */
	{ "digest_mime", T_MAIL, { "volume", "issue", "count", "date",
	    "contents", "moderation", "checkpoint", NULL } },
	{ "digest_plain", T_MAIL, { "volume", "issue", "count", "date",
	    "contents", "moderation", "checkpoint", "messages", NULL } },
	/* The monthly summary of the moderation log in a digest. */
	{ "digest_modlog", T_LINE, { "summary", "since", "head_hash",
	    "head_seq", NULL } },
	{ "digest_plain_message", T_LINE, { "number", "date", "from",
	    "subject", "msgid", "text", NULL } },
	{ "digest_toc_thread", T_LINE, { "subject", "count", NULL } },
	{ "digest_toc_entry", T_LINE, { "number", "subject", "author",
	    NULL } },
	{ "digest_attachment", T_LINE, { "filename", "type", "size", NULL } },
};

/* Languages that must be complete. */
static const char *const required_langs[] = { "en", "it", NULL };

static char *
errorf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_steal(&b, NULL);
}

/* Read path into b with line ends normalised to LF.  0, -1 errno-style. */
static int
read_file(const char *path, struct buf *b, char **error_r)
{
	FILE *f = fopen(path, "rb");
	unsigned char chunk[4096], c;
	size_t n, i;
	int prev = 0;

	if (f == NULL) {
		*error_r = errorf("%s: %s", path, strerror(errno));
		return -1;
	}
	/* Read in chunks, not a getc and a buf_putc per byte: a notice
	 * loads its templates each time it is written. */
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_reserve(b, n);
		for (i = 0; i < n; i++) {
			c = chunk[i];
			if (b->len >= TEMPLATE_MAX_SIZE || c == '\0') {
				fclose(f);
				*error_r = errorf("%s: %s", path, c == '\0' ?
				    "NUL byte in template" :
				    "template too large");
				return -1;
			}
			if (c == '\n' && prev == '\r')
				b->data[b->len - 1] = '\n';
			else
				b->data[b->len++] = c == '\r' ? '\n' : (char)c;
			prev = c;
		}
	}
	if (ferror(f)) {
		*error_r = errorf("%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	buf_puts(b, "");
	return 0;
}

/* Split "Subject: ...\n\nbody" into t. */
static int
template_split(const char *path, const char *s, struct template *t,
    char **error_r)
{
	const char *nl = strchr(s, '\n');
	const char *subj;

	if (strncmp(s, "Subject:", 8) != 0 || nl == NULL) {
		*error_r = errorf("%s:1: first line must be 'Subject: ...'",
		    path);
		return -1;
	}
	if (nl[1] != '\n' && nl[1] != '\0') {
		*error_r = errorf("%s:2: a blank line must follow the Subject",
		    path);
		return -1;
	}
	for (subj = s + 8; subj < nl && (*subj == ' ' || *subj == '\t'); subj++)
		;
	t->subject = xstrndup(subj, (size_t)(nl - subj));
	t->body = xstrdup(nl[1] == '\0' ? "" : nl + 2);
	return 0;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
load_path(const char *path, struct template *t, char **error_r)
{
	struct buf b = BUF_INIT;
	int r;

	t->subject = t->body = NULL;
	r = read_file(path, &b, error_r);
	if (r == 0)
		r = template_split(path, b.data, t, error_r);
	buf_free(&b);
	return r;
}

int
template_load(const char *dir, const char *override_dir, const char *lang,
    const char *name, struct template *t, char **error_r)
{
	char path[4096];

	*error_r = NULL;
	if (strchr(name, '/') != NULL || strchr(lang, '/') != NULL ||
	    name[0] == '.' || lang[0] == '.') {
		*error_r = errorf("bad template name '%s' or language '%s'",
		    name, lang);
		return -1;
	}
	if (override_dir != NULL) {
		snprintf(path, sizeof(path), "%s/%s.txt", override_dir, name);
		if (file_exists(path))
			return load_path(path, t, error_r);
	}
	snprintf(path, sizeof(path), "%s/%s/%s.txt", dir, lang, name);
	if (file_exists(path))
		return load_path(path, t, error_r);
	snprintf(path, sizeof(path), "%s/en/%s.txt", dir, name);
	if (file_exists(path))
		return load_path(path, t, error_r);
	*error_r = errorf("template '%s' not found in %s/%s or %s/en", name,
	    dir, lang, dir);
	return -1;
}

void
template_clear(struct template *t)
{
	free(t->subject);
	free(t->body);
	t->subject = t->body = NULL;
}

/* The placeholder at s ("{{name}}"): its name into name, its length. */
static int
placeholder(const char *s, char name[TVAR_NAME_MAX], size_t *len_r,
    char **error_r)
{
	const char *e = strstr(s + 2, "}}"), *a = s + 2, *z;

	if (e == NULL) {
		*error_r = errorf("unterminated placeholder '%.20s'", s);
		return -1;
	}
	while (a < e && *a == ' ')
		a++;
	for (z = e; z > a && z[-1] == ' '; z--)
		;
	if (z == a || (size_t)(z - a) >= TVAR_NAME_MAX ||
	    strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_") <
	    (size_t)(z - a)) {
		*error_r = errorf("bad placeholder '%.*s'",
		    (int)(e + 2 - s > 40 ? 40 : e + 2 - s), s);
		return -1;
	}
	memcpy(name, a, (size_t)(z - a));
	name[z - a] = '\0';
	*len_r = (size_t)(e + 2 - s);
	return 0;
}

int
template_render(const char *text, const struct tvar *vars, size_t n,
    struct buf *out, char **error_r)
{
	char name[TVAR_NAME_MAX];
	const char *p = text, *o;
	size_t len, i;

	*error_r = NULL;
	while ((o = strstr(p, "{{")) != NULL) {
		buf_append(out, p, (size_t)(o - p));
		if (strncmp(o, "{{{{", 4) == 0) {
			buf_puts(out, "{{");
			p = o + 4;
			continue;
		}
		if (placeholder(o, name, &len, error_r) < 0)
			return -1;
		for (i = 0; i < n && strcmp(vars[i].name, name) != 0; i++)
			;
		if (i == n) {
			*error_r = errorf("unknown placeholder {{%s}}", name);
			return -1;
		}
		if (vars[i].value != NULL)
			buf_puts(out, vars[i].value);
		p = o + len;
	}
	buf_puts(out, p);
	return 0;
}

/* Render text against the allowed names of def, with empty values. */
static int
check_text(const char *path, const struct tdef *def, const char *text,
    char **error_r)
{
	struct tvar vars[TVARS_MAX];
	struct buf out = BUF_INIT;
	char *why = NULL;
	size_t n = 0, i;
	int r;

	for (i = 0; def->kind == T_MAIL && common_vars[i] != NULL; i++) {
		vars[n].name = common_vars[i];
		vars[n++].value = "";
	}
	for (i = 0; def->vars[i] != NULL; i++) {
		vars[n].name = def->vars[i];
		vars[n++].value = "";
	}
	r = template_render(text, vars, n, &out, &why);
	buf_free(&out);
	if (r < 0) {
		*error_r = errorf("%s: %s", path, why);
		free(why);
	}
	return r;
}

/* A whole mail needs a Subject; a piece or a result line has none. */
static int
check_subject(const char *path, const struct tdef *def,
    const struct template *t, char **error_r)
{
	if (def->kind == T_MAIL && t->subject[0] == '\0') {
		*error_r = errorf("%s:1: this template needs a Subject", path);
		return -1;
	}
	if (def->kind != T_MAIL && t->subject[0] != '\0') {
		*error_r = errorf("%s:1: this template takes no Subject "
		    "(leave the line 'Subject:' empty)", path);
		return -1;
	}
	return 0;
}

static int
check_lang(const char *dir, const char *lang, char **error_r)
{
	char path[4096];
	struct template t;
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(tdefs) / sizeof(tdefs[0]) && r == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s.txt", dir, lang,
		    tdefs[i].name);
		if (!file_exists(path)) {
			*error_r = errorf("%s: missing template", path);
			return -1;
		}
		if (load_path(path, &t, error_r) < 0)
			return -1;
		r = check_subject(path, &tdefs[i], &t, error_r);
		if (r == 0)
			r = check_text(path, &tdefs[i], t.subject, error_r);
		if (r == 0)
			r = check_text(path, &tdefs[i], t.body, error_r);
		template_clear(&t);
	}
	return r;
}

int
template_check(const char *dir, char **error_r)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	size_t i;
	int r = 0;

	*error_r = NULL;
	for (i = 0; required_langs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, required_langs[i]);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			*error_r = errorf("%s: missing language directory", path);
			return -1;
		}
	}
	if ((d = opendir(dir)) == NULL) {
		*error_r = errorf("%s: %s", dir, strerror(errno));
		return -1;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* styles/ holds the bundles of list create --style. */
		if (de->d_name[0] == '.' || strcmp(de->d_name, "styles") == 0 ||
		    stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		r = check_lang(dir, de->d_name, error_r);
	}
	closedir(d);
	return r;
}
