/*
 * archive_page.c — how the archive's files read: escaping, the frame of
 * every page, a post's own page, and the stylesheet.
 *
 * Safety is decided here, once: every text that comes from a post goes
 * through archive_escape before it reaches a template; a body is shown
 * as escaped text in <pre> (msg_text gives the text/plain part, or an
 * HTML part turned into text, never markup); attachments are listed by
 * name, type and size, never linked or inlined; and the frame, written
 * by code before any template text, carries a Content-Security-Policy
 * that forbids scripts, so that not even a list's own template can
 * bring one in.  A message that cannot be parsed, or whose MIME is
 * broken, still gets its page: a notice, then whatever can be shown.
 *
 * Owns: the loaded templates (arch_templates_clear).  Fails: -1 with a
 * malloc'd *error_r when a template is missing or uses a placeholder it
 * may not; a broken message is never a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"
#include "log.h"
#include "msg.h"
#include "msg_parts.h"
#include "utf8.h"

#define CSP	"default-src 'none'; style-src 'self'; img-src 'none'; " \
		"base-uri 'none'; form-action 'none'"

static const char *const tpl_names[ARCH_T_N] = {
	"archive_index", "archive_month_row", "archive_by_date",
	"archive_by_thread", "archive_message", "archive_attachments",
	"archive_broken", "archive_no_subject", "archive_feed",
};

/* ---- escaping --------------------------------------------------------- */

void
archive_escape(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = utf8_next(u + i, n - i, &cp);
		if (k == 0 || cp == 0xfffe || cp == 0xffff)
			buf_puts(out, "\xef\xbf\xbd");	/* U+FFFD */
		else if (cp == '&')
			buf_puts(out, "&amp;");
		else if (cp == '<')
			buf_puts(out, "&lt;");
		else if (cp == '>')
			buf_puts(out, "&gt;");
		else if (cp == '"')
			buf_puts(out, "&quot;");
		else if (cp == '\'')
			buf_puts(out, "&#39;");
		else if ((cp < 32 && cp != '\n' && cp != '\t') ||
		    (cp >= 0x7f && cp < 0xa0))
			buf_putc(out, ' ');
		else
			buf_append(out, s + i, k);
		i += k == 0 ? 1 : k;
	}
}

void
archive_addr_shown(const char *addr, struct buf *out)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL) {
		buf_puts(out, addr);
		return;
	}
	buf_append(out, addr, (size_t)(at - addr));
	buf_puts(out, " at ");
	buf_puts(out, at + 1);
}

/* ---- templates and the frame ---------------------------------------- */

int
arch_templates_load(struct arch *x, char **error_r)
{
	int i;

	for (i = 0; i < ARCH_T_N; i++)
		if (template_load(x->a->templates, x->a->override_dir,
		    x->a->lang, tpl_names[i], &x->tpl[i], error_r) < 0)
			return -1;
	return 0;
}

void
arch_templates_clear(struct arch *x)
{
	int i;

	for (i = 0; i < ARCH_T_N; i++)
		template_clear(&x->tpl[i]);
}

int
arch_render(struct arch *x, enum arch_tpl t, const struct tvar *vars,
    size_t n, struct buf *out, char **error_r)
{
	struct buf b = BUF_INIT;
	char *why = NULL;

	if (template_render(x->tpl[t].body, vars, n, &b, &why) < 0) {
		buf_reset(&b);
		buf_printf(&b, "template %s/%s: %s", x->a->lang, tpl_names[t],
		    why);
		free(why);
		*error_r = buf_steal(&b, NULL);
		return -1;
	}
	buf_append(out, b.data != NULL ? b.data : "", b.len);
	buf_puts(out, "");
	buf_free(&b);
	return 0;
}

int
arch_page(struct arch *x, const char *root, enum arch_tpl t,
    const struct tvar *vars, size_t n, struct buf *out, char **error_r)
{
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"");
	archive_escape(x->a->lang, strlen(x->a->lang), out);
	buf_printf(out, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<link rel=\"stylesheet\" href=\"%sarchive.css\">\n"
	    "<link rel=\"alternate\" type=\"application/atom+xml\" "
	    "href=\"%satom.xml\">\n", CSP, root, root);
	return arch_render(x, t, vars, n, out, error_r);
}

int
arch_subject(struct arch *x, const struct arch_post *p, struct buf *out,
    char **error_r)
{
	struct buf b = BUF_INIT;
	int rc = 0;

	if (p->subject[0] != '\0') {
		archive_escape(p->subject, strlen(p->subject), out);
		return 0;
	}
	if ((rc = arch_render(x, ARCH_T_NO_SUBJECT, NULL, 0, &b,
	    error_r)) == 0) {
		while (b.len > 0 && (b.data[b.len - 1] == '\n'))
			b.len--;
		buf_append(out, b.data, b.len);
		buf_puts(out, "");
	}
	buf_free(&b);
	return rc;
}

void
arch_date(time_t t, struct buf *out)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(out, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* ---- a post's page -------------------------------------------------- */

/* One attachment as a list item: name (when it has one), type, size. */
static int
post_attachment(const struct msg_part *mp, void *arg)
{
	struct buf *items = arg;

	if (!mp->attach)
		return 0;
	buf_puts(items, "<li>");
	if (mp->filename != NULL) {
		buf_puts(items, "<span class=\"name\">");
		archive_escape(mp->filename, strlen(mp->filename), items);
		buf_puts(items, "</span> ");
	}
	buf_puts(items, "<span class=\"type\">");
	archive_escape(mp->type, strlen(mp->type), items);
	buf_puts(items, "</span> <span class=\"size\">");
	if (mp->size < 1024)
		buf_printf(items, "%zu B", mp->size);
	else if (mp->size < 1024 * 1024)
		buf_printf(items, "%.1f KB", (double)mp->size / 1024);
	else
		buf_printf(items, "%.1f MB", (double)mp->size / (1024 * 1024));
	buf_puts(items, "</span></li>\n");
	return 0;
}

/* The body of a message as it was received (after the first blank
 * line), CRLF as LF, at most ARCHIVE_TEXT_MAX bytes, escaped: what can
 * be shown of a message whose MIME cannot be trusted. */
static void
post_raw_body(const char *raw, size_t len, struct buf *out)
{
	const char *b = memmem(raw, len, "\r\n\r\n", 4);
	struct buf text = BUF_INIT;
	size_t i, n;

	if (b == NULL)
		return;
	b += 4;
	n = (size_t)(raw + len - b);
	if (n > ARCHIVE_TEXT_MAX)
		n = ARCHIVE_TEXT_MAX;
	for (i = 0; i < n; i++)
		if (b[i] != '\r' || i + 1 == n || b[i + 1] != '\n')
			buf_putc(&text, b[i]);
	if (text.len > 0) {
		buf_puts(out, "<pre class=\"body\">");
		archive_escape(text.data, text.len, out);
		buf_puts(out, "</pre>\n");
	}
	buf_free(&text);
}

/* What the page shows of the message: its text and its attachments; or,
 * when it is broken, the notice, its body as received and whatever
 * attachments could be read. */
static int
post_content(struct arch *x, const struct arch_post *p, const char *raw,
    size_t len, struct buf *out, char **error_r)
{
	struct buf items = BUF_INIT, text = BUF_INIT;
	struct tvar var = { "items", NULL };
	const char *why = NULL;
	struct msg *m = NULL;
	int rc = 0;

	if (msg_parse(raw, len, &m, &why) == 0)
		(void)msg_parts_each(m, post_attachment, &items, &why);
	if (why != NULL) {
		log_info("archive: post %lld: %s: shown as broken",
		    (long long)p->id, why);
		rc = arch_render(x, ARCH_T_BROKEN, NULL, 0, out, error_r);
		post_raw_body(raw, len, out);
	} else if (msg_text(m, ARCHIVE_TEXT_MAX, &text) == 0 && text.len > 0) {
		buf_puts(out, "<pre class=\"body\">");
		archive_escape(text.data, text.len, out);
		buf_puts(out, "</pre>\n");
	}
	if (rc == 0 && items.len > 0) {
		var.value = items.data;
		rc = arch_render(x, ARCH_T_ATTACHMENTS, &var, 1, out, error_r);
	}
	msg_free(&m);
	buf_free(&text);
	buf_free(&items);
	return rc;
}

/* The attributes of a link to post j ("href=..."), or of a placeholder
 * link (an <a> without href) when there is no such post. */
static void
post_link(const struct arch *x, size_t j, const char *rel, struct buf *out)
{
	if (j == ARCHIVE_NONE) {
		buf_puts(out, "aria-disabled=\"true\"");
		return;
	}
	buf_puts(out, "href=\"../");
	archive_page_path(x->posts[j].id, x->posts[j].created, out);
	buf_printf(out, "\" rel=\"%s\"", rel);
}

enum { PV_LIST, PV_SUBJECT, PV_AUTHOR, PV_DATE, PV_PREV_DATE, PV_NEXT_DATE,
	PV_PREV_THREAD, PV_NEXT_THREAD, PV_CONTENT, PV_N };

int
arch_page_post(struct arch *x, size_t i, const char *raw, size_t len,
    struct buf *out, char **error_r)
{
	static const char *const names[PV_N] = { "list_addr", "subject",
	    "author", "date", "prev_date", "next_date", "prev_thread",
	    "next_thread", "content" };
	const struct arch_post *p = &x->posts[i];
	struct buf v[PV_N];
	struct tvar vars[PV_N];
	int k, rc;

	for (k = 0; k < PV_N; k++)
		buf_init(&v[k]);
	archive_escape(x->a->list_addr, strlen(x->a->list_addr), &v[PV_LIST]);
	archive_escape(p->author, strlen(p->author), &v[PV_AUTHOR]);
	arch_date(p->created, &v[PV_DATE]);
	post_link(x, i == 0 ? ARCHIVE_NONE : i - 1, "prev", &v[PV_PREV_DATE]);
	post_link(x, i + 1 == x->nposts ? ARCHIVE_NONE : i + 1, "next",
	    &v[PV_NEXT_DATE]);
	post_link(x, p->tprev, "prev", &v[PV_PREV_THREAD]);
	post_link(x, p->tnext, "next", &v[PV_NEXT_THREAD]);
	rc = arch_subject(x, p, &v[PV_SUBJECT], error_r);
	if (rc == 0)
		rc = post_content(x, p, raw, len, &v[PV_CONTENT], error_r);
	for (k = 0; k < PV_N; k++) {
		buf_puts(&v[k], "");
		vars[k].name = names[k];
		vars[k].value = v[k].data;
	}
	if (rc == 0)
		rc = arch_page(x, "../", ARCH_T_MESSAGE, vars, PV_N, out,
		    error_r);
	for (k = 0; k < PV_N; k++)
		buf_free(&v[k]);
	return rc;
}

/* ---- the stylesheet ------------------------------------------------- */

void
arch_stylesheet(struct buf *out)
{
	buf_puts(out,
	    "body { font-family: sans-serif; max-width: 60em; margin: 1em auto;"
	    " padding: 0 1em; color: #1d1d1f; background: #fdfdfb; }\n"
	    "h1 { font-size: 1.4em; border-bottom: 2px solid #3a6ea5;"
	    " padding-bottom: .3em; }\n"
	    "h2 { font-size: 1.1em; }\n"
	    "a { color: #1f5fa8; }\n"
	    "a:not([href]) { color: #9a9a9a; }\n"
	    "nav { margin: .6em 0; padding: .4em .6em; background: #e9eef5;"
	    " border-radius: 4px; }\n"
	    "nav a { margin-right: 1em; }\n"
	    "table { border-collapse: collapse; }\n"
	    "th, td { padding: .2em .8em; border-bottom: 1px solid #d8d8d8;"
	    " text-align: left; }\n"
	    "th { background: #e9eef5; }\n"
	    "dl.headers { display: grid; grid-template-columns: max-content"
	    " auto; gap: .2em 1em; background: #f2f2ee; padding: .6em;"
	    " border-left: 4px solid #3a6ea5; }\n"
	    "dl.headers dt { font-weight: bold; }\n"
	    "dl.headers dd { margin: 0; }\n"
	    "pre.body { white-space: pre-wrap; overflow-wrap: anywhere;"
	    " background: #ffffff; border: 1px solid #d8d8d8;"
	    " padding: .8em; }\n"
	    ".broken { background: #fff1d6; border: 1px solid #e0a030;"
	    " padding: .6em; }\n"
	    "ul.posts li, ul.thread li { margin: .2em 0; }\n"
	    ".author, .date, .type, .size { color: #5a5a5a; }\n");
}
