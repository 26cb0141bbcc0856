/*
 * msg_dsn.c — read the delivery-status report of a bounce (RFC 3464).
 *
 * The MIME walk of msg_mime.c finds the first message/delivery-status
 * (or message/global-delivery-status) part outside any attached
 * message; its body is transfer-decoded and cut into blocks at blank
 * lines: the per-message block, then one block per recipient.  Each
 * block is a header block, read with libetpan's field parser.
 *
 * Bad input never fails the call: a block libetpan cannot read, a field
 * too long, an address that is not one, are skipped or cut.  Owns
 * nothing past the call.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "addr.h"
#include "buf.h"
#include "msg_dsn.h"
#include "msg_int.h"

/* Copy v unfolded (CR, LF dropped), without blanks around it, other
 * control characters as spaces. */
static void
copy_trim(const char *v, char *out, size_t outsz)
{
	size_t n, i, k = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (unsigned char)v[n - 1] <= ' ')
		n--;
	for (i = 0; i < n && k + 1 < outsz; i++)
		if (v[i] != '\r' && v[i] != '\n')
			out[k++] = (unsigned char)v[i] < ' ' ? ' ' : v[i];
	out[k] = '\0';
}

/* "rfc822; <Addr@Dom>" -> "addr@dom" (normalised); "" when unreadable. */
static void
typed_addr(const char *v, char out[ADDR_MAX])
{
	char tmp[ADDR_MAX];
	const char *semi = strchr(v, ';'), *error;
	size_t n;

	out[0] = '\0';
	copy_trim(semi != NULL ? semi + 1 : v, tmp, sizeof(tmp));
	n = strlen(tmp);
	if (n >= 2 && tmp[0] == '<' && tmp[n - 1] == '>') {
		tmp[n - 1] = '\0';
		memmove(tmp, tmp + 1, n - 1);
	}
	if (addr_normalize(tmp, out, &error) < 0)
		out[0] = '\0';
}

/* The first word of v, lower case ("5.1.1 (comment)" -> "5.1.1"). */
static void
first_word(const char *v, char *out, size_t outsz)
{
	size_t i = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (i + 1 < outsz && *v != '\0' && *v != ' ' && *v != '\t' &&
	    *v != '(' && *v != ';')
		out[i++] = (char)tolower((unsigned char)*v++);
	out[i] = '\0';
}

static void
dsn_field(const char *name, const char *value, struct msg_dsn_rcpt *r)
{
	const char *semi;

	if (strcasecmp(name, "Final-Recipient") == 0)
		typed_addr(value, r->final);
	else if (strcasecmp(name, "Original-Recipient") == 0)
		typed_addr(value, r->original);
	else if (strcasecmp(name, "Action") == 0)
		first_word(value, r->action, sizeof(r->action));
	else if (strcasecmp(name, "Status") == 0)
		first_word(value, r->status, sizeof(r->status));
	else if (strcasecmp(name, "Diagnostic-Code") == 0) {
		semi = strchr(value, ';');
		copy_trim(semi != NULL ? semi + 1 : value, r->diag,
		    sizeof(r->diag));
	}
}

/* One block (CRLF lines, ending in CRLF): 1 a recipient's, else 0. */
static int
dsn_block(const char *d, size_t n, struct msg_dsn_rcpt *r)
{
	struct mailimf_fields *fields = NULL;
	struct mailimf_optional_field *of;
	clistiter *it;
	size_t idx = 0;

	memset(r, 0, sizeof(*r));
	if (mailimf_optional_fields_parse(d, n, &idx, &fields) !=
	    MAILIMF_NO_ERROR || fields == NULL)
		return 0;
	for (it = clist_begin(fields->fld_list); it != NULL;
	    it = clist_next(it)) {
		struct mailimf_field *f = clist_content(it);

		if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD)
			continue;
		of = f->fld_data.fld_optional_field;
		if (of->fld_name != NULL && of->fld_value != NULL)
			dsn_field(of->fld_name, of->fld_value, r);
	}
	mailimf_fields_free(fields);
	return r->action[0] != '\0' && r->final[0] != '\0';
}

/* Cut the decoded report into blocks; read each into v. */
static size_t
dsn_blocks(const char *d, size_t len, struct msg_dsn_rcpt *v, size_t max)
{
	struct buf blk = BUF_INIT;
	const char *p = d, *end = d + len, *nl;
	size_t n = 0, ll;

	while (p <= end && n < max) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl != NULL ? nl : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll == 0 || nl == NULL) {
			if (ll > 0) {
				buf_append(&blk, p, ll);
				buf_puts(&blk, "\r\n");
			}
			if (blk.len > 0 && dsn_block(blk.data, blk.len, &v[n]))
				n++;
			buf_reset(&blk);
		} else {
			buf_append(&blk, p, ll);
			buf_puts(&blk, "\r\n");
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_free(&blk);
	return n;
}

static int
is_report(const struct mime_part *ph)
{
	return strcmp(ph->ct.type, "message") == 0 &&
	    (strcmp(ph->ct.subtype, "delivery-status") == 0 ||
	    strcmp(ph->ct.subtype, "global-delivery-status") == 0);
}

int
msg_dsn_parse(const struct msg *m, struct msg_dsn_rcpt *v, size_t max,
    size_t *n_r)
{
	struct mime_walk *w = xcalloc(1, sizeof(*w));
	struct mime_part ph;
	const char *error;
	char *dec;
	size_t p = m->body, dlen;
	int found = 0;

	*n_r = 0;
	w->d = m->data;
	w->len = m->len;
	mime_top_headers(m, &ph);
	while (!found && ++w->parts <= MSG_MAX_MIME_PARTS) {
		if (is_report(&ph)) {
			found = 1;
			dec = mime_part_decode(m->data + p,
			    mime_part_end(w, p) - p, ph.enc, &dlen);
			if (dec != NULL) {
				*n_r = dsn_blocks(dec, dlen, v, max);
				mmap_string_unref(dec);
			}
			break;
		}
		/* Parts of an attached message are not this report. */
		if (strcmp(ph.ct.type, "multipart") == 0 && ph.ct.boundary[0] &&
		    mime_walk_push(w, ph.ct.boundary, &error) < 0)
			break;
		if (mime_walk_next(w, &p) != 0)
			break;
		mime_walk_headers(w, &p, &ph);
	}
	free(w);
	return found;
}
