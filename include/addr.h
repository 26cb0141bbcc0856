/*
 * addr.h — mail addresses: parsing SMTP paths, validation, normalisation.
 *
 * Forms used across postino:
 *   - "addr": local@domain as stored for display and sending; the domain
 *     is lower-cased and loses a trailing dot, the local part keeps its case.
 *   - "key":  the comparison key: the whole address lower-cased (RFC 5321
 *     §2.4 allows case-sensitive local parts but discourages relying on it;
 *     every list manager compares case-insensitively).
 * Every function that accepts an address rejects CR, LF, NUL, '<', '>',
 * spaces outside quotes, and anything over the RFC 5321 limits, so an
 * address can never inject a command or a header.
 */
#ifndef POSTINO_ADDR_H
#define POSTINO_ADDR_H

#include <stddef.h>

#include "postino.h"

/*
 * Parse the path of a MAIL FROM / RCPT TO argument: "<local@domain>" (or
 * "<>" when allow_null) followed by optional " PARAM=VALUE" parameters.
 * Source routes "<@a,@b:u@c>" are accepted and dropped (RFC 5321 §4.1.2).
 * On success writes the normalised address into out (ADDR_MAX bytes; "" for
 * the null path), sets *params_r to the start of the parameters (or the
 * terminating NUL) and returns 0.  On failure returns -1 and sets *error_r
 * to a static text fit for a 501 reply.
 */
int	addr_parse_path(const char *arg, int allow_null, char out[ADDR_MAX],
	    const char **params_r, const char **error_r);

/*
 * Validate and normalise a bare address "local@domain" (no angle brackets,
 * no display name), e.g. typed on the command line or read from a file.
 * Returns 0 and fills out, or -1 with *error_r set to a static text.
 */
int	addr_normalize(const char *in, char out[ADDR_MAX], const char **error_r);

/* The comparison key of a normalised address (lower-case copy). */
void	addr_key(const char *addr, char out[ADDR_MAX]);

/*
 * Split a normalised address at the last '@'.  *local_len is the length of
 * the local part; the return value points at the domain (after '@').
 */
const char *addr_domain(const char *addr, size_t *local_len);

/* addr_mailbox.c */
#define ADDR_NAME_MAX	201	/* a display name: 200 bytes of UTF-8, NUL */
/*
 * A mailbox as typed on the command line or in an import file: "addr",
 * "<addr>", "Name <addr>", "\"Doe, Jane\" <addr>" (UTF-8 names too).
 * Fills name (clean one-line UTF-8, "" when none: quotes removed, blanks
 * collapsed) and the normalised addr; 0, or -1 with *error_r set to a
 * static text (unbalanced quotes, line break, control character, not
 * UTF-8, name over 200 bytes, a stray '<' or '>', a bad address).
 */
int	addr_mailbox_parse(const char *s, size_t n, char name[ADDR_NAME_MAX],
	    char addr[ADDR_MAX], const char **error_r);
/* A display name alone, taken as it is (quotes are part of it), trimmed
 * and checked as above; "" is fine. */
int	addr_name_literal(const char *s, size_t n, char name[ADDR_NAME_MAX],
	    const char **error_r);

#endif
