/*
 * msg.h — the only user of libetpan's parser: parse and check a message,
 * read its headers, and build the decorated copy a list sends out.
 *
 * A struct msg is a view over the caller's buffer: the buffer must stay
 * alive and unchanged until msg_free().  Input is CRLF text (the ingest
 * path guarantees it).
 */
#ifndef POSTINO_MSG_H
#define POSTINO_MSG_H

#include <stddef.h>

#include "postino.h"

struct buf;
struct msg;

/* Limits applied by msg_parse (reliability.md §0.5). */
#define MSG_MAX_HEADERS		1000	/* header fields */
#define MSG_MAX_HEADER_LEN	(64 * 1024)	/* one unfolded field */
#define MSG_MAX_MIME_DEPTH	32
#define MSG_MAX_MIME_PARTS	1000

/*
 * Parse and check a message.  It is malformed (return -1, *error_r a
 * static text fit for "554 5.6.0 <text>" and for pipe mode's exit 65) when
 * the header block is missing or unparseable, a header line has no colon
 * or a bad name, a limit is exceeded, From is missing or appears twice,
 * Subject or Message-ID appear twice, or From holds no valid address.
 * On success *m_r is set (free with msg_free).
 */
int	 msg_parse(const char *data, size_t len, struct msg **m_r,
	    const char **error_r);
void	 msg_free(struct msg **);

/* Byte offset of the body (just past the blank line after the headers). */
size_t	 msg_body_offset(const struct msg *);

/* First field named name (case-insensitive), unfolded, raw (encoded words
 * left as they are), malloc'd; NULL when absent. */
char	*msg_header(const struct msg *, const char *name);
/* Number of fields named name. */
int	 msg_header_count(const struct msg *, const char *name);

/* The first From: mailbox, normalised (see addr.h); "" if none. */
const char *msg_from(const struct msg *);
/* Message-ID without angle brackets, or "" when absent. */
const char *msg_message_id(const struct msg *);
/* Subject decoded from RFC 2047 into UTF-8 (malloc'd; "" if absent);
 * CR, LF and other control characters are replaced by spaces. */
char	*msg_subject(const struct msg *);
/* Any field the same way (Date, From for display): decoded, malloc'd,
 * "" when absent. */
char	*msg_header_text(const struct msg *, const char *name);

/*
 * Automatic mail that a list must never redistribute or answer:
 * Auto-Submitted other than "no", Precedence bulk/junk/list, X-Autoreply,
 * X-Autorespond, X-Auto-Response-Suppress: All/OOF, or From MAILER-DAEMON
 * (RFC 3834 §2, §5).  Returns a static text saying why, or NULL.
 * (The null envelope sender is checked by the caller.)
 */
const char *msg_is_auto(const struct msg *);

/*
 * Whether the message already passed through this list: it carries
 * List-Id: <list_id>, or an X-Loop header equal to loop.  1 yes, 0 no.
 */
int	 msg_is_loop(const struct msg *, const char *list_id, const char *loop);

/*
 * The readable text of the message, for commands: the first text/plain
 * part (the top part of multipart/alternative or mixed), transfer-decoded
 * and converted to UTF-8; when there is none, the first text/html part
 * turned into plain text (tags dropped, entities decoded, block tags as
 * line breaks).  At most max bytes.  0, or -1 when there is no text.
 */
int	 msg_text(const struct msg *, size_t max, struct buf *out);

/*
 * The thread a message belongs to: the first Message-ID of References,
 * else In-Reply-To, else its own Message-ID; without <>, malloc'd; ""
 * when none of them can be read.
 */
char	*msg_thread(const struct msg *);

/*
 * Call fn with the unfolded, trimmed value of each field named name
 * (case-insensitive), in order; the value is borrowed for the call.  Stops
 * when fn returns non-zero and returns that value; else 0.
 */
int	 msg_header_each(const struct msg *, const char *name,
	    int (*fn)(const char *value, void *), void *arg);

/*
 * 1 when some MIME part (the top part included; a part without
 * Content-Type counts as text/plain) has type/subtype, compared
 * case-insensitively; subtype "*" matches any.  Bounded by
 * MSG_MAX_MIME_DEPTH and MSG_MAX_MIME_PARTS.  0 otherwise.
 */
int	 msg_has_type(const struct msg *, const char *type,
	    const char *subtype);

/* Number of Received: fields (mail loop detection, RFC 5321 §6.3). */
int	 msg_received_count(const struct msg *);

/* What a list adds to each copy it sends. */
struct decorate {
	const char	*list_addr;	/* team@example.org */
	const char	*list_id;	/* team.example.org (RFC 2919) */
	const char	*list_name;	/* phrase before List-Id, or NULL */
	const char	*help_addr;	/* team+help@example.org: the */
	const char	*subscribe_addr;/* command addresses of List-Help, */
	const char	*unsubscribe_addr; /* -Subscribe, -Unsubscribe */
	const char	*owner_addr;	/* and -Owner, built by the caller */
	const char	*subject_prefix;/* "[team]", or "" for none */
	const char	*footer;	/* UTF-8 text, or NULL/"" for none */
	const char	*archive_url;	/* List-Archive, or NULL */
	/* DMARC mitigation (msg_dmarc.c): the copy goes out From the list. */
	int		 dmarc;		/* DECORATE_DMARC_* */
	const char	*via;		/* "team": From "Alice via team" */
	int		 reply_to_list;	/* Reply-To the list, author in Cc */
};

#define DECORATE_DMARC_NONE	0	/* the author's From stays */
#define DECORATE_DMARC_MUNGE	1	/* From the list, author visible */
#define DECORATE_DMARC_WRAP	2	/* the original as message/rfc822 */

/*
 * Write the outgoing copy into out (CRLF, not dot-stuffed):
 * - drops incoming List-Id, List-Post, List-Help, List-Subscribe,
 *   List-Unsubscribe, List-Owner, List-Archive, Archived-At, Precedence,
 *   Return-Path
 *   and any X-Loop equal to ours;
 * - adds List-Id, List-Post, List-Help, List-Subscribe, List-Unsubscribe,
 *   List-Owner (RFC 2369, RFC 2919), Precedence: list, X-Loop: list_addr;
 * - puts subject_prefix in front of the Subject once, never doubled on
 *   replies ("Re: [team] x" stays), encoding it with RFC 2047 when the
 *   subject needs it, never emitting raw CR/LF;
 * - adds the footer keeping MIME valid: appended to a text/plain body in
 *   7bit/8bit/quoted-printable (QP-encoded when the body is), added as a
 *   final text/plain part of a multipart/mixed, and otherwise (HTML,
 *   alternative, signed, base64 text) the message is wrapped in a new
 *   multipart/mixed with the original as first part;
 * - with dmarc set, first rewrites the message so that it leaves From
 *   the list (msg_dmarc.c): munge puts From: "Alice via team" <list>,
 *   keeps the author's From as X-Original-From and sets Reply-To to the
 *   author (the author's own Reply-To kept) or, with reply_to_list, to
 *   the list, adding the author to Cc; wrap makes a new message From the
 *   list with the same reply fields whose one part is the original,
 *   untouched, as message/rfc822 (the footer follows it).
 * Returns 0, or -1 with *error_r.
 */
int	 msg_decorate(const struct msg *, const struct decorate *,
	    struct buf *out, const char **error_r);

/* Encode UTF-8 text as a header value, with RFC 2047 encoded-words when it
 * is not plain printable ASCII; folded at 78 columns; no CR/LF inside. */
void	 msg_encode_header_text(const char *utf8, size_t name_len,
	    struct buf *out);

#endif
