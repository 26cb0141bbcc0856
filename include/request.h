/*
 * request.h — reading the commands a person wrote in a mail.
 *
 * Mail to LIST-request@ carries commands in its Subject and in the first
 * lines of its text body.  People reply to our mails, so quoted lines
 * ('>'), the quote header ("On ... wrote:"), signatures ("-- "), and
 * everything after the first run of lines that are not commands are
 * ignored; HTML-only bodies are turned into text first; base64 and
 * quoted-printable are decoded.  Reading is bounded: at most
 * REQUEST_MAX_LINES body lines and REQUEST_MAX commands.
 */
#ifndef POSTINO_REQUEST_H
#define POSTINO_REQUEST_H

#include <stddef.h>

struct cmdaddr_row;
struct msg;

#define REQUEST_MAX		10
#define REQUEST_MAX_LINES	30
#define REQUEST_WORD_MAX	32
#define REQUEST_ARG_MAX		256

struct request_cmd {
	const struct cmdaddr_row *row;	/* NULL: an unknown word */
	char	 word[REQUEST_WORD_MAX];	/* lower case: "subscribe" */
	char	 arg[REQUEST_ARG_MAX];		/* the rest, trimmed, or "" */
	char	 line[REQUEST_ARG_MAX];		/* the line as written (for replies) */
};

/* The words we know: those of cmdaddr.h's table that may stand in
 * -request mail (CA_REQ).  Anything else on a line by itself is reported
 * as an unknown command only when it is the first line read (a greeting
 * further down ends the commands instead). */
int	 request_known(const char *word);

/*
 * Extract the commands of m into out (at most max).  Returns the number
 * found (0 when none).  A "confirm TOKEN" anywhere in the Subject (as in
 * "Re: confirm abcd...") counts, so that replies to a confirmation work
 * when the MTA stripped our plus-extension.
 */
size_t	 request_parse(const struct msg *m, struct request_cmd *out,
	    size_t max);

/*
 * The token of a reply to one of our notices, read from its Subject:
 * the last "[postino:TOKEN]" (notice.h's NOTICE_TAG, any case, blanks
 * allowed inside the brackets; TOKEN exactly 26 base32 characters), so
 * that a tag the held post's own Subject carried cannot win over ours,
 * which ends the Subject.  1 and tok lower-cased, or 0.
 */
#define REQUEST_TOKEN_LEN	26	/* token.h's TOKEN_LEN */
int	 request_subject_token(const char *subject,
	    char tok[REQUEST_TOKEN_LEN + 1]);

/*
 * A moderator's decision written in a reply to a held-post notice: the
 * first line of the text that is not blank, not quoted ('>') and not a
 * quote header, before any signature or "Original Message" separator,
 * read as "approve [words]", "reject REASON" or "discard" (any case,
 * Italian "approva", "rifiuta", "scarta" too; a ':' or '.' after the
 * word is ignored).  The words after the word are the reason.  Anything
 * else, or no such line, is REQUEST_UNDECIDED and d->line says what was
 * read ("" for nothing).  Quoted lines are skipped however many there
 * are: the caller bounds the text.
 */
enum request_decision {
	REQUEST_UNDECIDED,
	REQUEST_APPROVE,
	REQUEST_REJECT,
	REQUEST_DISCARD,
};

#define REQUEST_REASON_MAX	512

struct request_decided {
	enum request_decision	 what;
	char	 reason[REQUEST_REASON_MAX];	/* trimmed, or "" */
	char	 line[REQUEST_ARG_MAX];		/* the line read, or "" */
};

enum request_decision request_decision(const char *text, size_t len,
	    struct request_decided *d);

#endif
