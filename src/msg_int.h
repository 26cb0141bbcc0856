/*
 * msg_int.h — what msg.c, msg_mime.c, msg_text.c and msg_decorate.c share,
 * and nobody else sees.
 *
 * struct msg indexes the header block of the caller's buffer once, at
 * parse time, so that header access and decoration never parse again.
 * mime_ct is a small, bounded Content-Type reader: it never allocates and
 * silently ignores what it does not understand.  struct mime_walk is the
 * fixed-size stack of the iterative MIME walk (msg_mime.c).
 */
#ifndef POSTINO_MSG_INT_H
#define POSTINO_MSG_INT_H

#include <stddef.h>

#include "msg.h"
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

/* The state of one bounded walk; large, so callers xcalloc it. */
struct mime_walk {
	const char	*d;
	size_t		 len;
	int		 depth;
	int		 parts;
	/* An empty boundary marks a message/rfc822 level. */
	char		 bound[MSG_MAX_MIME_DEPTH][MIME_BOUNDARY_MAX + 1];
	size_t		 blen[MSG_MAX_MIME_DEPTH];
	/* msg_text: this level is inside an attachment or a message/rfc822. */
	int		 hide[MSG_MAX_MIME_DEPTH];
};

/* The part header fields the walkers read. */
struct mime_part {
	struct mime_ct	ct;
	int		enc;	/* MAILMIME_MECHANISM_* */
	int		attach;	/* Content-Disposition: attachment */
};

/* Parse a Content-Type value v[0..n) (unfolded or not). */
void	 mime_ct_parse(const char *v, size_t n, struct mime_ct *);
/* Walk the whole MIME structure within MSG_MAX_MIME_DEPTH and
 * MSG_MAX_MIME_PARTS; -1 with a static *error_r when it is exceeded. */
int	 mime_check(const struct msg *, const char **error_r);
/* The top-level part's header fields, from the field index. */
void	 mime_top_headers(const struct msg *, struct mime_part *);
/* Read the part headers at *p; leave *p at the part body, fill ph. */
void	 mime_walk_headers(struct mime_walk *, size_t *p,
	    struct mime_part *ph);
/* Scan from *p to the next part start; 0 found, 1 end of data. */
int	 mime_walk_next(struct mime_walk *, size_t *p);
/* Enter a multipart level ("" for message/rfc822); -1 too deep. */
int	 mime_walk_push(struct mime_walk *, const char *boundary,
	    const char **error_r);
/* Offset of the delimiter line that ends the part whose body starts at
 * p, or the end of data. */
size_t	 mime_part_end(const struct mime_walk *, size_t p);
/* Transfer-decode d[0..n) (enc a MAILMIME_MECHANISM_*); NULL on failure,
 * else free with mmap_string_unref. */
char	*mime_part_decode(const char *d, size_t n, int enc, size_t *dlen_r);
/* Convert s[0..n) from charset cs to clean UTF-8 text with LF line ends
 * in out; an unknown charset keeps the bytes (invalid UTF-8 becomes '?'). */
void	 mime_text_utf8(const char *s, size_t n, const char *cs,
	    struct buf *out);

static inline int
msg_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* First field named name (case-insensitive), or NULL; borrowed from m. */
const struct msg_field *msg_field_find(const struct msg *, const char *name);
/* Whether field f is named name (case-insensitive). */
int	 msg_field_is(const struct msg *, const struct msg_field *,
	    const char *name);
/* Unfolded, trimmed value of field f; malloc'd. */
char	*msg_field_value(const struct msg *, const struct msg_field *);
/* The first (last 0) or last (last 1) Message-ID of the field named
 * name, without <>, from at most the field's first 1000 ids; malloc'd,
 * or NULL when the field is absent or holds none (msg_text.c). */
char	*msg_field_msgid(const struct msg *, const char *name, int last);
/* Decode an RFC 2047 header text into clean UTF-8 (no control
 * characters, invalid sequences replaced by '?'); malloc'd. */
char	*msg_decode_text(const char *raw);
/* A phrase (display name) of UTF-8 name: atoms, a quoted string or
 * encoded-words, starting at column col (msg_decorate.c). */
void	 msg_put_phrase(const char *name, size_t col, struct buf *out);
/* A boundary of size bytes (at most 48 used) found nowhere in m. */
void	 msg_boundary(const struct msg *, char *out, size_t size);
/* msg_decorate for a dmarc copy: rewrite m, then decorate (msg_dmarc.c). */
int	 msg_dmarc_decorate(const struct msg *, const struct decorate *,
	    struct buf *out, const char **error_r);
/* Copy s[0..n) into out as valid UTF-8 without control characters. */
void	 msg_clean_utf8(const char *s, size_t n, struct buf *out);

#endif
