/*
 * notice.h — mails postino writes itself (confirmations, welcome,
 * goodbye, help, command results, owner notices), built from templates
 * and queued as direct jobs.
 *
 * Every notice is a complete RFC 5322 message: From the list's -request
 * address (or -owner for owner notices, or the token address of a notice
 * that expects a reply), To the recipient, a Subject from
 * the template (RFC 2047-encoded when not ASCII), Date, a fresh
 * Message-ID, In-Reply-To/References when it answers a mail, MIME-Version,
 * "text/plain; charset=utf-8" with 7bit or quoted-printable as needed,
 * List-Id, Auto-Submitted: auto-replied (RFC 3834) and X-Loop, so that
 * nobody's auto-responder answers it and we never answer ours.  The
 * envelope sender is the list's bounce address.
 */
#ifndef POSTINO_NOTICE_H
#define POSTINO_NOTICE_H

#include <stddef.h>

#include "config.h"
#include "template.h"

/* The tag of a token in a notice's Subject: "[postino:TOKEN]". */
#define NOTICE_TAG	"postino:"

struct buf;
struct store;

struct notice {
	const char		*list_addr;	/* team@example.org */
	const char		*list_descr;	/* may be "" */
	const char		*lang;		/* "en", "it" */
	const char		*override_dir;	/* list's own templates, or NULL */
	const char		*template_name;	/* "confirm_subscribe", ... */
	const struct tvar	*vars;		/* besides the common ones */
	size_t			 nvars;
	const char		*to;		/* one recipient */
	const char		*to_name;	/* his display name, or NULL */
	const char		*from_role;	/* "request" (default) or "owner" */
	const char		*reply_to;	/* Reply-To address, or NULL */
	/*
	 * A notice that carries a token for a reply (a confirmation, a held
	 * post): from_addr replaces the From address (LIST+confirm-TOKEN@),
	 * so that a reply to From lands right too, and subject_token is
	 * appended to the Subject as " [postino:TOKEN]" (NOTICE_TAG), which
	 * a reply keeps when its client drops the +TOKEN of the address
	 * (request_subject_token reads it back; the Subject is encoded as
	 * any other, so nothing in it adds a header line).  NULL: neither.
	 */
	const char		*from_addr;
	const char		*subject_token;
	const char		*in_reply_to;	/* Message-ID answered (no <>), or NULL */
	const char		*attach;	/* message/rfc822 to attach, or NULL */
	size_t			 attach_len;
	/*
	 * A list's own mail (a digest) rather than an answer: List-Post,
	 * List-Help, List-Subscribe, List-Unsubscribe, List-Owner,
	 * List-Archive (archive_url, when set), Precedence: list and
	 * Auto-Submitted: auto-generated; its text goes out 8bit (not
	 * quoted-printable) unless a line is too long for that.  Its
	 * messages, when there are any, follow the text as a
	 * multipart/digest (RFC 2046 §5.1.5), and the trailer (the list's
	 * footer) ends the mail: as a last text part after a digest, else
	 * after the text.
	 */
	int			 list_mail;
	const char		*archive_url;	/* List-Archive, or NULL/"" */
	const struct notice_part *digest;
	size_t			 ndigest;
	const char		*trailer;	/* UTF-8 text, or NULL */
};

/* One message of a digest: raw RFC 5322, CRLF. */
struct notice_part {
	const char	*data;
	size_t		 len;
};

/*
 * The common placeholders every template may use, filled by notice_build:
 * list_addr, list_name (local part), description, request_addr,
 * help_addr, owner_addr, subscribe_addr, unsubscribe_addr, digest_addr,
 * nomail_addr, each_addr, follow_addr, mute_addr, hostname.  Result lines
 * (notice_line) use only their own placeholders.
 * Render and build the whole mail (CRLF) into out.  0, or -1 with a
 * malloc'd *error_r (unknown template or placeholder: a bug or a broken
 * override, never a blank mail).
 */
int	 notice_build(const struct config *, const struct notice *,
	    struct buf *out, char **error_r);

struct list_ctx;
/* Zero nt and fill what every mail of list lc shares: the list, its
 * description, language and overrides, and template name with its vars. */
void	 notice_from_list(struct notice *nt, const struct list_ctx *lc,
	    const char *name, const struct tvar *vars, size_t n);

/* Build and queue it as a direct job, in the caller's transaction. */
int	 notice_queue(struct store *, const struct config *,
	    const struct notice *, char **error_r);

/* Render a one-line (or few-line) result text: the body of template
 * NAME with vars, trimmed of its trailing newlines; appended to out. */
int	 notice_line(const struct config *, const char *lang,
	    const char *override_dir, const char *name,
	    const struct tvar *vars, size_t nvars, struct buf *out,
	    char **error_r);

/* A rule's text as members read it: "{{reason_NAME}}" is that template
 * in the list's language (owner_addr, list_addr), any other text is
 * itself.  Malloc'd; never NULL. */
char	*notice_rule_text(const struct list_ctx *, const char *text);

#endif
