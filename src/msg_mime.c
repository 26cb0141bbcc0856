/*
 * msg_mime.c — the bounded MIME walker under msg.c and msg_text.c.
 *
 * Reads Content-Type by hand, walks the MIME structure iteratively with a
 * fixed stack of boundaries (MSG_MAX_MIME_DEPTH levels, MSG_MAX_MIME_PARTS
 * parts), so that a hostile message can neither recurse nor allocate its
 * way through us; then decodes a part's transfer encoding and converts its
 * charset to clean UTF-8 for msg_text.
 *
 * Owns: the struct mime_walk stacks it is handed (callers allocate them);
 * it never keeps a pointer past a call.  The msg buffer is borrowed.
 * Fails: mime_check and mime_walk_push return -1 with a static reason;
 * decoding returns NULL; unknown charsets keep their bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "msg.h"
#include "msg_int.h"
#include "utf8.h"

/* A Content-Type value longer than this is read only this far. */
#define MIME_CT_READ_MAX	4096
/* A longer charset name is not handed to iconv. */
#define CHARSET_NAME_MAX	40

/* ---- Content-Type, read by hand so that it is bounded ---------------- */

/* Copy a token or quoted string at v[*i..n) into out (cap bytes). */
static void
ct_word(const char *v, size_t n, size_t *i, char *out, size_t cap)
{
	size_t o = 0, k = *i;

	if (k < n && v[k] == '"') {
		for (k++; k < n && v[k] != '"'; k++) {
			if (v[k] == '\\' && k + 1 < n)
				k++;
			if (o + 1 < cap)
				out[o++] = v[k];
		}
		if (k < n)
			k++;
	} else {
		for (; k < n && (unsigned char)v[k] > 32 &&
		    strchr("()<>@,;:\\\"/[]?=", v[k]) == NULL; k++)
			if (o + 1 < cap)
				out[o++] = v[k];
	}
	out[o] = '\0';
	*i = k;
}

static void
ct_skip(const char *v, size_t n, size_t *i)
{
	int depth = 0;

	for (; *i < n; (*i)++) {
		char c = v[*i];

		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !msg_is_wsp(c) && c != '\r' && c != '\n')
			return;
	}
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
ct_param(struct mime_ct *ct, const char *name, const char *val)
{
	if (strcasecmp(name, "charset") == 0) {
		snprintf(ct->charset, sizeof(ct->charset), "%s", val);
		lower(ct->charset);
	} else if (strcasecmp(name, "boundary") == 0) {
		size_t n = strlen(val);

		if (n >= 1 && n <= MIME_BOUNDARY_MAX &&
		    strpbrk(val, "\r\n") == NULL)
			memcpy(ct->boundary, val, n + 1);
	} else if (strcasecmp(name, "format") == 0)
		ct->flowed = strcasecmp(val, "flowed") == 0;
	else if (strcasecmp(name, "delsp") == 0)
		ct->delsp = strcasecmp(val, "yes") == 0;
}

void
mime_ct_parse(const char *v, size_t n, struct mime_ct *ct)
{
	char name[MIME_TOKEN_MAX], val[MIME_BOUNDARY_MAX + 2];
	size_t i = 0;

	memset(ct, 0, sizeof(*ct));
	if (n > MIME_CT_READ_MAX)
		n = MIME_CT_READ_MAX;
	ct_skip(v, n, &i);
	ct_word(v, n, &i, ct->type, sizeof(ct->type));
	ct_skip(v, n, &i);
	if (i < n && v[i] == '/') {
		i++;
		ct_skip(v, n, &i);
		ct_word(v, n, &i, ct->subtype, sizeof(ct->subtype));
	}
	lower(ct->type);
	lower(ct->subtype);
	for (;;) {
		ct_skip(v, n, &i);
		if (i >= n || v[i] != ';')
			return;
		i++;
		ct_skip(v, n, &i);
		ct_word(v, n, &i, name, sizeof(name));
		ct_skip(v, n, &i);
		if (i >= n || v[i] != '=')
			return;
		i++;
		ct_skip(v, n, &i);
		ct_word(v, n, &i, val, sizeof(val));
		ct_param(ct, name, val);
	}
}

/* ---- A bounded, iterative walk over the MIME structure --------------- */

enum { PH_CT, PH_CTE, PH_CD, PH_N };

static const char *const part_fields[PH_N] = { "Content-Type:",
	"Content-Transfer-Encoding:", "Content-Disposition:" };

/* Content-Transfer-Encoding value v[0..n) as a MAILMIME_MECHANISM_*. */
static int
enc_parse(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && (msg_is_wsp(v[i]) || v[i] == '\r' || v[i] == '\n'))
		i++;
	if (n - i >= 6 && strncasecmp(v + i, "base64", 6) == 0)
		return MAILMIME_MECHANISM_BASE64;
	if (n - i >= 16 && strncasecmp(v + i, "quoted-printable", 16) == 0)
		return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	return MAILMIME_MECHANISM_8BIT;
}

/* Whether a Content-Disposition value v[0..n) says "attachment". */
static int
disp_is_attach(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && (msg_is_wsp(v[i]) || v[i] == '\r' || v[i] == '\n'))
		i++;
	if (n - i < 10 || strncasecmp(v + i, "attachment", 10) != 0)
		return 0;
	i += 10;
	return i == n || v[i] == ';' || msg_is_wsp(v[i]) || v[i] == '\r' ||
	    v[i] == '\n' || v[i] == '(';
}

/* Fill ph from the field values d[at[k]..end[k]) (at[k] 0: absent). */
static void
part_hdr_fill(const char *d, const size_t *at, const size_t *end,
    struct mime_part *ph)
{
	memset(ph, 0, sizeof(*ph));
	if (at[PH_CT] != 0)
		mime_ct_parse(d + at[PH_CT], end[PH_CT] - at[PH_CT], &ph->ct);
	ph->enc = at[PH_CTE] == 0 ? MAILMIME_MECHANISM_8BIT :
	    enc_parse(d + at[PH_CTE], end[PH_CTE] - at[PH_CTE]);
	ph->attach = at[PH_CD] != 0 &&
	    disp_is_attach(d + at[PH_CD], end[PH_CD] - at[PH_CD]);
}

/* Which of part_fields starts the line d[q..e), first time seen; -1. */
static int
part_field_at(const char *d, size_t q, size_t e, size_t *at, size_t *end)
{
	size_t n;
	int k;

	for (k = 0; k < PH_N; k++) {
		n = strlen(part_fields[k]);
		if (at[k] == 0 && e - q > n &&
		    strncasecmp(d + q, part_fields[k], n) == 0) {
			at[k] = q + n;
			end[k] = e;
			return k;
		}
	}
	return -1;
}

/* Read the part headers at *p; leave *p at the part body and fill ph. */
void
mime_walk_headers(struct mime_walk *w, size_t *p, struct mime_part *ph)
{
	const char *d = w->d, *nl;
	size_t q = *p, e, at[PH_N] = { 0, 0, 0 }, end[PH_N] = { 0, 0, 0 };
	int cur = -1;

	while (q < w->len) {
		nl = memchr(d + q, '\n', w->len - q);
		e = nl == NULL ? w->len : (size_t)(nl - d) + 1;
		if (d[q] == '\r' || d[q] == '\n') {
			q = e;
			break;
		}
		if (msg_is_wsp(d[q]) && cur >= 0)
			end[cur] = e;
		else
			cur = part_field_at(d, q, e, at, end);
		q = e;
	}
	part_hdr_fill(d, at, end, ph);
	*p = q;
}

/* Which stack level the line at p delimits: level, *close_r.  -1 none. */
static int
walk_delim(const struct mime_walk *w, size_t p, size_t e, int *close_r)
{
	const char *d = w->d;
	size_t n, k;
	int i;

	if (e - p < 3 || d[p] != '-' || d[p + 1] != '-')
		return -1;
	for (i = w->depth - 1; i >= 0; i--) {
		n = w->blen[i];
		if (n == 0 || e - p - 2 < n || memcmp(d + p + 2, w->bound[i], n))
			continue;
		k = p + 2 + n;
		*close_r = e - k >= 2 && d[k] == '-' && d[k + 1] == '-';
		if (*close_r)
			k += 2;
		while (k < e && (msg_is_wsp(d[k]) || d[k] == '\r' || d[k] == '\n'))
			k++;
		if (k == e)
			return i;
	}
	return -1;
}

/* Scan from *p to the next part start; 0 found, 1 end of data. */
int
mime_walk_next(struct mime_walk *w, size_t *p)
{
	const char *nl;
	size_t q = *p, e;
	int lvl, close;

	while (q < w->len && w->depth > 0) {
		nl = memchr(w->d + q, '\n', w->len - q);
		e = nl == NULL ? w->len : (size_t)(nl - w->d) + 1;
		lvl = walk_delim(w, q, e, &close);
		if (lvl >= 0) {
			w->depth = close ? lvl : lvl + 1;
			if (!close) {
				*p = e;
				return 0;
			}
		}
		q = e;
	}
	return 1;
}

/* The top-level part's header fields, from the field index. */
void
mime_top_headers(const struct msg *m, struct mime_part *ph)
{
	char *v;

	memset(ph, 0, sizeof(*ph));
	v = msg_header(m, "Content-Type");
	if (v != NULL)
		mime_ct_parse(v, strlen(v), &ph->ct);
	free(v);
	v = msg_header(m, "Content-Transfer-Encoding");
	ph->enc = v == NULL ? MAILMIME_MECHANISM_8BIT : enc_parse(v, strlen(v));
	free(v);
	v = msg_header(m, "Content-Disposition");
	ph->attach = v != NULL && disp_is_attach(v, strlen(v));
	free(v);
}

int
mime_walk_push(struct mime_walk *w, const char *boundary,
    const char **error_r)
{
	if (w->depth == MSG_MAX_MIME_DEPTH) {
		*error_r = "MIME nesting too deep";
		return -1;
	}
	w->blen[w->depth] = strlen(boundary);
	memcpy(w->bound[w->depth], boundary, w->blen[w->depth] + 1);
	w->depth++;
	return 0;
}

int
mime_check(const struct msg *m, const char **error_r)
{
	struct mime_walk *w = xcalloc(1, sizeof(*w));
	struct mime_part ph;
	size_t p = m->body;
	int res = -1;

	w->d = m->data;
	w->len = m->len;
	mime_top_headers(m, &ph);
	for (;;) {
		if (++w->parts > MSG_MAX_MIME_PARTS) {
			*error_r = "too many MIME parts";
			goto out;
		}
		if (strcmp(ph.ct.type, "multipart") == 0 && ph.ct.boundary[0]) {
			if (mime_walk_push(w, ph.ct.boundary, error_r) < 0)
				goto out;
		} else if (strcmp(ph.ct.type, "message") == 0 &&
		    strcmp(ph.ct.subtype, "rfc822") == 0) {
			if (mime_walk_push(w, "", error_r) < 0)
				goto out;
			mime_walk_headers(w, &p, &ph);
			continue;
		}
		if (mime_walk_next(w, &p) != 0)
			break;
		mime_walk_headers(w, &p, &ph);
	}
	res = 0;
out:
	free(w);
	return res;
}

/* Offset of the delimiter line that ends the part whose body starts at p
 * (the CRLF before it belongs to the delimiter), or the end of data. */
size_t
mime_part_end(const struct mime_walk *w, size_t p)
{
	const char *nl;
	size_t q = p, e;
	int close;

	while (q < w->len && w->depth > 0) {
		nl = memchr(w->d + q, '\n', w->len - q);
		e = nl == NULL ? w->len : (size_t)(nl - w->d) + 1;
		if (walk_delim(w, q, e, &close) >= 0) {
			if (q > p && w->d[q - 1] == '\n')
				q--;
			if (q > p && w->d[q - 1] == '\r')
				q--;
			return q;
		}
		q = e;
	}
	return w->len;
}


/* Whether charset names a conversion worth asking iconv for. */
static int
charset_convert(const char *cs)
{
	static const char *const same[] = { "", "utf-8", "utf8", "us-ascii",
	    "ascii", NULL };
	size_t i;

	for (i = 0; same[i] != NULL; i++)
		if (strcmp(cs, same[i]) == 0)
			return 0;
	if (strlen(cs) > CHARSET_NAME_MAX)
		return 0;
	for (i = 0; cs[i] != '\0'; i++)	/* no paths or "//" suffixes */
		if (!isalnum((unsigned char)cs[i]) && strchr("-_.:", cs[i]) == NULL)
			return 0;
	return 1;
}

/* Convert s[0..n) from charset cs to clean UTF-8 text in out; an
 * unknown charset keeps the bytes (invalid UTF-8 becomes '?'). */
void
mime_text_utf8(const char *s, size_t n, const char *cs, struct buf *out)
{
	char *conv = NULL;
	size_t clen = 0;

	if (charset_convert(cs) && charconv_buffer("utf-8", cs, s, n, &conv,
	    &clen) == MAIL_CHARCONV_NO_ERROR && conv != NULL) {
		utf8_clean(conv, clen, out);
		charconv_buffer_free(conv);
	} else
		utf8_clean(s, n, out);
}

/*
 * mailmime_part_parse on d[0..n).  libetpan 1.9.4's QP decoder reads one
 * byte past its input when that ends in "=X" (found by fuzz_commands), so
 * QP input that does not end a line is decoded from a copy that does.
 */
char *
mime_part_decode(const char *d, size_t n, int enc, size_t *dlen_r)
{
	struct buf tmp = BUF_INIT;
	char *dec = NULL;
	size_t idx = 0;

	if (enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE && n > 0 &&
	    d[n - 1] != '\n') {
		buf_append(&tmp, d, n);
		buf_puts(&tmp, "\r\n");
		d = tmp.data;
		n = tmp.len;
	}
	if (mailmime_part_parse(d, n, &idx, enc, &dec, dlen_r) !=
	    MAILIMF_NO_ERROR)
		dec = NULL;
	buf_free(&tmp);
	return dec;
}

