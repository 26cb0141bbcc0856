/*
 * msg_decorate.c — build the copy a list sends out: List-* headers (RFC 2369,
 * RFC 2919), the subject prefix and the footer, keeping MIME valid; and
 * the RFC 2047 header encoder used by everything postino writes.
 *
 * The footer goes where it cannot break anything:
 *   - appended to a single text/plain part in 7bit, 8bit or QP (QP-encoded
 *     when the body is; the part is relabelled utf-8/8bit when a non-ASCII
 *     footer needs it and its declared charset allows it);
 *   - inserted as a last text/plain part before the closing delimiter of a
 *     multipart/mixed;
 *   - otherwise (HTML, alternative, signed, base64, other charsets, broken
 *     structure) the original content becomes the first part of a new
 *     multipart/mixed, untouched byte for byte, and the footer the second.
 * A missing Subject gets the prefix alone ("Subject: [team]").
 *
 * Owns: nothing beyond one call; output goes to the caller's buf.
 * Fails: only on a bad struct decorate (-1 with a static reason).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "msg.h"
#include "msg_int.h"

#define LINE_MAX_COLS	78	/* RFC 5322 §2.1.1 */
#define EW_MAX		75	/* RFC 2047 §2 */
#define EW_OVERHEAD	12	/* "=?utf-8?q?" + "?=" */

/* ---- RFC 2047 encoding ----------------------------------------------- */

static int
q_safe(unsigned char c)
{
	/* RFC 2047 §5(3): the set that is safe even inside a phrase. */
	return isalnum(c) || c == '!' || c == '*' || c == '+' || c == '-' ||
	    c == '/';
}

/* Append one character (c[0..n)) to an encoded word payload. */
static void
ew_char(struct buf *w, const unsigned char *c, size_t n, int q)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (!q) {
		buf_append(w, c, n);	/* raw bytes, base64-encoded later */
		return;
	}
	for (i = 0; i < n; i++) {
		if (c[i] == ' ')
			buf_putc(w, '_');
		else if (q_safe(c[i]))
			buf_putc(w, (char)c[i]);
		else
			buf_printf(w, "=%c%c", hex[c[i] >> 4], hex[c[i] & 15]);
	}
}

static size_t
ew_cost(const unsigned char *c, size_t n, int q)
{
	size_t i, cost = 0;

	if (!q)
		return n;
	for (i = 0; i < n; i++)
		cost += c[i] == ' ' || q_safe(c[i]) ? 1 : 3;
	return cost;
}

static void
base64(const unsigned char *s, size_t n, struct buf *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3)
		buf_printf(out, "%c%c%c%c", a[s[i] >> 2],
		    a[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
		    a[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
		    a[s[i + 2] & 63]);
	if (n - i == 1)
		buf_printf(out, "%c%c==", a[s[i] >> 2], a[(s[i] & 3) << 4]);
	else if (n - i == 2)
		buf_printf(out, "%c%c%c=", a[s[i] >> 2],
		    a[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
		    a[(s[i + 1] & 15) << 2]);
}

/* Close the word in w (payload) and place it on the current line. */
static void
ew_flush(struct buf *w, int q, size_t *col, int first, struct buf *out)
{
	struct buf word = BUF_INIT;

	buf_puts(&word, q ? "=?utf-8?q?" : "=?utf-8?b?");
	if (q)
		buf_append(&word, w->data, w->len);
	else
		base64((const unsigned char *)w->data, w->len, &word);
	buf_puts(&word, "?=");
	if (!first && *col + 1 + word.len > LINE_MAX_COLS) {
		buf_puts(out, "\r\n");
		*col = 0;
	}
	if (!first) {
		buf_putc(out, ' ');
		(*col)++;
	}
	buf_append(out, word.data, word.len);
	*col += word.len;
	buf_free(&word);
	buf_reset(w);
}

/* Encode clean UTF-8 s as encoded-words split on character boundaries. */
static void
ew_encode(const char *s, size_t col, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	struct buf w = BUF_INIT;
	size_t n = strlen(s), i, k, budget, used = 0;
	int q, first = 1;

	/* Q stays readable for mostly-Latin text; B is shorter elsewhere. */
	q = ew_cost(u, n, 1) * 2 <= (n + 2) / 3 * 4 * 3;
	budget = EW_MAX - EW_OVERHEAD;
	if (col + EW_MAX > LINE_MAX_COLS && LINE_MAX_COLS - col > 2 * EW_OVERHEAD)
		budget = LINE_MAX_COLS - col - EW_OVERHEAD;
	for (i = 0; i < n; i += k) {
		for (k = 1; i + k < n && (u[i + k] & 0xc0) == 0x80; k++)
			;
		if (used > 0 && (q ? used + ew_cost(u + i, k, 1) :
		    (used + k + 2) / 3 * 4) > budget) {
			ew_flush(&w, q, &col, first, out);
			first = 0;
			used = 0;
			budget = EW_MAX - EW_OVERHEAD;
		}
		ew_char(&w, u + i, k, q);
		used = w.len;
	}
	if (used > 0 || first)
		ew_flush(&w, q, &col, first, out);
	buf_free(&w);
}

/* Whether clean text can go out as it is (folded on its blanks). */
static int
plain_ok(const char *s)
{
	size_t word = 0;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 128 || (s[0] == '=' && s[1] == '?'))
			return 0;
		word = *s == ' ' ? 0 : word + 1;
		if (word > EW_MAX)
			return 0;
	}
	return 1;
}

static void
plain_fold(const char *s, size_t col, struct buf *out)
{
	size_t start = col, seg;
	const char *e;

	while (*s != '\0') {
		for (e = s; *e == ' '; e++)
			;
		while (*e != '\0' && *e != ' ')
			e++;
		seg = (size_t)(e - s);
		if (col > start && col + seg > LINE_MAX_COLS) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		buf_append(out, s, seg);
		col += seg;
		s = e;
	}
}

/* Clean s: valid UTF-8, blanks for controls, trimmed. */
static char *
text_clean(const char *s)
{
	struct buf b = BUF_INIT;
	size_t i = 0;

	msg_clean_utf8(s, strlen(s), &b);
	buf_puts(&b, "");
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	while (b.data[i] == ' ')
		i++;
	buf_consume(&b, i);
	return buf_steal(&b, NULL);
}

void
msg_encode_header_text(const char *utf8, size_t name_len, struct buf *out)
{
	char *s = text_clean(utf8);

	if (plain_ok(s))
		plain_fold(s, name_len + 2, out);
	else
		ew_encode(s, name_len + 2, out);
	free(s);
}

/* A display name for List-Id: atoms, a quoted string or encoded-words. */
void
msg_put_phrase(const char *name, size_t col, struct buf *out)
{
	char *s = text_clean(name);
	const char *p;
	int quote = 0;

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p >= 128 || (p[0] == '=' && p[1] == '?')) {
			ew_encode(s, col, out);
			free(s);
			return;
		}
		if (!isalnum((unsigned char)*p) && *p != ' ' &&
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) == NULL)
			quote = 1;
	}
	if (!quote)
		buf_puts(out, s);
	else {
		buf_putc(out, '"');
		for (p = s; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
		buf_putc(out, '"');
	}
	free(s);
}

/* ---- Subject --------------------------------------------------------- */

/* Whether s, past reply and forward markers, starts with prefix. */
static int
subject_has_prefix(const char *s, const char *prefix)
{
	static const char *const marks[] = { "antw", "fwd", "odp", "rif",
	    "ref", "res", "enc", "re", "aw", "fw", "wg", "sv", "vs", "tr",
	    "r", NULL };
	size_t plen = strlen(prefix), k, n = 0;

	for (;;) {
		while (*s == ' ')
			s++;
		if (strncasecmp(s, prefix, plen) == 0)
			return 1;
		for (k = 0; marks[k] != NULL; k++) {
			n = strlen(marks[k]);
			if (strncasecmp(s, marks[k], n) == 0)
				break;
		}
		if (marks[k] == NULL)
			return 0;
		s += n;
		if (*s == '[' || *s == '(') {	/* "Re[2]:" */
			for (s++; isdigit((unsigned char)*s); s++)
				;
			if (*s != ']' && *s != ')')
				return 0;
			s++;
		}
		if (*s != ':')
			return 0;
		s++;
	}
}

/*
 * A Subject holding 8-bit bytes (8BITMIME senders write raw UTF-8, old
 * ones Latin-1) keeps them byte for byte: the prefix goes in front of the
 * original value with its folding, and nothing is decoded or re-encoded,
 * so no byte can become '?'.  Returns 0 when the value is 7-bit.
 */
static int
put_subject_8bit(const struct msg *m, const struct msg_field *f,
    const struct decorate *dc, struct buf *out)
{
	size_t v = f->value, i, first;

	for (i = v; i < f->end; i++)
		if ((unsigned char)m->data[i] >= 128)
			break;
	if (i == f->end)
		return 0;
	while (v < f->end && msg_is_wsp(m->data[v]))
		v++;
	for (first = 0; v + first < f->end && m->data[v + first] != '\r' &&
	    m->data[v + first] != '\n'; first++)
		;
	buf_printf(out, "Subject: %s", dc->subject_prefix);
	/* Keep the first line within RFC 5322's 998 octets: fold instead. */
	if (9 + strlen(dc->subject_prefix) + 1 + first > 998)
		buf_puts(out, "\r\n");
	buf_putc(out, ' ');
	buf_append(out, m->data + v, f->end - v);
	return 1;
}

/* Write "Subject: ..." with the prefix; raw is NULL when absent. */
static void
put_subject(const struct msg *m, const struct msg_field *f,
    const struct decorate *dc, struct buf *out)
{
	char *raw, *dec;
	struct buf s = BUF_INIT;

	raw = f != NULL ? msg_field_value(m, f) : xstrdup("");
	dec = msg_decode_text(raw);
	if (f != NULL && subject_has_prefix(dec, dc->subject_prefix)) {
		buf_append(out, m->data + f->start, f->end - f->start);
		goto out;
	}
	if (f != NULL && put_subject_8bit(m, f, dc, out))
		goto out;
	buf_puts(&s, dc->subject_prefix);
	if (dec[0] != '\0')
		buf_printf(&s, " %s", dec);
	buf_puts(out, "Subject: ");
	msg_encode_header_text(s.data, 7, out);
	buf_puts(out, "\r\n");
out:
	buf_free(&s);
	free(dec);
	free(raw);
}

/* ---- Footer planning ------------------------------------------------- */

enum fmode { F_NONE, F_APPEND, F_INSERT, F_WRAP };

struct plan {
	enum fmode	 mode;
	int		 qp;		/* F_APPEND into a QP body */
	int		 relabel;	/* new Content-Type/CTE for F_APPEND */
	struct mime_ct	 ct;
	size_t		 insert_at;	/* F_INSERT: the close delimiter */
	char		 boundary[48];	/* F_WRAP */
	struct buf	 footer;	/* CRLF lines, clean UTF-8 */
	int		 ascii;		/* footer is 7-bit */
	int		 longline;	/* footer has a line over 998 */
};

static void
footer_prepare(const char *text, struct plan *pl)
{
	const char *p = text, *e;
	size_t keep = 0;

	while (p != NULL && *p != '\0') {
		e = p + strcspn(p, "\r\n");
		msg_clean_utf8(p, (size_t)(e - p), &pl->footer);
		if ((size_t)(e - p) > 998)
			pl->longline = 1;
		buf_puts(&pl->footer, "\r\n");
		if ((size_t)(e - p) > 0)
			keep = pl->footer.len;
		p = e[0] == '\r' && e[1] == '\n' ? e + 2 : e + (*e != '\0');
	}
	pl->footer.len = keep;	/* drop trailing blank lines */
	buf_puts(&pl->footer, "");
	pl->ascii = 1;
	for (p = pl->footer.data; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p >= 128)
			pl->ascii = 0;
}

static int
body_7bit(const struct msg *m)
{
	size_t i;

	for (i = m->body; i < m->len; i++)
		if ((unsigned char)m->data[i] >= 128)
			return 0;
	return 1;
}

/* A single text/plain part: append, relabelling if needed, or wrap. */
static void
plan_text(const struct msg *m, const char *cte, struct plan *pl)
{
	const char *cs = pl->ct.charset;
	int compat, seven = cte[0] == '\0' || strcmp(cte, "7bit") == 0;

	compat = strncmp(cs, "utf-16", 6) != 0 &&
	    strncmp(cs, "utf-32", 6) != 0 && strncmp(cs, "ucs-", 4) != 0;
	if (strcmp(cte, "quoted-printable") == 0)
		pl->qp = 1;
	else if (!seven && strcmp(cte, "8bit") != 0)
		return;
	if (pl->longline && !pl->qp)
		return;
	if (pl->ascii && compat)
		pl->mode = F_APPEND;
	else if (strcmp(cs, "utf-8") == 0) {
		pl->mode = F_APPEND;
		pl->relabel = seven;
	} else if ((cs[0] == '\0' || strcmp(cs, "us-ascii") == 0) &&
	    (pl->qp || body_7bit(m))) {
		pl->mode = F_APPEND;
		pl->relabel = 1;
	}
}

/* Offset of the line "--boundary--" closing the top-level multipart. */
static int
find_close(const struct msg *m, const char *bnd, size_t *at_r)
{
	size_t p = m->body, e, n = strlen(bnd), k;
	const char *d = m->data, *nl;

	while (p < m->len) {
		nl = memchr(d + p, '\n', m->len - p);
		e = nl == NULL ? m->len : (size_t)(nl - d) + 1;
		if (e - p >= n + 4 && memcmp(d + p, "--", 2) == 0 &&
		    memcmp(d + p + 2, bnd, n) == 0 &&
		    memcmp(d + p + 2 + n, "--", 2) == 0) {
			for (k = p + n + 4; k < e && strchr(" \t\r\n", d[k]); k++)
				;
			if (k == e && (p == m->body || d[p - 1] == '\n')) {
				*at_r = p;
				return 0;
			}
		}
		p = e;
	}
	return -1;
}

/* A boundary that does not occur in the message (deterministic). */
void
msg_boundary(const struct msg *m, char *out, size_t size)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;
	unsigned int n;

	for (i = 0; i < m->len; i++)
		h = (h ^ (unsigned char)m->data[i]) * 1099511628211ULL;
	for (n = 0;; n++) {
		snprintf(out, size, "=_postino_%016llx_%u",
		    (unsigned long long)h, n);
		if (memmem(m->data, m->len, out, strlen(out)) == NULL)
			return;
	}
}

static void
make_boundary(const struct msg *m, struct plan *pl)
{
	msg_boundary(m, pl->boundary, sizeof(pl->boundary));
}

static void
plan_footer(const struct msg *m, const struct decorate *dc, struct plan *pl)
{
	char *v, *cte;

	footer_prepare(dc->footer, pl);
	if (pl->footer.len == 0)
		return;
	v = msg_header(m, "Content-Type");
	cte = msg_header(m, "Content-Transfer-Encoding");
	mime_ct_parse(v ? v : "text/plain", v ? strlen(v) : 10, &pl->ct);
	for (char *p = cte; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(pl->ct.type, "text") == 0 &&
	    strcmp(pl->ct.subtype, "plain") == 0)
		plan_text(m, cte ? cte : "", pl);
	else if (strcmp(pl->ct.type, "multipart") == 0 &&
	    strcmp(pl->ct.subtype, "mixed") == 0 && pl->ct.boundary[0] &&
	    (cte == NULL || strcmp(cte, "7bit") == 0 ||
	    strcmp(cte, "8bit") == 0 || strcmp(cte, "binary") == 0) &&
	    find_close(m, pl->ct.boundary, &pl->insert_at) == 0)
		pl->mode = F_INSERT;
	if (pl->mode == F_NONE) {
		pl->mode = F_WRAP;
		make_boundary(m, pl);
	}
	free(v);
	free(cte);
}

/* ---- Writing --------------------------------------------------------- */

static int
is_content_field(const struct msg *m, const struct msg_field *f)
{
	return (f->name_len > 8 &&
	    strncasecmp(m->data + f->start, "Content-", 8) == 0) ||
	    msg_field_is(m, f, "MIME-Version");
}

/* Fields the list replaces, or that a copy must not keep. */
static int
is_dropped(const struct msg *m, const struct msg_field *f,
    const struct decorate *dc, const struct plan *pl)
{
	static const char *const names[] = { "List-Id", "List-Post",
	    "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Owner",
	    "List-Archive", "Archived-At", "Precedence", "Return-Path", NULL };
	size_t i;
	int drop = 0;

	for (i = 0; names[i] != NULL; i++)
		if (msg_field_is(m, f, names[i]))
			return 1;
	if (msg_field_is(m, f, "X-Loop")) {
		char *v = msg_field_value(m, f);

		drop = strcasecmp(v, dc->list_addr) == 0;
		free(v);
	}
	if (pl->mode == F_WRAP)
		drop = drop || is_content_field(m, f);
	if (pl->relabel)
		drop = drop || msg_field_is(m, f, "Content-Type") ||
		    msg_field_is(m, f, "Content-Transfer-Encoding") ||
		    msg_field_is(m, f, "MIME-Version");
	return drop;
}

static void
put_list_headers(const struct decorate *dc, struct buf *out)
{
	const char *to[] = { dc->help_addr, dc->subscribe_addr,
	    dc->unsubscribe_addr, dc->owner_addr };
	const char *hdr[] = { "Help", "Subscribe", "Unsubscribe", "Owner" };
	size_t i;

	buf_puts(out, "List-Id: ");
	if (dc->list_name != NULL && dc->list_name[0] != '\0') {
		msg_put_phrase(dc->list_name, 9, out);
		buf_putc(out, ' ');
	}
	buf_printf(out, "<%s>\r\n", dc->list_id);
	buf_printf(out, "List-Post: <mailto:%s>\r\n", dc->list_addr);
	for (i = 0; i < 4; i++)
		buf_printf(out, "List-%s: <mailto:%s>\r\n", hdr[i], to[i]);
	if (dc->archive_url != NULL && dc->archive_url[0] != '\0')
		buf_printf(out, "List-Archive: <%s>\r\n", dc->archive_url);
	buf_printf(out, "Precedence: list\r\nX-Loop: %s\r\n", dc->list_addr);
}

static void
put_headers(const struct msg *m, const struct decorate *dc,
    const struct plan *pl, struct buf *out)
{
	const struct msg_field *f, *subj = NULL;
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		if (is_dropped(m, f, dc, pl))
			continue;
		if (msg_field_is(m, f, "Subject") && dc->subject_prefix[0]) {
			put_subject(m, f, dc, out);
			subj = f;
			continue;
		}
		buf_append(out, m->data + f->start, f->end - f->start);
	}
	if (subj == NULL && dc->subject_prefix[0])
		put_subject(m, NULL, dc, out);
	put_list_headers(dc, out);
	if (pl->mode == F_WRAP)
		buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: "
		    "multipart/mixed; boundary=\"%s\"\r\n", pl->boundary);
	if (pl->relabel)
		buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: text/plain;"
		    " charset=utf-8%s%s\r\nContent-Transfer-Encoding: %s\r\n",
		    pl->ct.flowed ? "; format=flowed" : "",
		    pl->ct.flowed && pl->ct.delsp ? "; delsp=yes" : "",
		    pl->qp ? "quoted-printable" : "8bit");
	buf_puts(out, "\r\n");
}

/* Quoted-printable (RFC 2045 §6.7) of CRLF lines s[0..n). */
static void
qp_encode(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0;
	unsigned char c;
	int last;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_puts(out, "\r\n");
			i++;
			col = 0;
			continue;
		}
		last = i + 1 == n || s[i + 1] == '\r';
		if (col >= 72) {
			buf_puts(out, "=\r\n");
			col = 0;
		}
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !last)) {
			buf_putc(out, (char)c);
			col++;
		} else {
			buf_printf(out, "=%c%c", hex[c >> 4], hex[c & 15]);
			col += 3;
		}
	}
}

static void
put_footer_part(const struct plan *pl, struct buf *out)
{
	int qp = pl->longline;

	buf_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\nContent-Disposition: inline\r\n"
	    "\r\n", pl->mode == F_WRAP ? pl->boundary : pl->ct.boundary,
	    qp ? "quoted-printable" : pl->ascii ? "7bit" : "8bit");
	if (qp)
		qp_encode(pl->footer.data, pl->footer.len, out);
	else
		buf_append(out, pl->footer.data, pl->footer.len);
}

/* Original Content-* fields, as the first part of a wrap. */
static void
put_content_fields(const struct msg *m, struct buf *out)
{
	const struct msg_field *f;
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		if (is_content_field(m, f) && !msg_field_is(m, f, "MIME-Version"))
			buf_append(out, m->data + f->start, f->end - f->start);
	}
}

static void
put_body(const struct msg *m, const struct plan *pl, struct buf *out)
{
	const char *body = m->data + m->body;
	size_t n = m->len - m->body;

	switch (pl->mode) {
	case F_NONE:
		buf_append(out, body, n);
		break;
	case F_APPEND:
		buf_append(out, body, n);
		if (n > 0 && (n < 2 || memcmp(body + n - 2, "\r\n", 2) != 0))
			buf_puts(out, "\r\n");
		if (n > 0)
			buf_puts(out, "\r\n");
		if (pl->qp)
			qp_encode(pl->footer.data, pl->footer.len, out);
		else
			buf_append(out, pl->footer.data, pl->footer.len);
		break;
	case F_INSERT:
		buf_append(out, body, pl->insert_at - m->body);
		put_footer_part(pl, out);
		buf_append(out, m->data + pl->insert_at, m->len - pl->insert_at);
		break;
	case F_WRAP:
		buf_printf(out, "--%s\r\n", pl->boundary);
		put_content_fields(m, out);
		buf_puts(out, "\r\n");
		buf_append(out, body, n);
		buf_puts(out, "\r\n");
		put_footer_part(pl, out);
		buf_printf(out, "\r\n--%s--\r\n", pl->boundary);
		break;
	}
}

static int
safe_str(const char *s, int allow_space)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 32 || *s == 127 || *s == '<' ||
		    *s == '>' || (*s == ' ' && !allow_space))
			return 0;
	return 1;
}

static int
cmd_addr_ok(const char *a)
{
	return a != NULL && strchr(a, '@') != NULL && safe_str(a, 0);
}

static int
decorate_check(const struct decorate *dc, const char **error_r)
{
	*error_r = NULL;
	if (dc->list_addr == NULL || strchr(dc->list_addr, '@') == NULL ||
	    !safe_str(dc->list_addr, 0))
		*error_r = "bad list address";
	else if (dc->list_id == NULL || dc->list_id[0] == '\0' ||
	    !safe_str(dc->list_id, 0))
		*error_r = "bad list id";
	else if (!cmd_addr_ok(dc->help_addr) ||
	    !cmd_addr_ok(dc->subscribe_addr) ||
	    !cmd_addr_ok(dc->unsubscribe_addr) ||
	    !cmd_addr_ok(dc->owner_addr))
		*error_r = "bad list command address";
	else if (dc->subject_prefix == NULL)
		*error_r = "no subject prefix";
	else if (dc->archive_url != NULL && !safe_str(dc->archive_url, 0))
		*error_r = "bad archive URL";
	else if (dc->dmarc != DECORATE_DMARC_NONE && (dc->via == NULL ||
	    !safe_str(dc->via, 1)))
		*error_r = "bad DMARC 'via' name";
	return *error_r == NULL ? 0 : -1;
}

int
msg_decorate(const struct msg *m, const struct decorate *dc,
    struct buf *out, const char **error_r)
{
	struct plan pl;

	if (decorate_check(dc, error_r) < 0)
		return -1;
	if (dc->dmarc != DECORATE_DMARC_NONE)
		return msg_dmarc_decorate(m, dc, out, error_r);
	memset(&pl, 0, sizeof(pl));
	buf_init(&pl.footer);
	plan_footer(m, dc, &pl);
	put_headers(m, dc, &pl, out);
	put_body(m, &pl, out);
	buf_free(&pl.footer);
	return 0;
}
