/*
 * addr_mailbox.c — a mailbox as an administrator types it: "addr",
 * "<addr>", "Name <addr>" or "\"Quoted, Name\" <addr>" (RFC 5322 §3.4
 * name-addr, with UTF-8 names as RFC 6532 allows), split into a display
 * name and a normalised address.
 *
 * Owns nothing: the caller's buffers are filled.  A name is kept as clean
 * one-line UTF-8 that a header writer can quote or encode: unbalanced
 * quotes, a line break or other control character (a header injection),
 * bytes that are not UTF-8, a stray '<' or '>' and a name over 200 bytes
 * are refused with a static text naming which.
 */
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "utf8.h"

#define BLANK(c)	((c) == ' ' || (c) == '\t')

/* Append s[0..n) of clean UTF-8 to out at *len; 0, or -1 with *error_r. */
static int
name_put(const char *s, size_t n, char out[ADDR_NAME_MAX], size_t *len,
    const char **error_r)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t')
			c = ' ';
		else if (c == '\r' || c == '\n') {
			*error_r = "line break in the display name";
			return -1;
		}
		if (c < 32 || c == 127) {
			*error_r = "control character in the display name";
			return -1;
		}
		if ((k = utf8_next((const unsigned char *)s + i, n - i,
		    NULL)) == 0) {
			*error_r = "the display name is not UTF-8";
			return -1;
		}
		if (*len + k >= ADDR_NAME_MAX) {
			*error_r = "display name longer than 200 bytes";
			return -1;
		}
		memcpy(out + *len, s + i, k);
		if (k == 1)
			out[*len] = (char)c;
		*len += k;
	}
	out[*len] = '\0';
	return 0;
}

/* The quoted string at s[0] == '"' inside s[0..n): its content appended
 * unescaped; the length taken, or 0 with *error_r. */
static size_t
name_quoted(const char *s, size_t n, char out[ADDR_NAME_MAX], size_t *len,
    const char **error_r)
{
	size_t i, k;

	for (i = 1; i < n && s[i] != '"'; i += k) {
		if (s[i] == '\\') {	/* quoted-pair: the next character */
			if (++i == n)
				break;
			k = utf8_next((const unsigned char *)s + i, n - i,
			    NULL);
			k = k == 0 ? 1 : k;	/* name_put says why */
		} else
			for (k = 1; i + k < n && s[i + k] != '"' &&
			    s[i + k] != '\\'; k++)
				;
		if (name_put(s + i, k, out, len, error_r) < 0)
			return 0;
	}
	if (i >= n) {
		*error_r = "unbalanced quotes in the display name";
		return 0;
	}
	return i + 1;
}

/* The display name in s[0..n), a phrase of atoms and quoted strings
 * (blanks collapsed, quotes removed); "" is fine. */
static int
display_name(const char *s, size_t n, char out[ADDR_NAME_MAX],
    const char **error_r)
{
	size_t i = 0, k, len = 0;
	int space = 0;

	*out = '\0';
	while (i < n) {
		if (BLANK(s[i])) {
			space = len > 0;
			i++;
			continue;
		}
		if (space && name_put(" ", 1, out, &len, error_r) < 0)
			return -1;
		space = 0;
		if (s[i] == '"') {
			if ((k = name_quoted(s + i, n - i, out, &len,
			    error_r)) == 0)
				return -1;
			i += k;
			continue;
		}
		if (s[i] == '<' || s[i] == '>') {
			*error_r = "'<' or '>' in the display name";
			return -1;
		}
		for (k = i; k < n && !BLANK(s[k]) && s[k] != '"' &&
		    s[k] != '<' && s[k] != '>'; k++)
			;
		if (name_put(s + i, k - i, out, &len, error_r) < 0)
			return -1;
		i = k;
	}
	return 0;
}

int
addr_name_literal(const char *s, size_t n, char out[ADDR_NAME_MAX],
    const char **error_r)
{
	size_t len = 0;

	*out = '\0';
	while (n > 0 && BLANK(*s)) {
		s++;
		n--;
	}
	while (n > 0 && BLANK(s[n - 1]))
		n--;
	return name_put(s, n, out, &len, error_r);
}

/* The offset of the first '<' outside quotes in s[0..n), n when there
 * is none, SIZE_MAX when a quote is left open. */
static size_t
angle_open(const char *s, size_t n)
{
	size_t i;
	int quoted = 0;

	for (i = 0; i < n; i++) {
		if (quoted && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '<')
			return i;
	}
	return quoted ? SIZE_MAX : n;
}

/* s[0..n) NUL-terminated into raw; 0, or -1 with *error_r. */
static int
raw_copy(const char *s, size_t n, char raw[ADDR_MAX], const char **error_r)
{
	if (n >= ADDR_MAX) {
		*error_r = "address too long";
		return -1;
	}
	memcpy(raw, s, n);
	raw[n] = '\0';
	return 0;
}

int
addr_mailbox_parse(const char *s, size_t n, char name[ADDR_NAME_MAX],
    char addr[ADDR_MAX], const char **error_r)
{
	char raw[ADDR_MAX];
	size_t lt, gt;

	*name = '\0';
	while (n > 0 && BLANK(*s)) {
		s++;
		n--;
	}
	while (n > 0 && BLANK(s[n - 1]))
		n--;
	if (memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL) {
		*error_r = "line break in the mailbox";
		return -1;
	}
	if ((lt = angle_open(s, n)) == SIZE_MAX) {
		*error_r = "unbalanced quotes";
		return -1;
	}
	if (lt == n)
		return raw_copy(s, n, raw, error_r) < 0 ? -1 :
		    addr_normalize(raw, addr, error_r);
	for (gt = lt + 1; gt < n && s[gt] != '>'; gt++)
		;
	if (gt == n) {
		*error_r = "'<' without a closing '>'";
		return -1;
	}
	if (gt + 1 != n) {
		*error_r = "text after the '>' that closes the address";
		return -1;
	}
	if (display_name(s, lt, name, error_r) < 0 ||
	    raw_copy(s + lt + 1, gt - lt - 1, raw, error_r) < 0)
		return -1;
	return addr_normalize(raw, addr, error_r);
}
