/*
 * msg_int.h — what msg.c and decorate.c share, and nobody else sees.
 *
 * struct msg indexes the header block of the caller's buffer once, at
 * parse time, so that header access and decoration never parse again.
 * mime_ct is a small, bounded Content-Type reader: it never allocates and
 * silently ignores what it does not understand.
 */
#ifndef POSTINO_MSG_INT_H
#define POSTINO_MSG_INT_H

#include <stddef.h>

#include "postino.h"

struct buf;

/* One header field: offsets into msg->data. */
struct msg_field {
	size_t	start;		/* first byte of the name */
	size_t	name_len;	/* without any blanks before the colon */
	size_t	value;		/* just past the colon */
	size_t	end;		/* just past the field's last CRLF */
};

struct msg {
	const char		*data;		/* borrowed, see msg.h */
	size_t			 len;
	size_t			 hdr_end;	/* past the last field's CRLF */
	size_t			 body;		/* msg_body_offset() */
	struct msg_field	*fields;
	size_t			 nfields;
	char			 from[ADDR_MAX];
	char			*message_id;
};

#define MIME_TOKEN_MAX		64
#define MIME_BOUNDARY_MAX	70	/* RFC 2046 §5.1.1 */

struct mime_ct {
	char	type[MIME_TOKEN_MAX];		/* lower case, "" if absent */
	char	subtype[MIME_TOKEN_MAX];
	char	charset[MIME_TOKEN_MAX];	/* lower case, "" if absent */
	char	boundary[MIME_BOUNDARY_MAX + 1];/* "" if absent or invalid */
	int	flowed;				/* format=flowed */
	int	delsp;				/* delsp=yes */
};

/* Parse a Content-Type value v[0..n) (unfolded or not). */
void	 mime_ct_parse(const char *v, size_t n, struct mime_ct *);

/* Whether field f is named name (case-insensitive). */
int	 msg_field_is(const struct msg *, const struct msg_field *,
	    const char *name);
/* Unfolded, trimmed value of field f; malloc'd. */
char	*msg_field_value(const struct msg *, const struct msg_field *);
/* Decode an RFC 2047 header text into clean UTF-8 (no control
 * characters, invalid sequences replaced by '?'); malloc'd. */
char	*msg_decode_text(const char *raw);
/* Copy s[0..n) into out as valid UTF-8 without control characters. */
void	 msg_clean_utf8(const char *s, size_t n, struct buf *out);

#endif
