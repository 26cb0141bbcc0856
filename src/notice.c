/*
 * notice.c — the mails postino writes itself: render a template with the
 * list's common placeholders and the caller's, and wrap it in a complete
 * RFC 5322 / MIME message (notice.h says which headers and why).
 *
 * Nothing a sender wrote can add a header line: the Subject goes through
 * msg_encode_header_text, the display name is quoted or encoded here, and
 * addresses and message ids must pass a check before they are written.
 * The body is cleaned (valid UTF-8, no control characters but tab and
 * line ends) and goes out 7bit when it is ASCII with short lines,
 * quoted-printable otherwise (RFC 2045 §6.7); a list's own mail (a
 * digest) goes out 8bit when its lines are short, so that readers and
 * formail see its text as it is.  Line ends are CRLF.
 *
 * Owns: nothing past one call; the mail goes to the caller's buf.
 * Fails: -1 with a malloc'd *error_r (unknown template or placeholder,
 * an address that cannot go in a header, a store error); nothing is
 * appended to the caller's buf then.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "listctx.h"
#include "log.h"
#include "msg.h"
#include "notice.h"
#include "notice_int.h"
#include "store.h"
#include "utf8.h"

#define HDR_COLS	78	/* RFC 5322 §2.1.1 */
#define MSGID_MAX	900
#define NADDRS		12
#define NCOMMON		(4 + NADDRS)

#define OWNER_FROM	"owner"		/* LIST-owner@: From of owner notices */
#define BOUNCES_EXT	"bounces"	/* envelope sender extension */

/* The list's own addresses, all common placeholders; dash: LIST-ext@,
 * else LIST+ext@.  template.c lists the same names. */
static const struct {
	const char	*var;
	int		 dash;
	const char	*ext;
} list_addrs[NADDRS] = {
	{ "request_addr", 1, "request" },
	{ "owner_addr", 0, "owner" },
	{ "help_addr", 0, "help" },
	{ "subscribe_addr", 0, "subscribe" },
	{ "unsubscribe_addr", 0, "unsubscribe" },
	{ "digest_addr", 0, "digest" },
	{ "nomail_addr", 0, "nomail" },
	{ "each_addr", 0, "each" },
	{ "follow_addr", 0, "follow" },
	{ "mute_addr", 0, "mute" },
	{ "rules_addr", 0, "rules" },
	{ "log_addr", 0, "log" },
};

/* One notice_build. */
struct nctx {
	const struct notice	*n;
	struct list_name	 l;
	const char		*hostname;
	char			 to[ADDR_MAX];
	char			 reply_to[ADDR_MAX];
	char			 from[ADDR_MAX];	/* from_addr, checked */
	struct buf		 addrs[NADDRS];
	struct tvar		*vars;
	size_t			 nvars;
	struct buf		 subject;	/* rendered UTF-8 */
	struct buf		 body;		/* rendered, clean, LF, ends in LF */
};

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

/* ---- text ------------------------------------------------------------ */

/*
 * Clean rendered text (utf8_clean) into out, with at most one blank line
 * in a row and none at the start, so that a line holding only an empty
 * placeholder (rules, description) leaves no hole.
 */
static void
body_clean(const char *s, size_t n, struct buf *out)
{
	size_t start = out->len, i, o;

	utf8_clean(s, n, out);
	for (i = o = start; i < out->len; i++) {
		if (out->data[i] == '\n' && (o == start || (o - start >= 2 &&
		    out->data[o - 1] == '\n' && out->data[o - 2] == '\n')))
			continue;
		out->data[o++] = out->data[i];
	}
	out->len = o;
	out->data[o] = '\0';
}

/* The column the last line of out has reached. */
static size_t
cur_col(const struct buf *out)
{
	size_t i = out->len;

	while (i > 0 && out->data[i - 1] != '\n')
		i--;
	return out->len - i;
}

/* Printable ASCII without blanks and without the characters in bad. */
static int
token_ok(const char *s, size_t max, const char *bad)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= 32 || s[i] >= 127 || strchr(bad, s[i]) != NULL)
			return 0;
	return 1;
}

/* ---- addresses ------------------------------------------------------- */

static int
lname_split(const char *list_addr, const struct config *cfg,
    struct list_name *l, char **error_r)
{
	if (list_addr == NULL || strchr(list_addr, '@') == NULL ||
	    !token_ok(list_addr, ADDR_MAX - 1, "<>()[]\\,;:\"")) {
		*error_r = errorf("notice: bad list address '%s'",
		    list_addr != NULL ? list_addr : "(null)");
		return -1;
	}
	if (list_name_split(list_addr, cfg->recipient_delimiter, l) < 0) {
		*error_r = errorf("notice: bad list address '%s'", list_addr);
		return -1;
	}
	return 0;
}

/* An address for a header: valid (addr.h) and plain ASCII. */
static int
addr_check(const char *what, const char *in, char out[ADDR_MAX],
    char **error_r)
{
	const char *why = "not plain ASCII";
	const char *p;

	if (addr_normalize(in, out, &why) == 0) {
		for (p = out; *p >= 32 && *p < 127; p++)
			;
		if (*p == '\0')
			return 0;
	}
	*error_r = errorf("notice: %s '%s': %s", what, in, why);
	return -1;
}

/* ---- rendering ------------------------------------------------------- */

/* The common placeholders, then the caller's. */
static void
vars_fill(struct nctx *c)
{
	const struct notice *n = c->n;
	size_t i;

	c->vars = xcalloc(NCOMMON + n->nvars, sizeof(*c->vars));
	c->vars[0] = (struct tvar){ "list_addr", n->list_addr };
	c->vars[1] = (struct tvar){ "list_name", c->l.local };
	c->vars[2] = (struct tvar){ "description",
	    n->list_descr != NULL ? n->list_descr : "" };
	c->vars[3] = (struct tvar){ "hostname", c->hostname };
	for (i = 0; i < NADDRS; i++) {
		if (list_addrs[i].dash)
			(void)list_addr_dash(&c->l, list_addrs[i].ext,
			    &c->addrs[i]);
		else
			(void)list_addr_ext(&c->l, list_addrs[i].ext,
			    &c->addrs[i]);
		c->vars[4 + i].name = list_addrs[i].var;
		c->vars[4 + i].value = c->addrs[i].data;
	}
	for (i = 0; i < n->nvars; i++)
		c->vars[NCOMMON + i] = n->vars[i];
	c->nvars = NCOMMON + n->nvars;
}

/* Render text into out, naming the template in the error. */
static int
render_text(const char *name, const char *lang, const char *text,
    const struct tvar *vars, size_t n, struct buf *out, char **error_r)
{
	char *why = NULL;

	if (template_render(text, vars, n, out, &why) == 0)
		return 0;
	*error_r = errorf("template %s/%s: %s", lang, name, why);
	free(why);
	return -1;
}

/* Load the template and render its Subject and its clean body. */
static int
render(struct nctx *c, const struct config *cfg, char **error_r)
{
	const struct notice *n = c->n;
	const char *lang = n->lang != NULL ? n->lang : "en";
	struct template t = { NULL, NULL };
	struct buf body = BUF_INIT;
	int rc = -1;

	if (template_load(cfg->templates, n->override_dir, lang,
	    n->template_name, &t, error_r) < 0)
		goto out;
	if (render_text(n->template_name, lang, t.subject, c->vars, c->nvars,
	    &c->subject, error_r) < 0 ||
	    render_text(n->template_name, lang, t.body, c->vars, c->nvars,
	    &body, error_r) < 0)
		goto out;
	if (n->subject_token != NULL)
		buf_printf(&c->subject, " [" NOTICE_TAG "%s]",
		    n->subject_token);
	buf_puts(&c->subject, "");
	body_clean(body.data != NULL ? body.data : "", body.len, &c->body);
	if (c->body.len > 0 && c->body.data[c->body.len - 1] != '\n')
		buf_puts(&c->body, "\n");
	rc = 0;
out:
	buf_free(&body);
	template_clear(&t);
	return rc;
}

static void
nctx_clear(struct nctx *c)
{
	size_t i;

	for (i = 0; i < NADDRS; i++)
		buf_free(&c->addrs[i]);
	buf_free(&c->subject);
	buf_free(&c->body);
	free(c->vars);
	c->vars = NULL;
}

/* Check what goes into headers, then fill the placeholders and render. */
static int
nctx_init(struct nctx *c, const struct config *cfg, const struct notice *n,
    char **error_r)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	if (lname_split(n->list_addr, cfg, &c->l, error_r) < 0)
		return -1;
	if (n->template_name == NULL) {
		*error_r = errorf("notice: no template name");
		return -1;
	}
	if (n->from_role != NULL && strcmp(n->from_role, "request") != 0 &&
	    strcmp(n->from_role, "owner") != 0) {
		*error_r = errorf("notice: unknown from_role '%s'",
		    n->from_role);
		return -1;
	}
	if (addr_check("recipient", n->to != NULL ? n->to : "", c->to,
	    error_r) < 0)
		return -1;
	if (n->reply_to != NULL && addr_check("Reply-To", n->reply_to,
	    c->reply_to, error_r) < 0)
		return -1;
	if (n->from_addr != NULL && addr_check("From", n->from_addr,
	    c->from, error_r) < 0)
		return -1;
	c->hostname = cfg->hostname != NULL && token_ok(cfg->hostname, 255,
	    "<>()[]\\,;:\"@") ? cfg->hostname : c->l.domain;
	vars_fill(c);
	return render(c, cfg, error_r);
}

/* ---- headers --------------------------------------------------------- */

/* A display name from clean one-line text: a quoted string folded at its
 * blanks when it is ASCII, encoded-words otherwise. */
static void
put_phrase(const char *s, struct buf *out)
{
	size_t col = cur_col(out) + 1;
	const char *p, *e;

	for (p = s; *p != '\0' && (unsigned char)*p < 128; p++)
		;
	if (*p != '\0') {	/* it takes the column as "Name: " */
		msg_encode_header_text(s, cur_col(out) - 2, out);
		return;
	}
	buf_putc(out, '"');
	for (p = s; *p != '\0'; p = e) {
		for (e = p + 1; *e != '\0' && *e != ' '; e++)
			;
		if (*p == ' ' && col + (size_t)(e - p) + 1 > HDR_COLS) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		for (; p < e; p++, col++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
	}
	buf_putc(out, '"');
}

/* "Field: "Display" <addr>", the display name made clean one-line text. */
static void
put_mailbox(const char *field, const char *display, const char *addr_s,
    struct buf *out)
{
	struct buf name = BUF_INIT;
	size_t i;
	char addr[ADDR_MAX * 2];

	utf8_clean(display, strlen(display), &name);
	for (i = 0; i < name.len; i++)
		if (name.data[i] == '\n' || name.data[i] == '\t')
			name.data[i] = ' ';
	buf_printf(out, "%s: ", field);
	put_phrase(name.data, out);
	snprintf(addr, sizeof(addr), "<%s>", addr_s);
	buf_puts(out, cur_col(out) + 1 + strlen(addr) > HDR_COLS ? "\r\n " :
	    " ");
	buf_printf(out, "%s\r\n", addr);
	buf_free(&name);
}

static void
put_from(const struct nctx *c, struct buf *out)
{
	const struct notice *n = c->n;

	if (n->from_addr == NULL && n->from_role != NULL &&
	    strcmp(n->from_role, "owner") == 0) {
		buf_puts(out, "From: ");
		(void)list_addr_dash(&c->l, OWNER_FROM, out);
		buf_puts(out, "\r\n");
	} else	/* the list's description, else its name */
		put_mailbox("From", n->list_descr != NULL && *n->list_descr ?
		    n->list_descr : c->l.local, n->from_addr != NULL ?
		    c->from : c->addrs[0].data, out);
}

static void
put_date(struct buf *out)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	buf_printf(out, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
put_headers(const struct nctx *c, struct buf *out)
{
	const struct notice *n = c->n;
	char hex[NOTICE_HEX_MAX];

	put_from(c, out);
	if (n->to_name != NULL && *n->to_name != '\0')
		put_mailbox("To", n->to_name, c->to, out);
	else
		buf_printf(out, "To: %s\r\n", c->to);
	buf_puts(out, "Subject: ");
	msg_encode_header_text(c->subject.data, 7, out);
	buf_puts(out, "\r\n");
	put_date(out);
	notice_random_hex(hex);
	buf_printf(out, "Message-ID: <%s.postino@%s>\r\n", hex, c->hostname);
	if (n->in_reply_to != NULL && strchr(n->in_reply_to, '@') != NULL &&
	    token_ok(n->in_reply_to, MSGID_MAX, "<>()[]\\,;:\""))
		buf_printf(out, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n",
		    n->in_reply_to, n->in_reply_to);
	if (n->reply_to != NULL)
		buf_printf(out, "Reply-To: %s\r\n", c->reply_to);
	buf_printf(out, "List-Id: <%s.%s>\r\n", c->l.local, c->l.domain);
	if (n->list_mail) {
		buf_printf(out, "List-Post: <mailto:%s>\r\n", n->list_addr);
		buf_printf(out, "List-Help: <mailto:%s>\r\n",
		    c->addrs[2].data);
		buf_printf(out, "List-Subscribe: <mailto:%s>\r\n",
		    c->addrs[3].data);
		buf_printf(out, "List-Unsubscribe: <mailto:%s>\r\n",
		    c->addrs[4].data);
		buf_printf(out, "List-Owner: <mailto:%s>\r\n",
		    c->addrs[1].data);
		if (n->archive_url != NULL && token_ok(n->archive_url,
		    MSGID_MAX, "<>\"\\"))
			buf_printf(out, "List-Archive: <%s>\r\n",
			    n->archive_url);
		buf_puts(out, "Precedence: list\r\n");
		buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	} else
		buf_puts(out, "Auto-Submitted: auto-replied\r\n");
	buf_printf(out, "X-Loop: %s\r\n", n->list_addr);
	buf_puts(out, "MIME-Version: 1.0\r\n");
}

/* ---- public ---------------------------------------------------------- */

int
notice_build(const struct config *cfg, const struct notice *n,
    struct buf *out, char **error_r)
{
	struct buf trailer = BUF_INIT;
	struct nctx c;
	int rc = -1;

	*error_r = NULL;
	if (nctx_init(&c, cfg, n, error_r) < 0)
		goto out;
	if (n->trailer != NULL && n->trailer[0] != '\0') {
		body_clean(n->trailer, strlen(n->trailer), &trailer);
		if (trailer.len > 0 && trailer.data[trailer.len - 1] != '\n')
			buf_puts(&trailer, "\n");
	}
	put_headers(&c, out);
	if (n->ndigest > 0)
		notice_mime_digest(&c.body, n->list_mail, n->digest,
		    n->ndigest, &trailer, out);
	else if (n->attach != NULL)
		notice_mime_attached(&c.body, n->list_mail, n->attach,
		    n->attach_len, out);
	else {
		if (trailer.len > 0) {
			buf_puts(&c.body, "\n");
			buf_append(&c.body, trailer.data, trailer.len);
		}
		notice_mime_text(&c.body, n->list_mail, out);
	}
	rc = 0;
out:
	buf_free(&trailer);
	nctx_clear(&c);
	return rc;
}

void
notice_from_list(struct notice *nt, const struct list_ctx *lc,
    const char *name, const struct tvar *vars, size_t n)
{
	memset(nt, 0, sizeof(*nt));
	nt->list_addr = lc->list.addr;
	nt->list_descr = lc->descr;
	nt->lang = lc->lang;
	nt->override_dir = lc->override;
	nt->template_name = name;
	nt->vars = vars;
	nt->nvars = n;
}

int
notice_queue(struct store *st, const struct config *cfg,
    const struct notice *n, char **error_r)
{
	struct buf mail = BUF_INIT, from = BUF_INIT;
	const char *rcpt[1];
	struct list_name l;
	int rc = -1;

	if (notice_build(cfg, n, &mail, error_r) < 0 ||
	    lname_split(n->list_addr, cfg, &l, error_r) < 0)
		goto out;
	(void)list_addr_ext(&l, BOUNCES_EXT, &from);
	rcpt[0] = n->to;
	if (store_job_direct(st, from.data, rcpt, 1, mail.data, mail.len,
	    NULL) < 0) {
		*error_r = errorf("notice %s to %s: cannot queue: %s",
		    n->template_name, n->to, store_errmsg(st));
		goto out;
	}
	rc = 0;
out:
	buf_free(&from);
	buf_free(&mail);
	return rc;
}

int
notice_line(const struct config *cfg, const char *lang,
    const char *override_dir, const char *name, const struct tvar *vars,
    size_t nvars, struct buf *out, char **error_r)
{
	struct template t = { NULL, NULL };
	struct buf raw = BUF_INIT, clean = BUF_INIT;
	int rc = -1;

	*error_r = NULL;
	if (lang == NULL)
		lang = "en";
	if (template_load(cfg->templates, override_dir, lang, name, &t,
	    error_r) < 0 || render_text(name, lang, t.body, vars, nvars, &raw,
	    error_r) < 0)
		goto out;
	body_clean(raw.data != NULL ? raw.data : "", raw.len, &clean);
	while (clean.len > 0 && clean.data[clean.len - 1] == '\n')
		clean.data[--clean.len] = '\0';
	buf_append(out, clean.data, clean.len);
	buf_puts(out, "");
	rc = 0;
out:
	buf_free(&clean);
	buf_free(&raw);
	template_clear(&t);
	return rc;
}

/*
 * A rule's text as members read it: a text that is exactly {{NAME}},
 * NAME a reason_ template (a style's rule: templates/styles/), is that
 * template in the list's language with the list's owner_addr and
 * list_addr; any other text is itself.  A template that does not render
 * is logged and its raw text kept.  Malloc'd.
 */
char *
notice_rule_text(const struct list_ctx *lc, const char *text)
{
	struct buf name = BUF_INIT, out = BUF_INIT, owner = BUF_INIT;
	size_t n = strlen(text);
	char *error = NULL;

	if (n < 12 || strncmp(text, "{{reason_", 9) != 0 ||
	    strcmp(text + n - 2, "}}") != 0 ||
	    strcspn(text + 2, "{} /.") != n - 4)
		return xstrdup(text);
	buf_append(&name, text + 2, n - 4);
	(void)list_addr_ext(&lc->name, "owner", &owner);
	{
		const struct tvar vars[] = {
			{ "owner_addr", owner.data ? owner.data : "" },
			{ "list_addr", lc->list.addr },
		};

		if (notice_line(lc->cfg, lc->lang, lc->override, name.data,
		    vars, 2, &out, &error) < 0) {
			log_warnx("list %s: rule text %s: %s", lc->list.addr,
			    text, error ? error : "does not render");
			buf_reset(&out);
			buf_puts(&out, text);
		}
	}
	free(error);
	buf_free(&name);
	buf_free(&owner);
	return buf_steal(&out, NULL);
}
