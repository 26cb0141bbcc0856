/*
 * msg_parts.c — the leaf parts of a message, its author's display name
 * and its parent, for the archive (msg_parts.h).
 *
 * The parts are found with the bounded walker of msg_mime.c, so a
 * hostile message costs at most MSG_MAX_MIME_PARTS parts at
 * MSG_MAX_MIME_DEPTH levels; a part's file name is read from its own
 * header lines, unfolded into a bounded copy before libetpan sees them.
 * Broken MIME (no boundary, no closing delimiter, bad base64) is told to
 * the caller, never an error: an accepted post must stay showable.
 *
 * Owns: nothing past a call; the strings returned are malloc'd for the
 * caller, a part's filename only lives during the callback.
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
#include "msg_parts.h"

/* A part's Content-Type or Content-Disposition is read this far. */
#define PART_FIELD_MAX		4096
/* Message-IDs of References read when looking for the parent. */

/* The unfolded value of the first field named name ("Content-Type:")
 * in the header lines d[s..e), at most PART_FIELD_MAX bytes; 1 found. */
static int
part_field(const char *d, size_t s, size_t e, const char *name,
    struct buf *out)
{
	size_t n = strlen(name), q = s, le;
	const char *nl;
	int in = 0;

	while (q < e) {
		nl = memchr(d + q, '\n', e - q);
		le = nl == NULL ? e : (size_t)(nl - d) + 1;
		if (in && !msg_is_wsp(d[q]))
			break;
		if (!in && le - q > n && strncasecmp(d + q, name, n) == 0) {
			in = 1;
			q += n;
		}
		for (; in && q < le; q++)
			if (d[q] != '\r' && d[q] != '\n' &&
			    out->len < PART_FIELD_MAX)
				buf_putc(out, d[q]);
		q = le;
	}
	buf_puts(out, "");
	return in;
}

/* The filename parameter of Content-Disposition, else the name of
 * Content-Type, from the header lines d[s..e); decoded, malloc'd, or
 * NULL. */
static char *
part_filename(const char *d, size_t s, size_t e)
{
	struct mailmime_disposition *disp = NULL;
	struct mailmime_content *ct = NULL;
	struct buf v = BUF_INIT;
	clistiter *it;
	const char *raw = NULL;
	char *name = NULL;
	size_t idx = 0;

	if (part_field(d, s, e, "Content-Disposition:", &v) &&
	    mailmime_disposition_parse(v.data, v.len, &idx, &disp) ==
	    MAILIMF_NO_ERROR && disp != NULL)
		for (it = clist_begin(disp->dsp_parms); it != NULL &&
		    raw == NULL; it = clist_next(it)) {
			struct mailmime_disposition_parm *pa;

			pa = clist_content(it);
			if (pa->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
				raw = pa->pa_data.pa_filename;
		}
	buf_reset(&v);
	idx = 0;
	if (raw == NULL && part_field(d, s, e, "Content-Type:", &v) &&
	    mailmime_content_parse(v.data, v.len, &idx, &ct) ==
	    MAILIMF_NO_ERROR && ct != NULL)
		raw = mailmime_content_param_get(ct, "name");
	if (raw != NULL && raw[0] != '\0')
		name = msg_decode_text(raw);
	if (disp != NULL)
		mailmime_disposition_free(disp);
	if (ct != NULL)
		mailmime_content_free(ct);
	buf_free(&v);
	return name;
}

/* Whether d[0..n) is base64 a decoder can read without guessing: only
 * the alphabet and blanks, padding only at the end, and not one
 * character too many. */
static int
base64_ok(const char *d, size_t n)
{
	size_t i, sig = 0;
	int pad = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=')
			pad++;
		else if (isalnum(c) || c == '+' || c == '/') {
			if (pad > 0)
				return 0;
			sig++;
		} else
			return 0;
	}
	return pad <= 2 && sig % 4 != 1;
}

static int
part_is_text(const struct mime_ct *ct)
{
	if (ct->type[0] == '\0')
		return 1;
	return strcmp(ct->type, "text") == 0 &&
	    (strcmp(ct->subtype, "plain") == 0 ||
	    strcmp(ct->subtype, "html") == 0);
}

/* Describe the leaf whose headers are d[hs..bs) and body d[bs..be). */
static void
part_fill(const char *d, size_t hs, size_t bs, size_t be,
    const struct mime_part *ph, struct msg_part *mp)
{
	char *dec;
	size_t dlen;

	memset(mp, 0, sizeof(*mp));
	if (ph->ct.type[0] == '\0')
		memcpy(mp->type, "text/plain", sizeof("text/plain"));
	else
		snprintf(mp->type, sizeof(mp->type), "%s/%s", ph->ct.type,
		    ph->ct.subtype[0] != '\0' ? ph->ct.subtype : "unknown");
	mp->filename = part_filename(d, hs, bs);
	mp->attach = ph->attach || mp->filename != NULL ||
	    !part_is_text(&ph->ct);
	mp->size = be - bs;
	if (ph->enc == MAILMIME_MECHANISM_BASE64 && !base64_ok(d + bs, be - bs))
		mp->broken = 1;
	else if (ph->enc == MAILMIME_MECHANISM_BASE64 ||
	    ph->enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		if ((dec = mime_part_decode(d + bs, be - bs, ph->enc, &dlen)) !=
		    NULL) {
			mp->size = dlen;
			mmap_string_unref(dec);
		} else
			mp->broken = 1;
	}
}

/* A multipart level still open at the end of the data never ended
 * (message/rfc822 levels have no delimiter to wait for). */
static int
walk_unterminated(const struct mime_walk *w)
{
	int i;

	for (i = 0; i < w->depth; i++)
		if (w->blen[i] > 0)
			return 1;
	return 0;
}

int
msg_parts_each(const struct msg *m,
    int (*fn)(const struct msg_part *, void *), void *arg,
    const char **broken_r)
{
	struct mime_walk *w = xcalloc(1, sizeof(*w));
	struct mime_part ph;
	struct msg_part mp;
	const char *why = NULL, *error;
	size_t p = m->body, hs = 0;
	int stop = 0;

	w->d = m->data;
	w->len = m->len;
	mime_top_headers(m, &ph);
	while (++w->parts <= MSG_MAX_MIME_PARTS) {
		if (strcmp(ph.ct.type, "multipart") == 0 && ph.ct.boundary[0]) {
			if (mime_walk_push(w, ph.ct.boundary, &error) < 0)
				break;
		} else {
			if (strcmp(ph.ct.type, "multipart") == 0)
				why = "multipart without a boundary";
			part_fill(m->data, hs, p, mime_part_end(w, p), &ph,
			    &mp);
			if (mp.broken && why == NULL)
				why = "a part cannot be decoded";
			stop = fn(&mp, arg);
			free(mp.filename);
			if (stop)
				break;
		}
		if (mime_walk_next(w, &p) != 0)
			break;
		hs = p;
		mime_walk_headers(w, &p, &ph);
	}
	if (!stop && why == NULL && walk_unterminated(w))
		why = "a multipart has no closing delimiter";
	free(w);
	*broken_r = why;
	return why != NULL;
}

char *
msg_author_name(const struct msg *m)
{
	const struct msg_field *f = msg_field_find(m, "From");
	struct mailimf_mailbox_list *l = NULL;
	struct mailimf_mailbox *mb;
	char *own, *name = NULL;
	size_t idx = 0;

	if (f == NULL)
		return xstrdup("");
	/* Parsed from a copy of the field's own bytes (see msg.c). */
	own = xstrndup(m->data + f->value, f->end - f->value);
	if (mailimf_mailbox_list_parse(own, strlen(own), &idx, &l) ==
	    MAILIMF_NO_ERROR && l != NULL && clist_begin(l->mb_list) != NULL) {
		mb = clist_content(clist_begin(l->mb_list));
		if (mb->mb_display_name != NULL)
			name = msg_decode_text(mb->mb_display_name);
	}
	if (l != NULL)
		mailimf_mailbox_list_free(l);
	free(own);
	return name != NULL ? name : xstrdup("");
}

char *
msg_parent(const struct msg *m)
{
	char *id;

	if ((id = msg_field_msgid(m, "In-Reply-To", 0)) != NULL ||
	    (id = msg_field_msgid(m, "References", 1)) != NULL)
		return id;
	return xstrdup("");
}
