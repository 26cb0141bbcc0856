/*
 * msg_text.c — the readable text of a message, and the thread it is in.
 *
 * msg_text finds the first visible text/plain part (else text/html) with
 * the walker of msg_mime.c, decodes it to clean UTF-8 and, for HTML, turns
 * markup into text lines: tags dropped, entities decoded, block elements
 * as line breaks, <blockquote> as "> ".  Every loop is bounded by the
 * caller's max, so a huge part costs a bounded read.  msg_thread reads
 * References / In-Reply-To from their own bytes only.
 *
 * Owns: nothing past a call; output goes to the caller's buf, msg_thread
 * returns a malloc'd string.  The msg and its buffer are borrowed.
 * Fails: msg_text returns -1 when there is no text part; nothing else.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "msg.h"
#include "msg_int.h"
#include "utf8.h"

/* Raw part bytes read per byte of text wanted (markup, QP, base64). */
#define TEXT_READ_FACTOR	4
#define TEXT_READ_SLACK		(64 * 1024)
/* "> " prefixes written for nested <blockquote> (deeper ones count). */
#define HTML_QUOTE_SHOWN	16
#define HTML_QUOTE_MAX		100000
#define HTML_NAME_MAX		12

static int
is_text(const struct mime_ct *ct, const char *subtype)
{
	if (ct->type[0] == '\0')	/* RFC 2045 §5.2 default */
		return strcmp(subtype, "plain") == 0;
	return strcmp(ct->type, "text") == 0 &&
	    strcmp(ct->subtype, subtype) == 0;
}

/* Enter the container part described by ph, if it is one: 1 entered,
 * 0 not a container, -1 too deep.  Attachments and message/rfc822 (a
 * forwarded mail is not what its sender wrote) hide what they hold. */
static int
text_enter(struct mime_walk *w, const struct mime_part *ph, size_t *p,
    struct mime_part *next)
{
	const char *error;
	int hidden = w->depth > 0 && w->hide[w->depth - 1];

	if (strcmp(ph->ct.type, "multipart") == 0 && ph->ct.boundary[0]) {
		if (mime_walk_push(w, ph->ct.boundary, &error) < 0)
			return -1;
		w->hide[w->depth - 1] = hidden || ph->attach;
		return 1;
	}
	if (strcmp(ph->ct.type, "message") == 0 &&
	    strcmp(ph->ct.subtype, "rfc822") == 0) {
		if (mime_walk_push(w, "", &error) < 0)
			return -1;
		w->hide[w->depth - 1] = 1;
		mime_walk_headers(w, p, next);
		return 2;
	}
	return 0;
}

/* The first visible text/subtype part: its headers and body [*s, *e).
 * 1 found, 0 none. */
static int
text_find(const struct msg *m, const char *subtype, struct mime_part *ph,
    size_t *s, size_t *e)
{
	struct mime_walk *w = xcalloc(1, sizeof(*w));
	struct mime_part next;
	size_t p = m->body;
	int found = 0, r;

	w->d = m->data;
	w->len = m->len;
	mime_top_headers(m, ph);
	while (++w->parts <= MSG_MAX_MIME_PARTS) {
		if ((r = text_enter(w, ph, &p, &next)) < 0)
			break;
		if (r == 2) {
			*ph = next;
			continue;
		}
		if (r == 0 && !ph->attach && is_text(&ph->ct, subtype) &&
		    !(w->depth > 0 && w->hide[w->depth - 1])) {
			*s = p;
			*e = mime_part_end(w, p);
			found = 1;
			break;
		}
		if (mime_walk_next(w, &p) != 0)
			break;
		mime_walk_headers(w, &p, ph);
	}
	free(w);
	return found;
}
/* Append clean UTF-8 s[0..n) to out, at most max bytes, whole chars;
 * the last line gets its LF when there is room for it. */
static void
text_cap(const char *s, size_t n, size_t max, struct buf *out)
{
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	buf_append(out, s, n);
	if (n > 0 && n < max && s[n - 1] != '\n')
		buf_putc(out, '\n');
}

/* ---- HTML to text ---------------------------------------------------- */

struct html {
	struct buf	*out;
	size_t		 limit;		/* out->len stays at or below */
	int		 quote;		/* <blockquote> depth */
	int		 pre;		/* inside <pre> */
	int		 line;		/* text on the current output line */
	int		 space;		/* a blank is pending */
	int		 full;
};

/* Write one piece of text: the line's quote prefix or pending blank
 * first, and nothing at all once the limit would be passed. */
static void
html_emit(struct html *h, const char *s, size_t n)
{
	int i, q = h->quote < HTML_QUOTE_SHOWN ? h->quote : HTML_QUOTE_SHOWN;
	size_t need = n + (h->line ? (size_t)h->space : 2 * (size_t)q);

	if (h->full || h->out->len + need > h->limit) {
		h->full = 1;
		return;
	}
	if (!h->line)
		for (i = 0; i < q; i++)
			buf_puts(h->out, "> ");
	else if (h->space)
		buf_putc(h->out, ' ');
	buf_append(h->out, s, n);
	h->line = 1;
	h->space = 0;
}

static void
html_break(struct html *h)
{
	if (h->line && h->out->len < h->limit)
		buf_putc(h->out, '\n');
	h->line = 0;
	h->space = 0;
}

/* A decoded character reference: blanks and controls as a blank. */
static void
html_codepoint(struct html *h, unsigned long cp)
{
	char u[4];

	if (cp <= 32 || cp == 0xa0 || (cp >= 0x7f && cp < 0xa0)) {
		h->space = h->line;
		return;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		html_emit(h, "?", 1);
	else if (cp < 0x80) {
		u[0] = (char)cp;
		html_emit(h, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		html_emit(h, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		html_emit(h, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		html_emit(h, u, 4);
	}
}

/* Value of the reference body r[0..n) ("amp", "#39", "#x27"); 0 unknown. */
static unsigned long
html_ref(const char *r, size_t n)
{
	static const struct { const char *name; unsigned long cp; } names[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xa0 }, { NULL, 0 } };
	unsigned long cp = 0;
	size_t i;
	int base = 10;

	if (n >= 2 && r[0] == '#') {
		i = 1;
		if (r[1] == 'x' || r[1] == 'X')
			base = 16, i = 2;
		if (i == n || n - i > 7)
			return 0;
		for (; i < n; i++) {
			int c = (unsigned char)r[i], v = isdigit(c) ? c - '0' :
			    base == 16 && isxdigit(c) ? tolower(c) - 'a' + 10 : -1;

			if (v < 0)
				return 0;
			cp = cp * (unsigned long)base + (unsigned long)v;
		}
		return cp == 0 ? 0xfffd : cp;
	}
	for (i = 0; names[i].name != NULL; i++)
		if (strlen(names[i].name) == n && memcmp(names[i].name, r, n) == 0)
			return names[i].cp;
	return 0;
}

/* A character reference at s[i] == '&'; returns where to go on. */
static size_t
html_entity(struct html *h, const char *s, size_t n, size_t i)
{
	size_t e = i + 1;
	unsigned long cp;

	while (e < n && e - i <= 10 && (isalnum((unsigned char)s[e]) ||
	    (e == i + 1 && s[e] == '#')))
		e++;
	if (e < n && s[e] == ';' && (cp = html_ref(s + i + 1, e - i - 1)) != 0) {
		html_codepoint(h, cp);
		return e + 1;
	}
	html_emit(h, "&", 1);
	return i + 1;
}

/* Past the '>' that ends the tag whose attributes start at k; quotes
 * count only right after '=', as in browsers. */
static size_t
html_tag_end(const char *s, size_t n, size_t k)
{
	char q = 0, prev = 0;

	for (; k < n; k++) {
		if (q != 0) {
			if (s[k] == q)
				q = 0;
		} else if ((s[k] == '"' || s[k] == '\'') && prev == '=')
			q = s[k];
		else if (s[k] == '>')
			return k + 1;
		if (!msg_is_wsp(s[k]) && s[k] != '\n')
			prev = s[k];
	}
	return n;
}

/* Skip the content of <script>, <style> or <head> from k: past its end
 * tag (a <head> also ends where <body> starts). */
static size_t
html_skip_raw(const char *s, size_t n, size_t k, const char *name)
{
	size_t len = strlen(name);
	const char *lt;

	while (k < n && (lt = memchr(s + k, '<', n - k)) != NULL) {
		k = (size_t)(lt - s);
		if (n - k > len + 2 && lt[1] == '/' &&
		    strncasecmp(lt + 2, name, len) == 0)
			return html_tag_end(s, n, k + 2 + len);
		if (strcmp(name, "head") == 0 && n - k > 5 &&
		    strncasecmp(lt + 1, "body", 4) == 0)
			return k;
		k++;
	}
	return n;
}

/* What an element boundary does to the text. */
static void
html_element(struct html *h, const char *name, int close)
{
	static const char *const blocks[] = { "p", "div", "li", "tr", "br",
	    "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "dd",
	    "dt", "dl", "hr", "section", "article", "header", "footer",
	    "center", "address", "form", "body", "caption", NULL };
	size_t i;

	if (strcmp(name, "blockquote") == 0) {
		html_break(h);
		if (close && h->quote > 0)
			h->quote--;
		else if (!close && h->quote < HTML_QUOTE_MAX)
			h->quote++;
	} else if (strcmp(name, "pre") == 0) {
		html_break(h);
		h->pre = !close;
	} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		h->space = h->line;
	else
		for (i = 0; blocks[i] != NULL; i++)
			if (strcmp(name, blocks[i]) == 0) {
				html_break(h);
				break;
			}
}

/* A tag or comment at s[i] == '<'; returns where to go on. */
static size_t
html_tag(struct html *h, const char *s, size_t n, size_t i)
{
	char name[HTML_NAME_MAX + 1];
	size_t k = i + 1, o = 0;
	const char *end;
	int close = 0;

	if (n - k >= 3 && memcmp(s + k, "!--", 3) == 0) {
		end = memmem(s + k + 3, n - k - 3, "-->", 3);
		return end == NULL ? n : (size_t)(end - s) + 3;
	}
	if (k < n && (s[k] == '!' || s[k] == '?'))
		return html_tag_end(s, n, k);
	if (k < n && s[k] == '/')
		close = 1, k++;
	if (k >= n || !isalpha((unsigned char)s[k])) {
		html_emit(h, "<", 1);
		return i + 1;
	}
	for (; k < n && isalnum((unsigned char)s[k]); k++)
		if (o < HTML_NAME_MAX)
			name[o++] = (char)tolower((unsigned char)s[k]);
	name[o] = '\0';
	k = html_tag_end(s, n, k);
	if (!close && (strcmp(name, "script") == 0 ||
	    strcmp(name, "style") == 0 || strcmp(name, "head") == 0 ||
	    strcmp(name, "title") == 0))
		return html_skip_raw(s, n, k, name);
	html_element(h, name, close);
	return k;
}

/* Turn clean UTF-8 HTML s[0..n) into text lines; at most max bytes. */
static void
html_text(const char *s, size_t n, size_t max, struct buf *out)
{
	struct html h;
	size_t i = 0, k;

	memset(&h, 0, sizeof(h));
	h.out = out;
	h.limit = out->len + max;
	while (i < n && !h.full) {
		if (s[i] == '<')
			i = html_tag(&h, s, n, i);
		else if (s[i] == '&')
			i = html_entity(&h, s, n, i);
		else if (s[i] == '\n' && h.pre) {
			html_break(&h);
			i++;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			h.space = h.line;
			i++;
		} else {
			k = utf8_next((const unsigned char *)s + i, n - i,
			    NULL);
			k = k == 0 ? 1 : k;
			html_emit(&h, s + i, k);
			i += k;
		}
	}
	html_break(&h);
}

/* Decode the part body [s, e), convert it to UTF-8 and write its text. */
static void
text_decode(const struct msg *m, const struct mime_part *ph, size_t s,
    size_t e, size_t max, int html, struct buf *out)
{
	struct buf u = BUF_INIT;
	const char *nl;
	char *dec;
	size_t n = e - s, dlen = 0, cap;

	cap = max > (SIZE_MAX - TEXT_READ_SLACK) / TEXT_READ_FACTOR ? SIZE_MAX :
	    max * TEXT_READ_FACTOR + TEXT_READ_SLACK;
	if (n > cap) {		/* cut at a line end: base64 stays aligned */
		nl = memrchr(m->data + s, '\n', cap);
		n = nl == NULL ? cap : (size_t)(nl - (m->data + s)) + 1;
	}
	if ((dec = mime_part_decode(m->data + s, n, ph->enc, &dlen)) != NULL) {
		mime_text_utf8(dec, dlen, ph->ct.charset, &u);
		mmap_string_unref(dec);
	}
	if (html)
		html_text(u.data, u.len, max, out);
	else
		text_cap(u.data, u.len, max, out);
	buf_free(&u);
}

int
msg_text(const struct msg *m, size_t max, struct buf *out)
{
	struct mime_part ph;
	size_t s = 0, e = 0;
	int html = 0;

	if (text_find(m, "plain", &ph, &s, &e) == 0) {
		if (text_find(m, "html", &ph, &s, &e) == 0)
			return -1;
		html = 1;
	}
	text_decode(m, &ph, s, e, max, html, out);
	buf_puts(out, "");	/* data is never NULL on success */
	return 0;
}

/* ---- Threads --------------------------------------------------------- */

/* Ids of one field read at most: a References field is never parsed
 * whole, however long a thread grows. */
#define MSGID_FIELD_MAX_IDS	1000

char *
msg_field_msgid(const struct msg *m, const char *name, int last)
{
	const struct msg_field *f = msg_field_find(m, name);
	clist *l = NULL;
	clistiter *it;
	char *id = NULL, *v;
	size_t k, idx = 0;
	int ids = 0;

	if (f == NULL)
		return NULL;
	for (k = f->value; k < f->end && ids < MSGID_FIELD_MAX_IDS; k++)
		if (m->data[k] == '>')
			ids++;
	if (mailimf_msg_id_list_parse(m->data + f->value, k - f->value, &idx,
	    &l) != MAILIMF_NO_ERROR || l == NULL)
		return NULL;
	it = last ? clist_end(l) : clist_begin(l);
	v = it != NULL ? clist_content(it) : NULL;
	if (v != NULL && v[0] != '\0' && strpbrk(v, " \t\r\n") == NULL)
		id = xstrdup(v);
	for (it = clist_begin(l); it != NULL; it = clist_next(it))
		free(clist_content(it));
	clist_free(l);
	return id;
}

char *
msg_thread(const struct msg *m)
{
	char *id;

	if ((id = msg_field_msgid(m, "References", 0)) != NULL ||
	    (id = msg_field_msgid(m, "In-Reply-To", 0)) != NULL)
		return id;
	return xstrdup(msg_message_id(m));
}
