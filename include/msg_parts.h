/*
 * msg_parts.h — what a reader of the archive is shown of a message
 * besides its text (msg_text): its leaf MIME parts, its author's display
 * name, and the message it answers (msg_parts.c, over the same bounded
 * walker as msg.h).
 *
 * Nothing here fails on a hostile message: broken MIME is reported, not
 * refused, so that a post that was accepted can always be shown.
 */
#ifndef POSTINO_MSG_PARTS_H
#define POSTINO_MSG_PARTS_H

#include <stddef.h>

struct msg;

#define MSG_PART_TYPE_MAX	130	/* "type/subtype" and its NUL */

struct msg_part {
	char	 type[MSG_PART_TYPE_MAX];	/* lower case; "text/plain"
						 * when there is none */
	char	*filename;	/* clean UTF-8 (RFC 2047 decoded, no control
				 * characters), or NULL when it has none */
	size_t	 size;		/* decoded size in bytes; the encoded size
				 * when it cannot be decoded */
	int	 attach;	/* an attachment: Content-Disposition
				 * attachment, a file name, or neither
				 * text/plain nor text/html */
	int	 broken;	/* its base64 cannot be decoded */
};

/*
 * Call fn for each leaf part, in order (a message/rfc822 part is one
 * leaf: what it holds is not what the author wrote).  The part is
 * borrowed for the call; fn returns non-zero to stop.  Returns 0 when
 * the MIME structure is sound, 1 when it is broken (a multipart without
 * a boundary, one that never ends, a part that cannot be decoded), with
 * a static English reason in *broken_r for the log; the parts that could
 * be read were passed to fn either way.
 */
int	 msg_parts_each(const struct msg *,
	    int (*fn)(const struct msg_part *, void *), void *arg,
	    const char **broken_r);

/* The display name of the first From: mailbox, decoded from RFC 2047
 * into clean UTF-8; "" when it has none.  Malloc'd. */
char	*msg_author_name(const struct msg *);

/* The Message-ID this message answers, without <>: the first of
 * In-Reply-To, else the last of References; "" when none.  Malloc'd. */
char	*msg_parent(const struct msg *);

#endif
