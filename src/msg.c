/*
 * msg.c — parse and check a message, and read its headers.
 *
 * The only file that feeds libetpan's header parser.  Everything hostile is
 * caught before libetpan sees it: we find the header/body boundary
 * ourselves, index the fields, and enforce the MSG_MAX_* limits, the
 * comment nesting depth and a bounded, iterative MIME walk (depth and part
 * count, msg_mime.c).  Only then does mailimf_fields_parse run, and we
 * check that it consumed the whole header block (it reports success on
 * garbage).  msg_text.c reads the text of a parsed message.
 *
 * Owns: the struct msg and its field index; the caller owns the buffer,
 * which must outlive the msg.  No libetpan tree outlives msg_parse.
 * Fails: msg_parse returns -1 with a static reason; nothing else fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "addr.h"
#include "buf.h"
#include "msg.h"
#include "msg_int.h"
#include "utf8.h"

/* libetpan parses comments recursively (RFC 5322 §3.2.2 lets them nest). */
#define MSG_MAX_COMMENT_DEPTH	64

/* End of the line starting at p: offset of its CR.  -1 on a bare CR or
 * LF, a NUL, or a last line without CRLF. */
static int
line_end(const char *d, size_t len, size_t p, size_t *eol_r,
    const char **error_r)
{
	for (; p < len; p++) {
		if (d[p] == '\r' && p + 1 < len && d[p + 1] == '\n') {
			*eol_r = p;
			return 0;
		}
		if (d[p] == '\0') {
			*error_r = "NUL character in header";
			return -1;
		}
		if (d[p] == '\r' || d[p] == '\n') {
			*error_r = "bare CR or LF in header";
			return -1;
		}
	}
	*error_r = "header line without CRLF";
	return -1;
}

/* Index a new field on the line d[p..eol). */
static int
field_start(struct msg *m, size_t p, size_t eol, const char **error_r)
{
	const char *d = m->data;
	struct msg_field *f;
	size_t i = p, n;

	while (i < eol && d[i] > 32 && d[i] < 127 && d[i] != ':')
		i++;
	n = i - p;
	while (i < eol && msg_is_wsp(d[i]))	/* obs-optional "Name :" */
		i++;
	if (i == eol || d[i] != ':') {
		*error_r = memchr(d + p, ':', eol - p) == NULL ?
		    "header line without colon" : "bad header field name";
		return -1;
	}
	if (n == 0) {
		*error_r = "empty header field name";
		return -1;
	}
	if (m->nfields == MSG_MAX_HEADERS) {
		*error_r = "too many header fields";
		return -1;
	}
	if (m->nfields % 64 == 0)
		m->fields = xrealloc(m->fields,
		    (m->nfields + 64) * sizeof(*m->fields));
	f = &m->fields[m->nfields++];
	f->start = p;
	f->name_len = n;
	f->value = i + 1;
	f->end = eol + 2;
	return 0;
}

/* Find the header/body boundary and index the fields, within limits. */
static int
header_scan(struct msg *m, const char **error_r)
{
	size_t p = 0, eol;

	if (m->len == 0) {
		*error_r = "empty message";
		return -1;
	}
	while (p < m->len) {
		if (line_end(m->data, m->len, p, &eol, error_r) < 0)
			return -1;
		if (eol == p) {
			m->hdr_end = p;
			m->body = p + 2;
			return 0;
		}
		if (msg_is_wsp(m->data[p])) {
			if (m->nfields == 0) {
				*error_r = "header starts with a continuation line";
				return -1;
			}
			m->fields[m->nfields - 1].end = eol + 2;
		} else if (field_start(m, p, eol, error_r) < 0)
			return -1;
		if (eol + 2 - m->fields[m->nfields - 1].start >
		    MSG_MAX_HEADER_LEN) {
			*error_r = "header field too long";
			return -1;
		}
		p = eol + 2;
	}
	m->hdr_end = m->body = m->len;	/* headers only */
	return 0;
}

/* Reject comment nesting that would make libetpan recurse deeply. */
static int
comments_check(const struct msg *m, const char **error_r)
{
	size_t i, k;
	int depth;

	for (i = 0; i < m->nfields; i++) {
		const struct msg_field *f = &m->fields[i];

		depth = 0;
		for (k = f->value; k < f->end; k++) {
			if (m->data[k] == '(' && ++depth > MSG_MAX_COMMENT_DEPTH) {
				*error_r = "comments nested too deep";
				return -1;
			}
			if (m->data[k] == ')' && depth > 0)
				depth--;
		}
	}
	return 0;
}

int
msg_field_is(const struct msg *m, const struct msg_field *f,
    const char *name)
{
	return strlen(name) == f->name_len &&
	    strncasecmp(m->data + f->start, name, f->name_len) == 0;
}

char *
msg_field_value(const struct msg *m, const struct msg_field *f)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = f->value; i < f->end; i++) {
		if (m->data[i] == '\r' || m->data[i] == '\n')
			continue;
		if (b.len == 0 && msg_is_wsp(m->data[i]))
			continue;
		buf_putc(&b, m->data[i]);
	}
	while (b.len > 0 && msg_is_wsp(b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (b.data == NULL)
		buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

const struct msg_field *
msg_field_find(const struct msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfields; i++)
		if (msg_field_is(m, &m->fields[i], name))
			return &m->fields[i];
	return NULL;
}

char *
msg_header(const struct msg *m, const char *name)
{
	const struct msg_field *f = msg_field_find(m, name);

	return f == NULL ? NULL : msg_field_value(m, f);
}

int
msg_header_count(const struct msg *m, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; i < m->nfields; i++)
		if (msg_field_is(m, &m->fields[i], name))
			n++;
	return n;
}

/* The occurrence rules of RFC 5322 §3.6 that we enforce. */
static int
count_check(const struct msg *m, const char **error_r)
{
	int n = msg_header_count(m, "From");

	if (n == 0) {
		*error_r = "no From header";
		return -1;
	}
	if (n > 1) {
		*error_r = "more than one From header";
		return -1;
	}
	if (msg_header_count(m, "Subject") > 1) {
		*error_r = "more than one Subject header";
		return -1;
	}
	if (msg_header_count(m, "Message-ID") > 1) {
		*error_r = "more than one Message-ID header";
		return -1;
	}
	return 0;
}

/* Message-ID from the raw field when libetpan could not parse it. */
static char *
message_id_raw(const struct msg *m)
{
	char *v = msg_header(m, "Message-ID"), *p, *q;
	size_t n;

	if (v == NULL)
		return xstrdup("");
	p = v;
	n = strlen(p);
	if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
		p++;
		n -= 2;
	}
	p = xstrndup(p, n);
	for (q = p; *q != '\0'; q++)
		if ((unsigned char)*q <= 32 || *q == 127)
			*q = '_';
	free(v);
	return p;
}

/*
 * libetpan reads an address list past the end of its field when a phrase
 * holds an unterminated encoded-word ("From: =?utf-8?q? x" CRLF "X-A:
 * <victim@y>" yields victim@y), so From is parsed from its own bytes only.
 */
static int
from_extract(struct msg *m, const char **error_r)
{
	const struct msg_field *f = msg_field_find(m, "From");
	struct mailimf_mailbox_list *l = NULL;
	struct mailimf_mailbox *mb = NULL;
	const char *why;
	size_t idx = 0;
	int r;

	r = mailimf_mailbox_list_parse(m->data + f->value, f->end - f->value,
	    &idx, &l);
	if (r == MAILIMF_NO_ERROR && l != NULL && clist_begin(l->mb_list))
		mb = clist_content(clist_begin(l->mb_list));
	if (mb == NULL || mb->mb_addr_spec == NULL ||
	    addr_normalize(mb->mb_addr_spec, m->from, &why) < 0)
		r = -1;
	if (l != NULL)
		mailimf_mailbox_list_free(l);
	if (r != MAILIMF_NO_ERROR) {
		*error_r = "From holds no valid address";
		return -1;
	}
	return 0;
}

/* Message-ID from its own bytes, else the raw value cleaned up. */
static void
message_id_extract(struct msg *m)
{
	const struct msg_field *f = msg_field_find(m, "Message-ID");
	size_t idx = 0;
	char *id = NULL;

	if (f != NULL && mailimf_msg_id_parse(m->data + f->value,
	    f->end - f->value, &idx, &id) == MAILIMF_NO_ERROR && id != NULL &&
	    strpbrk(id, " \t\r\n") == NULL) {
		m->message_id = xstrdup(id);
	} else
		m->message_id = message_id_raw(m);
	free(id);
}

/* Hand the checked header block to libetpan. */
static int
etpan_check(struct msg *m, const char **error_r)
{
	struct mailimf_fields *fields = NULL;
	size_t idx = 0;
	int r, res = -1;

	r = mailimf_fields_parse(m->data, m->hdr_end, &idx, &fields);
	if (r != MAILIMF_NO_ERROR || fields == NULL) {
		*error_r = "unparseable header";
		goto out;
	}
	if (idx != m->hdr_end) {
		*error_r = "unparseable header";
		goto out;
	}
	res = from_extract(m, error_r);
	if (res == 0)
		message_id_extract(m);
out:
	if (fields != NULL)
		mailimf_fields_free(fields);
	return res;
}

/* ---- Public accessors ------------------------------------------------ */

int
msg_parse(const char *data, size_t len, struct msg **m_r,
    const char **error_r)
{
	struct msg *m = xcalloc(1, sizeof(*m));

	m->data = data;
	m->len = len;
	if (header_scan(m, error_r) < 0 || count_check(m, error_r) < 0 ||
	    comments_check(m, error_r) < 0 || mime_check(m, error_r) < 0 ||
	    etpan_check(m, error_r) < 0) {
		msg_free(&m);
		return -1;
	}
	*m_r = m;
	return 0;
}

void
msg_free(struct msg **mp)
{
	if (*mp == NULL)
		return;
	free((*mp)->fields);
	free((*mp)->message_id);
	free(*mp);
	*mp = NULL;
}

size_t
msg_body_offset(const struct msg *m)
{
	return m->body;
}

const char *
msg_from(const struct msg *m)
{
	return m->from;
}

const char *
msg_message_id(const struct msg *m)
{
	return m->message_id != NULL ? m->message_id : "";
}

void
msg_clean_utf8(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		k = utf8_next(u + i, n - i, NULL);
		if (k == 0) {
			buf_putc(out, '?');
			i++;
		} else if (k == 1 && (u[i] < 32 || u[i] == 127)) {
			buf_putc(out, ' ');
			i++;
		} else if (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) {
			buf_putc(out, ' ');	/* C1 control */
			i += 2;
		} else {
			buf_append(out, s + i, k);
			i += k;
		}
	}
}

char *
msg_decode_text(const char *raw)
{
	struct buf b = BUF_INIT;
	char *dec = NULL;
	size_t idx = 0, n = strlen(raw);
	int r;

	r = mailmime_encoded_phrase_parse("utf-8", raw, n, &idx, "utf-8",
	    &dec);
	if (r == MAILIMF_NO_ERROR && dec != NULL) {
		msg_clean_utf8(dec, strlen(dec), &b);
		if (idx < n)	/* keep what the decoder left over */
			msg_clean_utf8(raw + idx, n - idx, &b);
	} else
		msg_clean_utf8(raw, n, &b);
	free(dec);
	buf_puts(&b, "");
	return buf_steal(&b, NULL);
}

char *
msg_subject(const struct msg *m)
{
	return msg_header_text(m, "Subject");
}

char *
msg_header_text(const struct msg *m, const char *name)
{
	char *raw = msg_header(m, name), *s;

	if (raw == NULL)
		return xstrdup("");
	s = msg_decode_text(raw);
	free(raw);
	return s;
}

static int
value_is(const struct msg *m, const char *name, const char *const *vals)
{
	const struct msg_field *f;
	size_t i;
	int hit = 0;

	for (i = 0; i < m->nfields && !hit; i++) {
		char *v;

		f = &m->fields[i];
		if (!msg_field_is(m, f, name))
			continue;
		v = msg_field_value(m, f);
		for (const char *const *p = vals; *p != NULL && !hit; p++)
			hit = strcasecmp(v, *p) == 0 || (**p == '\0' &&
			    strncasecmp(v, "no", 2) != 0);
		free(v);
	}
	return hit;
}

const char *
msg_is_auto(const struct msg *m)
{
	static const char *const any_but_no[] = { "", NULL };
	static const char *const prec[] = { "bulk", "junk", "list", NULL };
	static const char *const suppress[] = { "all", "oof", NULL };
	char key[ADDR_MAX];

	if (value_is(m, "Auto-Submitted", any_but_no))
		return "Auto-Submitted header";
	if (value_is(m, "Precedence", prec))
		return "Precedence bulk, junk or list";
	if (msg_header_count(m, "X-Autoreply") > 0 ||
	    msg_header_count(m, "X-Autorespond") > 0)
		return "autoresponder header";
	if (value_is(m, "X-Auto-Response-Suppress", suppress))
		return "X-Auto-Response-Suppress header";
	addr_key(m->from, key);
	if (strncmp(key, "mailer-daemon@", 14) == 0)
		return "From MAILER-DAEMON";
	return NULL;
}

/* Whether a List-Id value "phrase <id>" names id. */
static int
list_id_is(const char *v, const char *id)
{
	const char *lt = strrchr(v, '<'), *gt;

	if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
		return 0;
	lt++;
	return strlen(id) == (size_t)(gt - lt) &&
	    strncasecmp(lt, id, (size_t)(gt - lt)) == 0;
}

int
msg_is_loop(const struct msg *m, const char *list_id, const char *loop)
{
	size_t i;
	int hit = 0;

	for (i = 0; i < m->nfields && !hit; i++) {
		const struct msg_field *f = &m->fields[i];
		char *v;

		if (msg_field_is(m, f, "List-Id") && list_id != NULL) {
			v = msg_field_value(m, f);
			hit = list_id_is(v, list_id);
			free(v);
		} else if (msg_field_is(m, f, "X-Loop") && loop != NULL) {
			v = msg_field_value(m, f);
			hit = strcasecmp(v, loop) == 0;
			free(v);
		}
	}
	return hit;
}

int
msg_received_count(const struct msg *m)
{
	return msg_header_count(m, "Received");
}

