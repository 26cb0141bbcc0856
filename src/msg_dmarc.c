/*
 * msg_dmarc.c — the DMARC mitigations of a list's copy (msg.h, struct
 * decorate's dmarc): the copy leaves From the list, so that receivers
 * check the list's domain and not the author's, whose signature the
 * subject prefix and footer break.
 *
 *   munge: From: "Alice via team" <team@example.org>; the author's From
 *          kept as X-Original-From; Reply-To the author (her own
 *          Reply-To when she set one) or, with reply_to_list, the list,
 *          the author then added to Cc (as Mailman does).
 *   wrap:  a new message From the list with Date, Subject, Message-ID,
 *          To, In-Reply-To, References and the same reply fields, whose
 *          one part is the original, byte for byte, as message/rfc822.
 * The rewritten message is parsed again and decorated as any post (the
 * footer becomes a last part of the wrap).
 *
 * Owns nothing beyond one call.  Fails: -1 with a static reason when the
 * rewritten message does not parse (a post at the limits of msg_parse).
 */
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "msg.h"
#include "msg_int.h"

#define NAME_MAX_BYTES	128	/* of the author's name in the new From */

/* s cut to at most max bytes on a UTF-8 character boundary. */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/* The author's display name, decoded; else "alice at example.org".
 * malloc'd. */
static char *
author_name(const struct msg *m)
{
	const struct msg_field *f = msg_field_find(m, "From");
	struct mailimf_mailbox_list *l = NULL;
	struct mailimf_mailbox *mb = NULL;
	struct buf b = BUF_INIT;
	const char *at;
	char *name = NULL;
	size_t idx = 0;

	if (f != NULL && mailimf_mailbox_list_parse(m->data + f->value,
	    f->end - f->value, &idx, &l) == MAILIMF_NO_ERROR && l != NULL &&
	    clist_begin(l->mb_list) != NULL)
		mb = clist_content(clist_begin(l->mb_list));
	if (mb != NULL && mb->mb_display_name != NULL)
		name = msg_decode_text(mb->mb_display_name);
	if (l != NULL)
		mailimf_mailbox_list_free(l);
	if (name == NULL || name[strspn(name, " ")] == '\0') {
		free(name);
		at = strrchr(m->from, '@');
		if (at == NULL)
			at = m->from + strlen(m->from);
		buf_append(&b, m->from, (size_t)(at - m->from));
		if (*at == '@')
			buf_printf(&b, " at %s", at + 1);
		buf_puts(&b, "");
		name = buf_steal(&b, NULL);
	}
	utf8_cut(name, NAME_MAX_BYTES);
	return name;
}

/* From: "NAME via LIST" <list_addr>: a quoted string when ASCII. */
static void
put_from(const char *name, const struct decorate *dc, struct buf *out)
{
	struct buf ph = BUF_INIT;
	const char *p;
	int ascii = 1;

	buf_printf(&ph, "%s via %s", name, dc->via);
	for (p = ph.data; *p != '\0'; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p > 126 ||
		    (p[0] == '=' && p[1] == '?'))
			ascii = 0;
	buf_puts(out, "From: ");
	if (ascii) {
		buf_putc(out, '"');
		for (p = ph.data; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			buf_putc(out, *p);
		}
		buf_putc(out, '"');
	} else
		msg_put_phrase(ph.data, 6, out);
	buf_printf(out, " <%s>\r\n", dc->list_addr);
	buf_free(&ph);
}

/* Field f again under another name, its value byte for byte. */
static void
copy_as(const struct msg *m, const struct msg_field *f, const char *name,
    struct buf *out)
{
	buf_printf(out, "%s:", name);
	buf_append(out, m->data + f->value, f->end - f->value);
}

/* X-Original-From, Reply-To and Cc of a mitigated copy. */
static void
put_reply(const struct msg *m, const struct decorate *dc, struct buf *out)
{
	const struct msg_field *from = msg_field_find(m, "From");
	const struct msg_field *rt = msg_field_find(m, "Reply-To");
	const struct msg_field *cc = msg_field_find(m, "Cc");

	copy_as(m, from, "X-Original-From", out);
	if (!dc->reply_to_list) {
		copy_as(m, rt != NULL ? rt : from, "Reply-To", out);
		if (cc != NULL)
			copy_as(m, cc, "Cc", out);
		return;
	}
	buf_printf(out, "Reply-To: <%s>\r\n", dc->list_addr);
	buf_puts(out, "Cc:");
	if (cc != NULL && cc->end - cc->value > 2) {
		buf_append(out, m->data + cc->value, cc->end - cc->value - 2);
		buf_putc(out, ',');
	}
	buf_append(out, m->data + from->value, from->end - from->value);
}

static int
field_in(const struct msg *m, const struct msg_field *f,
    const char *const *names)
{
	for (; *names != NULL; names++)
		if (msg_field_is(m, f, *names))
			return 1;
	return 0;
}

static void
munge(const struct msg *m, const struct decorate *dc, const char *name,
    struct buf *out)
{
	static const char *const replaced[] = { "From", "Reply-To", "Cc",
	    "X-Original-From", NULL };
	const struct msg_field *f;
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		if (!field_in(m, f, replaced))
			buf_append(out, m->data + f->start, f->end - f->start);
	}
	put_from(name, dc, out);
	put_reply(m, dc, out);
	buf_puts(out, "\r\n");
	buf_append(out, m->data + m->body, m->len - m->body);
}

static void
wrap(const struct msg *m, const struct decorate *dc, const char *name,
    struct buf *out)
{
	static const char *const kept[] = { "Date", "Subject", "Message-ID",
	    "To", "In-Reply-To", "References", NULL };
	const struct msg_field *f;
	char bnd[48];
	size_t i;
	int eight = 0;

	msg_boundary(m, bnd, sizeof(bnd));
	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		if (field_in(m, f, kept))
			buf_append(out, m->data + f->start, f->end - f->start);
	}
	put_from(name, dc, out);
	put_reply(m, dc, out);
	for (i = 0; i < m->len && !eight; i++)
		eight = (unsigned char)m->data[i] >= 128;
	buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
	    " boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: message/rfc822\r\n"
	    "Content-Disposition: inline\r\n%s\r\n", bnd, bnd,
	    eight ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	buf_append(out, m->data, m->len);
	if (m->len < 2 || memcmp(m->data + m->len - 2, "\r\n", 2) != 0)
		buf_puts(out, "\r\n");
	buf_printf(out, "\r\n--%s--\r\n", bnd);
}

int
msg_dmarc_decorate(const struct msg *m, const struct decorate *dc,
    struct buf *out, const char **error_r)
{
	struct decorate plain = *dc;
	struct buf raw = BUF_INIT;
	struct msg *copy = NULL;
	char *name = author_name(m);
	int rc = -1;

	if (dc->dmarc == DECORATE_DMARC_WRAP)
		wrap(m, dc, name, &raw);
	else
		munge(m, dc, name, &raw);
	if (msg_parse(raw.data, raw.len, &copy, error_r) < 0)
		goto out;
	plain.dmarc = DECORATE_DMARC_NONE;
	rc = msg_decorate(copy, &plain, out, error_r);
out:
	msg_free(&copy);
	buf_free(&raw);
	free(name);
	return rc;
}
