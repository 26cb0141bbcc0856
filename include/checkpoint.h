/*
 * checkpoint.h — the text of a signed checkpoint of a moderation log, as
 * it travels in mail and on the command line (checkpoint.c):
 *
 *   postino-checkpoint v1 LIST COUNT HEADHEX TIME SIGB64
 *
 * one line, fields separated by one space: LIST the list address (lower
 * case), COUNT the number of entries (0 or more, no leading zero),
 * HEADHEX the hash of entry COUNT (64 lower-case hex digits, all zero
 * when COUNT is 0), TIME when it was signed (UTC, YYYY-MM-DDTHH:MM:SSZ),
 * SIGB64 the Ed25519 signature (RFC 4648 base64, 88 characters) of the
 * line's bytes before " SIGB64", with the list's key (token.h).
 *
 * The parser accepts only the canonical spelling, so the signed text is
 * exactly what was received.  Pure: no store, no key.
 */
#ifndef POSTINO_CHECKPOINT_H
#define POSTINO_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;

#define CHECKPOINT_MAGIC	"postino-checkpoint"
#define CHECKPOINT_VERSION	"v1"
#define CHECKPOINT_HASH		32
#define CHECKPOINT_SIG		64
#define CHECKPOINT_LIST_MAX	254

struct checkpoint {
	char		 list[CHECKPOINT_LIST_MAX + 1];
	int64_t		 count;
	uint8_t		 head[CHECKPOINT_HASH];
	time_t		 time;
	uint8_t		 sig[CHECKPOINT_SIG];
};

/* The signed text (the line without " SIGB64"), appended to out. */
void	 checkpoint_signed_text(const struct checkpoint *, struct buf *out);
/* The whole line, without a newline, appended to out. */
void	 checkpoint_format(const struct checkpoint *, struct buf *out);
/*
 * Parse one line (leading and trailing white space, a final CR LF
 * included, are ignored).  0, or -1 with *error_r a static text naming
 * the first field that is wrong.
 */
int	 checkpoint_parse(const char *s, size_t len, struct checkpoint *,
	    const char **error_r);
/* An Ed25519 public key as PEM (SubjectPublicKeyInfo, what `openssl
 * pkeyutl -pubin` reads), lines ending in "\n", appended to out. */
void	 checkpoint_pem(const uint8_t pk[32], struct buf *out);

#endif
