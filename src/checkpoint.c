/*
 * checkpoint.c — the one-line text of a signed checkpoint: format it,
 * parse it back, and the PEM form of a list's public key.
 *
 * A checkpoint, as Certificate Transparency's signed tree head, commits
 * the log's owner to (list, count, head hash, time); members keep the
 * lines they received, and a log that no longer extends one of them has
 * lost or rewritten entries (modlog_checkpoint.c checks that).
 *
 * The parser is strict (one spelling per checkpoint: the signature is
 * checked over the text rebuilt from the fields, which must equal the
 * text received) and reads untrusted bytes from mail or a file: every
 * field is bounded, nothing is allocated.  Fails: -1 and a static
 * message naming the field.
 */
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checkpoint.h"
#include "token.h"

#define NFIELDS		7
#define TIME_LEN	20	/* YYYY-MM-DDTHH:MM:SSZ */
#define COUNT_DIGITS	18
#define SIG_B64		88

/* DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410). */
static const uint8_t spki_prefix[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
};

static void
time_text(time_t t, char out[TIME_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != TIME_LEN)
		strcpy(out, "1970-01-01T00:00:00Z");
}

void
checkpoint_signed_text(const struct checkpoint *cp, struct buf *out)
{
	char tm[TIME_LEN + 1];
	size_t i;

	time_text(cp->time, tm);
	buf_printf(out, "%s %s %s %lld ", CHECKPOINT_MAGIC, CHECKPOINT_VERSION,
	    cp->list, (long long)cp->count);
	for (i = 0; i < CHECKPOINT_HASH; i++)
		buf_printf(out, "%02x", cp->head[i]);
	buf_printf(out, " %s", tm);
}

void
checkpoint_format(const struct checkpoint *cp, struct buf *out)
{
	char sig[TOKEN_B64_LEN(CHECKPOINT_SIG)];

	checkpoint_signed_text(cp, out);
	token_base64(cp->sig, sizeof(cp->sig), sig, sizeof(sig));
	buf_printf(out, " %s", sig);
}

void
checkpoint_pem(const uint8_t pk[32], struct buf *out)
{
	uint8_t der[sizeof(spki_prefix) + 32];
	char b64[TOKEN_B64_LEN(sizeof(der))];

	memcpy(der, spki_prefix, sizeof(spki_prefix));
	memcpy(der + sizeof(spki_prefix), pk, 32);
	token_base64(der, sizeof(der), b64, sizeof(b64));
	buf_printf(out, "-----BEGIN PUBLIC KEY-----\n%s\n"
	    "-----END PUBLIC KEY-----\n", b64);
}

/* ---- parsing ------------------------------------------------------- */

struct field {
	const char	*p;
	size_t		 n;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split on single spaces into exactly NFIELDS non-empty fields. */
static int
split(const char *s, size_t len, struct field f[NFIELDS])
{
	size_t i, start = 0, k = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (i == start || k == NFIELDS)
			return -1;
		f[k].p = s + start;
		f[k++].n = i - start;
		start = i + 1;
	}
	return k == NFIELDS ? 0 : -1;
}

static int
field_is(const struct field *f, const char *want)
{
	return f->n == strlen(want) && memcmp(f->p, want, f->n) == 0;
}

static int
parse_list(const struct field *f, char out[CHECKPOINT_LIST_MAX + 1])
{
	size_t i, at = 0;

	if (f->n == 0 || f->n > CHECKPOINT_LIST_MAX)
		return -1;
	for (i = 0; i < f->n; i++) {
		if (f->p[i] <= ' ' || f->p[i] > '~' ||
		    (f->p[i] >= 'A' && f->p[i] <= 'Z'))
			return -1;
		if (f->p[i] == '@')
			at++;
	}
	if (at != 1 || f->p[0] == '@' || f->p[f->n - 1] == '@')
		return -1;
	memcpy(out, f->p, f->n);
	out[f->n] = '\0';
	return 0;
}

static int
parse_count(const struct field *f, int64_t *out)
{
	size_t i;
	int64_t v = 0;

	if (f->n == 0 || f->n > COUNT_DIGITS || (f->p[0] == '0' && f->n > 1))
		return -1;
	for (i = 0; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return -1;
		v = v * 10 + (f->p[i] - '0');
	}
	*out = v;
	return 0;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* upper case is not canonical */
}

static int
parse_hex(const struct field *f, uint8_t out[CHECKPOINT_HASH])
{
	size_t i;
	int hi, lo;

	if (f->n != 2 * CHECKPOINT_HASH)
		return -1;
	for (i = 0; i < CHECKPOINT_HASH; i++) {
		if ((hi = hex_value(f->p[2 * i])) < 0 ||
		    (lo = hex_value(f->p[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* n digits at p, or -1. */
static int
digits(const char *p, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Strict UTC time; formatting it back must give the same text, which
 * refuses 2026-02-30 and 25:00:00. */
static int
parse_time(const struct field *f, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char back[TIME_LEN + 1];
	struct tm tm;
	size_t i;

	if (f->n != TIME_LEN)
		return -1;
	for (i = 0; i < TIME_LEN; i++)
		if (shape[i] == 'd' ? f->p[i] < '0' || f->p[i] > '9' :
		    f->p[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(f->p, 4) - 1900;
	tm.tm_mon = digits(f->p + 5, 2) - 1;
	tm.tm_mday = digits(f->p + 8, 2);
	tm.tm_hour = digits(f->p + 11, 2);
	tm.tm_min = digits(f->p + 14, 2);
	tm.tm_sec = digits(f->p + 17, 2);
	if (tm.tm_year < 70 || (*out = timegm(&tm)) == (time_t)-1)
		return -1;
	time_text(*out, back);
	return memcmp(back, f->p, TIME_LEN) == 0 ? 0 : -1;
}

static int
parse_sig(const struct field *f, uint8_t out[CHECKPOINT_SIG])
{
	char back[TOKEN_B64_LEN(CHECKPOINT_SIG)];

	if (f->n != SIG_B64 ||
	    token_unbase64(f->p, f->n, out, CHECKPOINT_SIG) != CHECKPOINT_SIG)
		return -1;
	token_base64(out, CHECKPOINT_SIG, back, sizeof(back));
	return memcmp(back, f->p, SIG_B64) == 0 ? 0 : -1;
}

int
checkpoint_parse(const char *s, size_t len, struct checkpoint *cp,
    const char **error_r)
{
	struct field f[NFIELDS];

	memset(cp, 0, sizeof(*cp));
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (memchr(s, '\n', len) != NULL || memchr(s, '\0', len) != NULL)
		*error_r = "not one line";
	else if (split(s, len, f) < 0)
		*error_r = "not 7 fields separated by single spaces";
	else if (!field_is(&f[0], CHECKPOINT_MAGIC))
		*error_r = "does not start with " CHECKPOINT_MAGIC;
	else if (!field_is(&f[1], CHECKPOINT_VERSION))
		*error_r = "unknown version (this postino reads v1)";
	else if (parse_list(&f[2], cp->list) < 0)
		*error_r = "bad list address";
	else if (parse_count(&f[3], &cp->count) < 0)
		*error_r = "bad count";
	else if (parse_hex(&f[4], cp->head) < 0)
		*error_r = "bad head hash (64 lower-case hex digits)";
	else if (parse_time(&f[5], &cp->time) < 0)
		*error_r = "bad time (YYYY-MM-DDTHH:MM:SSZ)";
	else if (parse_sig(&f[6], cp->sig) < 0)
		*error_r = "bad signature (88 base64 characters)";
	else
		return 0;
	memset(cp, 0, sizeof(*cp));
	return -1;
}
