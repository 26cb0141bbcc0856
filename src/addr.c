/*
 * addr.c — SMTP paths and mailbox addresses.
 *
 * We accept the RFC 5321 Mailbox syntax: a dot-atom or quoted-string local
 * part, '@', and a domain name or address literal.  Nothing that could end
 * a command or a header (CR, LF, NUL, '<', '>') ever passes, and the RFC
 * 5321 length limits are enforced before anything is copied.
 * Internationalised domain names typed by people or found in headers
 * (user@bücher.example) are turned into their A-label form
 * (user@xn--bcher-kva.example, IDNA2008 via libidn2, the only user of it)
 * so that both spellings are one member.  In SMTP paths, and in local
 * parts anywhere, non-ASCII needs SMTPUTF8, which we do not offer yet:
 * such addresses are refused with a clear reason.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "addr.h"

static int
atext(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Check local part s[0..n): dot-atom or quoted-string. */
static int
local_check(const char *s, size_t n, const char **error_r)
{
	size_t i;

	if (n == 0) {
		*error_r = "empty local part";
		return -1;
	}
	if (n > ADDR_LOCAL_MAX) {
		*error_r = "local part too long";
		return -1;
	}
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"') {
			*error_r = "unterminated quoted local part";
			return -1;
		}
		if (n == 2) {
			*error_r = "empty local part";
			return -1;
		}
		for (i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\' && i + 1 < n - 1) {
				i++;
				c = (unsigned char)s[i];
			}
			if (c < 32 || c == 127 || c >= 128) {
				*error_r = "bad character in local part";
				return -1;
			}
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 128) {
			*error_r = "non-ASCII address needs SMTPUTF8";
			return -1;
		}
		if (c == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.') {
				*error_r = "misplaced dot in local part";
				return -1;
			}
			continue;
		}
		if (!atext(c)) {
			*error_r = "bad character in local part";
			return -1;
		}
	}
	return 0;
}

/* Check domain s[0..n) (trailing dot already removed). */
static int
domain_check(const char *s, size_t n, const char **error_r)
{
	size_t i, label = 0;

	if (n == 0) {
		*error_r = "empty domain";
		return -1;
	}
	if (n > ADDR_DOMAIN_MAX) {
		*error_r = "domain too long";
		return -1;
	}
	if (s[0] == '[') {
		if (s[n - 1] != ']' || n < 3) {
			*error_r = "bad address literal";
			return -1;
		}
		for (i = 1; i < n - 1; i++)
			if (!isalnum((unsigned char)s[i]) &&
			    strchr(".:-", s[i]) == NULL) {
				*error_r = "bad address literal";
				return -1;
			}
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 128) {
			*error_r = "non-ASCII domain needs SMTPUTF8";
			return -1;
		}
		if (c == '.') {
			if (label == 0) {
				*error_r = "empty label in domain";
				return -1;
			}
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-') {
			*error_r = "bad character in domain";
			return -1;
		}
		if (++label > 63) {
			*error_r = "domain label too long";
			return -1;
		}
	}
	if (label == 0) {
		*error_r = "empty label in domain";
		return -1;
	}
	return 0;
}

/* 1 when s[0..n) holds a byte outside ASCII. */
static int
has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 128)
			return 1;
	return 0;
}

/*
 * The A-label form of a UTF-8 domain, malloc'd (free with free()), or
 * NULL with *error_r when it is no valid IDN.
 */
static char *
idn_to_ascii(const char *d, size_t n, const char **error_r)
{
	char *in, *out = NULL;
	int rc;

	if (n > ADDR_DOMAIN_MAX) {
		*error_r = "domain too long";
		return NULL;
	}
	in = malloc(n + 1);
	if (in == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	memcpy(in, d, n);
	in[n] = '\0';
	rc = idn2_to_ascii_8z(in, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(in);
	if (rc != IDN2_OK) {
		*error_r = "bad internationalised domain name";
		return NULL;
	}
	return out;
}

static int
mailbox_check_ascii(const char *s, size_t n, char out[ADDR_MAX],
    const char **error_r);

/* Validate s[0..n) as local@domain and write the normal form into out;
 * with idn, a UTF-8 domain is accepted in its A-label form. */
static int
mailbox_check(const char *s, size_t n, char out[ADDR_MAX], int idn,
    const char **error_r)
{
	const char *at = memchr(s, '@', n), *p;
	char buf[2 * ADDR_MAX], *ace;
	size_t llen;
	int rc;

	for (p = s; p != NULL && p < s + n; p = memchr(p + 1, '@',
	    (size_t)(s + n - p - 1)))
		at = p;		/* the last '@' */
	if (!idn || at == NULL || !has_8bit(at + 1, (size_t)(s + n - at - 1)))
		return mailbox_check_ascii(s, n, out, error_r);
	llen = (size_t)(at - s);
	if ((ace = idn_to_ascii(at + 1, (size_t)(s + n - at - 1),
	    error_r)) == NULL)
		return -1;
	if (llen + 1 + strlen(ace) >= sizeof(buf)) {
		free(ace);
		*error_r = "address too long";
		return -1;
	}
	memcpy(buf, s, llen + 1);
	strcpy(buf + llen + 1, ace);
	free(ace);
	rc = mailbox_check_ascii(buf, strlen(buf), out, error_r);
	return rc;
}

static int
mailbox_check_ascii(const char *s, size_t n, char out[ADDR_MAX],
    const char **error_r)
{
	const char *at = NULL;
	size_t i, llen, dlen;
	int quoted = 0;

	if (n >= ADDR_MAX) {
		*error_r = "address too long";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
			quoted = !quoted;
		else if (s[i] == '@' && !quoted)
			at = s + i;
		else if ((unsigned char)s[i] < 32 || s[i] == 127) {
			*error_r = "control character in address";
			return -1;
		}
	}
	if (at == NULL) {
		*error_r = "address has no domain";
		return -1;
	}
	llen = (size_t)(at - s);
	dlen = n - llen - 1;
	if (dlen > 1 && at[dlen] == '.')	/* "example.com." */
		dlen--;
	if (local_check(s, llen, error_r) < 0 ||
	    domain_check(at + 1, dlen, error_r) < 0)
		return -1;
	memcpy(out, s, llen + 1);
	for (i = 0; i < dlen; i++)
		out[llen + 1 + i] = (char)tolower((unsigned char)at[1 + i]);
	out[llen + 1 + dlen] = '\0';
	return 0;
}

int
addr_parse_path(const char *arg, int allow_null, char out[ADDR_MAX],
    const char **params_r, const char **error_r)
{
	const char *p = arg, *end;
	int quoted = 0;

	while (*p == ' ')
		p++;
	if (*p != '<') {
		*error_r = "path must be enclosed in <>";
		return -1;
	}
	p++;
	/* Find the closing '>' outside quotes. */
	for (end = p; *end != '\0'; end++) {
		if (*end == '\\' && quoted && end[1] != '\0') {
			end++;
			continue;
		}
		if (*end == '"')
			quoted = !quoted;
		else if (*end == '>' && !quoted)
			break;
		if ((size_t)(end - p) > 2 * ADDR_MAX) {
			*error_r = "path too long";
			return -1;
		}
	}
	if (*end != '>') {
		*error_r = "missing '>'";
		return -1;
	}
	/* Source route "@a,@b:" is obsolete; drop it (RFC 5321 §4.1.2). */
	if (*p == '@') {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		if (colon == NULL) {
			*error_r = "bad source route";
			return -1;
		}
		p = colon + 1;
	}
	if (p == end) {
		if (!allow_null) {
			*error_r = "null path not allowed here";
			return -1;
		}
		out[0] = '\0';
	} else if (mailbox_check(p, (size_t)(end - p), out, 0, error_r) < 0)
		return -1;
	end++;
	if (*end != '\0' && *end != ' ') {
		*error_r = "garbage after path";
		return -1;
	}
	while (*end == ' ')
		end++;
	*params_r = end;
	return 0;
}

int
addr_normalize(const char *in, char out[ADDR_MAX], const char **error_r)
{
	size_t n;

	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n >= 2 && in[0] == '<' && in[n - 1] == '>') {
		in++;
		n -= 2;
	}
	return mailbox_check(in, n, out, 1, error_r);
}

void
addr_key(const char *addr, char out[ADDR_MAX])
{
	size_t i;

	for (i = 0; i < ADDR_MAX - 1 && addr[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)addr[i]);
	out[i] = '\0';
}

const char *
addr_domain(const char *addr, size_t *local_len)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL) {
		*local_len = strlen(addr);
		return addr + *local_len;
	}
	*local_len = (size_t)(at - addr);
	return at + 1;
}
