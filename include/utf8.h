/*
 * utf8.h — the one UTF-8 decoder (RFC 3629) that every module checking
 * or cleaning text uses.
 */
#ifndef POSTINO_UTF8_H
#define POSTINO_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length (1..4) of the valid UTF-8 sequence at s[0..n), with its code
 * point in *cp when cp is not NULL; 0 when s does not start one: a stray
 * continuation byte, a sequence cut short, an overlong form, a surrogate
 * or a code point past U+10FFFF.  Reads no byte past the first that does
 * not fit, so a NUL-terminated string may be passed with n = 4.
 */
size_t	 utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

struct buf;

/*
 * Append s[0..n) to out as UTF-8 text with LF line ends: CRLF and a lone
 * CR become LF, every other control character but TAB and LF (C0, DEL
 * and C1) a blank, and each byte that starts no valid sequence '?'.
 * Runs of printable ASCII are copied whole; out stays NUL-terminated.
 */
void	 utf8_clean(const char *s, size_t n, struct buf *out);

#endif
