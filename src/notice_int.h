/*
 * notice_int.h — what notice.c (templates, headers) and notice_mime.c
 * (MIME bodies, random ids) share.  Private to the notice family.
 */
#ifndef POSTINO_NOTICE_INT_H
#define POSTINO_NOTICE_INT_H

#include <stddef.h>

struct buf;
struct notice_part;

#define NOTICE_RAND_BYTES	16
#define NOTICE_HEX_MAX		(2 * NOTICE_RAND_BYTES + 1)

/* 32 random hex digits (unique ids, not secrets). */
void	notice_random_hex(char out[NOTICE_HEX_MAX]);
/* Content-Type, transfer encoding, a blank line and the text (LF, clean
 * UTF-8); 8bit only when eight (a list's own mail). */
void	notice_mime_text(const struct buf *body, int eight, struct buf *out);
/* multipart/mixed: the text, then attach[0..len) as message/rfc822. */
void	notice_mime_attached(const struct buf *body, int eight,
	    const char *attach, size_t len, struct buf *out);
/* A MIME digest: multipart/mixed of the text (the table of contents), a
 * multipart/digest of the n messages, and the trailer if not empty. */
void	notice_mime_digest(const struct buf *body, int eight,
	    const struct notice_part *digest, size_t n,
	    const struct buf *trailer, struct buf *out);

#endif
