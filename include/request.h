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

#endif
