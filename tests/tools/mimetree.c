/*
 * mimetree.c — the MIME tree of one message as libetpan sees it, for the
 * integration tests: a second opinion next to Python's email package.
 *
 * Reads one RFC 5322 message on stdin (bare LF line ends become CRLF
 * first, so the output does not depend on them), parses it with
 * mailmime_parse and prints one JSON object per MIME part, depth-first,
 * one per line:
 *
 *   {"depth": 0, "type": "multipart/mixed", "charset": null,
 *    "encoding": "7bit", "filename": null, "size": 1234}
 *
 * depth 0 is the message's own Content-Type (libetpan's outer
 * message/rfc822 wrapper is not printed).  type is lower case; charset is
 * the parameter, lower case ("us-ascii" for text/ without one, else
 * null); encoding is Content-Transfer-Encoding ("7bit" when absent);
 * filename comes from Content-Disposition, else from Content-Type's name,
 * RFC 2047-decoded, or null; size counts the bytes libetpan decodes (the
 * raw body of multipart and message parts).  A message/rfc822 part adds
 * "msgid" ("<id>"), "subject" (decoded to UTF-8) and "from" ("Name
 * <addr>", comma-separated) of the message it holds, each null when
 * absent; a text/ part adds "text": its body decoded and converted to
 * UTF-8.  Bytes of an unknown charset are kept as they are, and anything
 * that is not UTF-8 is printed as U+FFFD, so every line is valid JSON.
 *
 * Exit: 0; 65 (EX_DATAERR) when libetpan cannot parse the message, when
 * parts nest deeper than DEPTH_MAX or the message is over INPUT_MAX; 71
 * out of memory; 74 on an I/O error.  The reason goes to stderr, and
 * nothing to stdout unless the whole tree can be printed.
 *
 * libetpan's traps (shared/research/libraries.md): the tree points into
 * the input buffer, so the buffer is freed after the tree; decoded parts
 * are MMAPStrings (mmap_string_unref), converted text is freed with
 * charconv_buffer_free, decoded header text with free().  Its QP decoder
 * reads a byte past a part that ends in a cut escape ("=E"): that byte is
 * the CR before the next boundary, or one of the zeros the buffer ends
 * with.
 * mailmime_parse itself recurses once per nesting level, so a message
 * with more than NEST_MAX "multipart" or "message/" words is refused
 * before libetpan sees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <libetpan/libetpan.h>

#define INPUT_MAX	(64 * 1024 * 1024)
#define DEPTH_MAX	32
#define NEST_MAX	10000
#define PAD		8		/* zero bytes after the message */
#define TYPE_MAX	128

static void
die(int code, const char *what)
{
	fprintf(stderr, "mimetree: %s\n", what);
	exit(code);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die(EX_OSERR, "out of memory");
	return p;
}

/* Words that may open a nesting level in libetpan's recursive parser. */
static size_t
nest_words(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i + 9 <= n; i++)
		if (strncasecmp(s + i, "multipart", 9) == 0 ||
		    strncasecmp(s + i, "message/", 8) == 0)
			count++;
	return count;
}

/* All of stdin, LF made CRLF, followed by PAD zero bytes. */
static char *
read_message(size_t *len_r)
{
	size_t cap = 65536, len = 0, n, i, o = 0;
	char *raw = xmalloc(cap), *out;

	while ((n = fread(raw + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len > INPUT_MAX)
			die(EX_DATAERR, "message larger than 64 MiB");
		if (len == cap && (raw = realloc(raw, cap *= 2)) == NULL)
			die(EX_OSERR, "out of memory");
	}
	if (ferror(stdin))
		die(EX_IOERR, "cannot read stdin");
	out = xmalloc(2 * len + PAD);
	for (i = 0; i < len; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = raw[i];
	}
	memset(out + o, 0, PAD);
	free(raw);
	*len_r = o;
	return out;
}

/* ---- JSON ------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned long cp, min;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
json_string(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	putchar('"');
	while (i < n) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", stdout);
		else if (s[i] == '\r')
			fputs("\\r", stdout);
		else if (s[i] == '\t')
			fputs("\\t", stdout);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			printf("\\u%04x", s[i]);
		else if ((k = utf8_len(s + i, n - i)) == 0)
			fputs("\\ufffd", stdout);
		else {
			fwrite(s + i, 1, k, stdout);
			i += k;
			continue;
		}
		i++;
	}
	putchar('"');
}

/* , "key": "value" (or null) */
static void
json_field(const char *key, const char *value)
{
	printf(", \"%s\": ", key);
	if (value == NULL)
		fputs("null", stdout);
	else
		json_string(value, strlen(value));
}

/* ---- one part ----------------------------------------------------------- */

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

static const char *
type_name(const struct mailmime_type *t)
{
	static const char *const discrete[] = { "x-error", "text", "image",
	    "audio", "video", "application" };
	const struct mailmime_discrete_type *d;
	const struct mailmime_composite_type *c;

	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		d = t->tp_data.tp_discrete_type;
		if (d->dt_type == MAILMIME_DISCRETE_TYPE_EXTENSION)
			return d->dt_extension;
		if (d->dt_type > 0 &&
		    d->dt_type < MAILMIME_DISCRETE_TYPE_EXTENSION)
			return discrete[d->dt_type];
	} else if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		c = t->tp_data.tp_composite_type;
		if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE)
			return "message";
		if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART)
			return "multipart";
		if (c->ct_type == MAILMIME_COMPOSITE_TYPE_EXTENSION)
			return c->ct_token;
	}
	return "x-error";
}

/* "text/plain": what libetpan made of Content-Type, lower case. */
static void
content_type(const struct mailmime_content *ct, char out[TYPE_MAX])
{
	if (ct == NULL || ct->ct_type == NULL)
		snprintf(out, TYPE_MAX, "text/plain");
	else
		snprintf(out, TYPE_MAX, "%s/%s", type_name(ct->ct_type),
		    ct->ct_subtype != NULL ? ct->ct_subtype : "");
	lower(out);
}

static struct mailmime_field *
mime_field(const struct mailmime *part, int type)
{
	clistiter *it;
	struct mailmime_field *f;

	if (part->mm_mime_fields == NULL)
		return NULL;
	for (it = clist_begin(part->mm_mime_fields->fld_list); it != NULL;
	    it = clist_next(it))
		if ((f = clist_content(it))->fld_type == type)
			return f;
	return NULL;
}

static const char *
encoding_name(const struct mailmime *part)
{
	static const char *const names[] = { "x-error", "7bit", "8bit",
	    "binary", "quoted-printable", "base64" };
	const struct mailmime_field *f;
	const struct mailmime_mechanism *m;

	f = mime_field(part, MAILMIME_FIELD_TRANSFER_ENCODING);
	if (f == NULL || (m = f->fld_data.fld_encoding) == NULL)
		return "7bit";
	if (m->enc_type == MAILMIME_MECHANISM_TOKEN)
		return m->enc_token;
	if (m->enc_type < 0 || m->enc_type > MAILMIME_MECHANISM_BASE64)
		return "x-error";
	return names[m->enc_type];
}

/* Header text unfolded, quotes around it dropped, RFC 2047 decoded;
 * malloc'd. */
static char *
decode_header(const char *raw)
{
	size_t n = strlen(raw), i, o = 0, idx = 0;
	char *s = xmalloc(n + 1), *out = NULL;

	for (i = 0; i < n; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			s[o++] = raw[i];
	s[o] = '\0';
	if (o >= 2 && s[0] == '"' && s[o - 1] == '"') {
		memmove(s, s + 1, o - 2);
		s[o - 2] = '\0';
	}
	if (mailmime_encoded_phrase_parse("utf-8", s, strlen(s), &idx,
	    "utf-8", &out) != MAILIMF_NO_ERROR || out == NULL)
		return s;
	free(s);
	return out;
}

/* Content-Disposition's filename, else Content-Type's name; or NULL. */
static char *
part_filename(const struct mailmime *part)
{
	const struct mailmime_field *f;
	const struct mailmime_disposition_parm *pa;
	const char *raw = NULL;
	clistiter *it;

	f = mime_field(part, MAILMIME_FIELD_DISPOSITION);
	if (f != NULL && f->fld_data.fld_disposition != NULL)
		for (it = clist_begin(f->fld_data.fld_disposition->dsp_parms);
		    it != NULL && raw == NULL; it = clist_next(it))
			if ((pa = clist_content(it))->pa_type ==
			    MAILMIME_DISPOSITION_PARM_FILENAME)
				raw = pa->pa_data.pa_filename;
	if (raw == NULL && part->mm_content_type != NULL)
		raw = mailmime_content_param_get(part->mm_content_type, "name");
	return raw != NULL ? decode_header(raw) : NULL;
}

/* The charset parameter, lower case, malloc'd; "us-ascii" for text/. */
static char *
part_charset(const struct mailmime *part, const char *type)
{
	const char *cs = NULL;
	char *out;

	if (part->mm_content_type != NULL)
		cs = mailmime_content_param_get(part->mm_content_type,
		    "charset");
	if (cs == NULL && strncmp(type, "text/", 5) == 0)
		cs = "us-ascii";
	if (cs == NULL)
		return NULL;
	out = decode_header(cs);
	lower(out);
	return out;
}

/* A display name and a space; quoted when it holds a special, so that
 * "Last, First" <a@b> stays one mailbox. */
static void
put_name(FILE *fp, const char *name)
{
	const char *p;

	if (strpbrk(name, "()<>[]:;@\\,.\"") == NULL) {
		fprintf(fp, "%s ", name);
		return;
	}
	putc('"', fp);
	for (p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			putc('\\', fp);
		putc(*p, fp);
	}
	fputs("\" ", fp);
}

/* "Name <addr>, <addr2>", malloc'd. */
static char *
from_text(const struct mailimf_mailbox_list *list)
{
	const struct mailimf_mailbox *mb;
	const char *sep = "";
	clistiter *it;
	char *s = NULL, *name;
	size_t n = 0;
	FILE *fp;

	if ((fp = open_memstream(&s, &n)) == NULL)
		die(EX_OSERR, "out of memory");
	for (it = clist_begin(list->mb_list); it != NULL; it = clist_next(it)) {
		mb = clist_content(it);
		fputs(sep, fp);
		sep = ", ";
		if (mb->mb_display_name != NULL) {
			name = decode_header(mb->mb_display_name);
			put_name(fp, name);
			free(name);
		}
		fprintf(fp, "<%s>", mb->mb_addr_spec);
	}
	if (fclose(fp) != 0)
		die(EX_OSERR, "out of memory");
	return s;
}

/* The embedded message's Message-ID, Subject and From. */
static void
print_headers(struct mailimf_fields *fields)
{
	struct mailimf_single_fields sf;
	char *s = NULL;
	size_t n;

	memset(&sf, 0, sizeof(sf));
	if (fields != NULL)
		mailimf_single_fields_init(&sf, fields);
	if (sf.fld_message_id != NULL) {
		n = strlen(sf.fld_message_id->mid_value) + 3;
		snprintf(s = xmalloc(n), n, "<%s>",
		    sf.fld_message_id->mid_value);
	}
	json_field("msgid", s);
	free(s);
	s = sf.fld_subject != NULL ?
	    decode_header(sf.fld_subject->sbj_value) : NULL;
	json_field("subject", s);
	free(s);
	s = sf.fld_from != NULL && sf.fld_from->frm_mb_list != NULL ?
	    from_text(sf.fld_from->frm_mb_list) : NULL;
	json_field("from", s);
	free(s);
}

/* "text": the decoded body dec[0..n) converted from charset to UTF-8. */
static void
print_text(const char *dec, size_t n, const char *charset)
{
	char *conv = NULL;
	size_t clen = 0;

	fputs(", \"text\": ", stdout);
	if (strcmp(charset, "utf-8") != 0 && strcmp(charset, "us-ascii") != 0 &&
	    charconv_buffer("utf-8", charset, dec, n, &conv, &clen) ==
	    MAIL_CHARCONV_NO_ERROR && conv != NULL) {
		json_string(conv, clen);
		charconv_buffer_free(conv);
	} else
		json_string(dec, n);
}

/* A single part's body, decoded: an MMAPString in *dec_r, or the bytes in
 * the message when they need no decoding (then *dec_r is NULL). */
static int
decode_body(const struct mailmime *part, char **dec_r, const char **body_r,
    size_t *len_r)
{
	const struct mailmime_data *d = part->mm_data.mm_single;
	size_t idx = 0;

	*dec_r = NULL;
	*body_r = "";
	*len_r = 0;
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return 0;
	*body_r = d->dt_data.dt_text.dt_data;
	*len_r = d->dt_data.dt_text.dt_length;
	if (!d->dt_encoded)
		return 0;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, dec_r,
	    len_r) != MAILIMF_NO_ERROR || *dec_r == NULL)
		return -1;
	*body_r = *dec_r;
	return 0;
}

static void
print_part(struct mailmime *part, int depth)
{
	char type[TYPE_MAX], *dec = NULL, *charset, *fname;
	const char *body = "";
	size_t size = 0;

	content_type(part->mm_content_type, type);
	if (part->mm_type == MAILMIME_SINGLE) {
		if (decode_body(part, &dec, &body, &size) < 0)
			die(EX_DATAERR, "libetpan cannot decode a part");
	} else if (part->mm_body != NULL &&
	    part->mm_body->dt_type == MAILMIME_DATA_TEXT)
		size = part->mm_body->dt_data.dt_text.dt_length;
	charset = part_charset(part, type);
	fname = part_filename(part);
	printf("{\"depth\": %d", depth);
	json_field("type", type);
	json_field("charset", charset);
	json_field("encoding", encoding_name(part));
	json_field("filename", fname);
	printf(", \"size\": %zu", size);
	if (part->mm_type == MAILMIME_MESSAGE)
		print_headers(part->mm_data.mm_message.mm_fields);
	if (part->mm_type == MAILMIME_SINGLE && strncmp(type, "text/", 5) == 0)
		print_text(body, size, charset);
	fputs("}\n", stdout);
	if (dec != NULL)
		mmap_string_unref(dec);
	free(charset);
	free(fname);
}

/* ---- the tree ----------------------------------------------------------- */

/* Depth-first; 0, or -1 when the tree is deeper than DEPTH_MAX (checked
 * before anything is printed, with print 0). */
static int
walk(struct mailmime *part, int depth, int print)
{
	clistiter *it;

	if (depth > DEPTH_MAX)
		return -1;
	if (print)
		print_part(part, depth);
	if (part->mm_type == MAILMIME_MULTIPLE) {
		for (it = clist_begin(part->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it))
			if (walk(clist_content(it), depth + 1, print) < 0)
				return -1;
	} else if (part->mm_type == MAILMIME_MESSAGE &&
	    part->mm_data.mm_message.mm_msg_mime != NULL)
		return walk(part->mm_data.mm_message.mm_msg_mime, depth + 1,
		    print);
	return 0;
}

int
main(void)
{
	struct mailmime *mime = NULL, *top;
	size_t len, idx = 0;
	char *msg;
	int r;

	msg = read_message(&len);
	if (nest_words(msg, len) > NEST_MAX)
		die(EX_DATAERR, "too many multipart and message parts");
	if ((r = mailmime_parse(msg, len, &idx, &mime)) != MAILIMF_NO_ERROR) {
		fprintf(stderr, "mimetree: libetpan cannot parse the message"
		    " (mailmime_parse error %d)\n", r);
		return EX_DATAERR;
	}
	top = mime;
	if (mime->mm_type == MAILMIME_MESSAGE)
		top = mime->mm_data.mm_message.mm_msg_mime;
	if (top != NULL && walk(top, 0, 0) < 0)
		die(EX_DATAERR, "MIME parts nested more than 32 deep");
	if (top != NULL)
		walk(top, 0, 1);
	mailmime_free(mime);
	free(msg);
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EX_IOERR, "cannot write stdout");
	return 0;
}
