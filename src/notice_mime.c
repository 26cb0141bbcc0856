/*
 * notice_mime.c — the MIME bodies of the mails postino writes
 * (notice.c): a text part that goes out 7bit, 8bit or quoted-printable
 * (RFC 2045 §6.7), a text with an attached message, a MIME digest
 * (RFC 2046 §5.1.5), and the random ids their boundaries and the
 * Message-ID are made of.  A boundary is drawn again until no part
 * contains it.
 *
 * Owns: nothing; everything goes to the caller's buf.  Fails: never.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "notice.h"
#include "notice_int.h"

#define LINE_OCTETS	998	/* RFC 5322 §2.1.1 */
#define QP_COLS		76	/* RFC 2045 §6.7 (5) */

/* Random bytes for unique ids (not secrets): getrandom(2), then
 * /dev/urandom, then the clock and a counter. */
static void
random_fill(unsigned char *r, size_t n)
{
	static unsigned counter;
	struct timespec ts;
	ssize_t got;
	size_t i;
	int fd;

	do
		got = getrandom(r, n, 0);
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)n)
		return;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		got = read(fd, r, n);
		close(fd);
		if (got == (ssize_t)n)
			return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < n; i++)
		r[i] = (unsigned char)((uint64_t)ts.tv_nsec >> (i % 4 * 8) ^
		    (uint64_t)ts.tv_sec >> (i % 8) ^ (unsigned)getpid() ^
		    (counter++ * 131u));
}

void
notice_random_hex(char out[NOTICE_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[NOTICE_RAND_BYTES];
	size_t i;

	random_fill(r, sizeof(r));
	for (i = 0; i < NOTICE_RAND_BYTES; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * NOTICE_RAND_BYTES] = '\0';
}

/* How s[0..n) (clean UTF-8) can go out as it is: "7bit" when ASCII,
 * "8bit" when not; NULL when a line is longer than 998 octets. */
static const char *
text_cte(const char *s, size_t n)
{
	size_t i, line = 0;
	int eight = 0;

	for (i = 0; i < n; i++) {
		eight |= (unsigned char)s[i] >= 128;
		line = s[i] == '\n' ? 0 : line + 1;
		if (line > LINE_OCTETS)
			return NULL;
	}
	return eight ? "8bit" : "7bit";
}

/*
 * Quoted-printable (RFC 2045 §6.7) of LF text: encoded lines of at most
 * 76 characters with soft breaks, '=' and 8-bit bytes and a blank that
 * ends a line encoded, CRLF line ends.
 */
static void
qp_encode(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;
	size_t i, col = 0, w;
	int lit;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\n') {
			buf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		lit = (ch > 32 && ch < 127 && ch != '=') ||
		    ((ch == ' ' || ch == '\t') && i + 1 < n && s[i + 1] != '\n');
		w = lit ? 1 : 3;
		if (col + w > QP_COLS - 1) {	/* room for the soft '=' */
			buf_puts(out, "=\r\n");
			col = 0;
		}
		if (lit)
			buf_putc(out, (char)ch);
		else
			buf_printf(out, "=%c%c", hex[ch >> 4], hex[ch & 15]);
		col += w;
	}
}

/* Content-Type and transfer encoding of the text, a blank line, the
 * text; 8bit only when eight (a list's own mail). */
void
notice_mime_text(const struct buf *body, int eight, struct buf *out)
{
	const char *s = body->data != NULL ? body->data : "";
	const char *cte = text_cte(s, body->len);
	size_t i;

	buf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n");
	if (cte == NULL || (!eight && strcmp(cte, "8bit") == 0)) {
		buf_puts(out, "Content-Transfer-Encoding: quoted-printable"
		    "\r\n\r\n");
		qp_encode(s, body->len, out);
		return;
	}
	buf_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n", cte);
	for (i = 0; i < body->len; i++) {
		if (s[i] == '\n')
			buf_puts(out, "\r\n");
		else
			buf_putc(out, s[i]);
	}
}

/* The encoding a message/rfc822 part needs to carry a[0..n) as it is. */
static const char *
attach_cte(const char *a, size_t n)
{
	size_t i, line = 0;
	int eight = 0;

	for (i = 0; i < n; i++) {
		if (a[i] == '\0' || (a[i] == '\r' && (i + 1 == n ||
		    a[i + 1] != '\n')) || (a[i] == '\n' && (i == 0 ||
		    a[i - 1] != '\r')))
			return "binary";
		line = a[i] == '\n' ? 0 : line + 1;
		if (line > LINE_OCTETS + 1)
			return "binary";
		eight |= (unsigned char)a[i] >= 128;
	}
	return eight ? "8bit" : "7bit";
}

void
notice_mime_attached(const struct buf *body, int eight, const char *attach,
    size_t attach_len, struct buf *out)
{
	char hex[NOTICE_HEX_MAX], b[NOTICE_HEX_MAX + 16];

	do {
		notice_random_hex(hex);
		snprintf(b, sizeof(b), "=_postino_%s", hex);
	} while ((body->len > 0 &&
	    memmem(body->data, body->len, b, strlen(b)) != NULL) ||
	    memmem(attach, attach_len, b, strlen(b)) != NULL);
	buf_printf(out, "Content-Type: multipart/mixed;\r\n"
	    " boundary=\"%s\"\r\n\r\n--%s\r\n", b, b);
	notice_mime_text(body, eight, out);
	buf_printf(out, "\r\n--%s\r\nContent-Type: message/rfc822\r\n"
	    "Content-Disposition: attachment\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", b,
	    attach_cte(attach, attach_len));
	buf_append(out, attach, attach_len);
	buf_printf(out, "\r\n--%s--\r\n", b);
}

/* A boundary found in none of the n texts. */
static void
fresh_boundary(const struct notice_part *parts, size_t n,
    char b[NOTICE_HEX_MAX + 16])
{
	size_t i;

	for (;;) {
		notice_random_hex(b + 10);
		memcpy(b, "=_postino_", 10);
		for (i = 0; i < n; i++)
			if (parts[i].len > 0 && memmem(parts[i].data,
			    parts[i].len, b, strlen(b)) != NULL)
				break;
		if (i == n)
			return;
	}
}

void
notice_mime_digest(const struct buf *body, int eight,
    const struct notice_part *digest, size_t ndigest,
    const struct buf *trailer, struct buf *out)
{
	struct notice_part *all;
	char outer[NOTICE_HEX_MAX + 16], inner[NOTICE_HEX_MAX + 16];
	size_t i;

	all = xcalloc(ndigest + 2, sizeof(*all));
	for (i = 0; i < ndigest; i++)
		all[i] = digest[i];
	all[i++] = (struct notice_part){ body->data, body->len };
	all[i++] = (struct notice_part){ trailer->data, trailer->len };
	fresh_boundary(all, i, outer);
	do
		fresh_boundary(all, i, inner);
	while (strcmp(inner, outer) == 0);
	free(all);
	buf_printf(out, "Content-Type: multipart/mixed;\r\n"
	    " boundary=\"%s\"\r\n\r\n--%s\r\n", outer, outer);
	notice_mime_text(body, eight, out);
	buf_printf(out, "\r\n--%s\r\nContent-Type: multipart/digest;\r\n"
	    " boundary=\"%s\"\r\n\r\n", outer, inner);
	for (i = 0; i < ndigest; i++) {
		buf_printf(out, "--%s\r\nContent-Type: message/rfc822\r\n"
		    "Content-Transfer-Encoding: %s\r\n\r\n", inner,
		    attach_cte(digest[i].data, digest[i].len));
		buf_append(out, digest[i].data, digest[i].len);
		if (digest[i].len < 2 ||
		    memcmp(digest[i].data + digest[i].len - 2, "\r\n", 2) != 0)
			buf_puts(out, "\r\n");
		buf_puts(out, "\r\n");
	}
	buf_printf(out, "--%s--\r\n", inner);
	if (trailer->len > 0) {
		buf_printf(out, "\r\n--%s\r\n", outer);
		notice_mime_text(trailer, eight, out);
	}
	buf_printf(out, "\r\n--%s--\r\n", outer);
}
