/*
 * fuzz_token.c — libFuzzer target for what token.c reads from mail:
 * base32 text, tokens (token_hash) and MACs (token_mac_verify).
 *
 * The whole input goes to base32_decode, into a heap buffer of exactly
 * the size it needs (and once into one byte less, which must be refused),
 * and to token_hash.  Then the first TOKEN_MAC_LEN bytes are tried as a
 * MAC over the rest cut at NUL bytes into fields.
 * Invariants checked besides the sanitizers: a decoded string encodes
 * back to the input up to case (one spelling per byte string); token_hash
 * accepts only TOKEN_LEN characters and ignores case; a MAC made over the
 * fields verifies, in either case, and the candidate verifies only when it
 * is that MAC up to case.
 *
 * The master key is created once in a private temporary directory.
 *
 * Build: `make build/fuzz/fuzz_token` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXFIELDS	8

static void
fuzz_init(void)
{
	static int done;
	char dir[] = "/tmp/postino-fuzz-token-XXXXXX", path[64], *error;

	if (done)
		return;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/key", dir);
	if (token_init(path, &error) < 0) {
		fprintf(stderr, "fuzz_token: %s\n", error);
		abort();
	}
	/* The key is in memory now: leave nothing behind in /tmp. */
	if (unlink(path) < 0 || rmdir(dir) < 0)
		abort();
	done = 1;
}

/* Decode into exact-size heap buffers; check the round trip. */
static void
fuzz_base32(const char *in, size_t len)
{
	size_t need = len / 8 * 5 + len % 8 * 5 / 8;
	uint8_t *out = malloc(need + 1), *small = malloc(need + 1);
	char *enc;
	int n;

	if (out == NULL || small == NULL)
		abort();
	n = base32_decode(in, len, out, need);
	if (n >= 0) {
		if ((size_t)n != need ||
		    (need > 0 && base32_decode(in, len, small, need - 1) != -1))
			abort();
		if ((enc = malloc(BASE32_LEN((size_t)n) + 1)) == NULL)
			abort();
		base32_encode(out, (size_t)n, enc);
		if (strlen(enc) != len || strncasecmp(enc, in, len) != 0)
			abort();
		free(enc);
	}
	free(small);
	free(out);
}

static void
fuzz_hash(const char *in, size_t len)
{
	uint8_t h1[TOKEN_HASH], h2[TOKEN_HASH];
	char low[TOKEN_LEN];
	size_t i;

	if (token_hash(in, len, h1) < 0)
		return;
	if (len != TOKEN_LEN)
		abort();
	for (i = 0; i < len; i++)
		low[i] = (char)(in[i] | 0x20);	/* letters, digits only */
	if (token_hash(low, len, h2) < 0 || memcmp(h1, h2, TOKEN_HASH) != 0)
		abort();
}

static void
fuzz_mac(const char *in, size_t len)
{
	const char *fields[MAXFIELDS];
	char mac[TOKEN_MAC_LEN + 1], *rest, *p;
	size_t cand = len < TOKEN_MAC_LEN ? len : TOKEN_MAC_LEN, n = 0, i;
	int ok;

	if ((rest = malloc(len - cand + 1)) == NULL)
		abort();
	memcpy(rest, in + cand, len - cand);
	rest[len - cand] = '\0';
	for (p = rest; n < MAXFIELDS && p <= rest + (len - cand);
	    p += strlen(p) + 1)
		fields[n++] = p;
	token_mac("link", fields, n, mac);
	if (token_mac_verify("link", fields, n, mac, TOKEN_MAC_LEN) != 0)
		abort();
	for (i = 0; i < TOKEN_MAC_LEN; i++)
		mac[i] = (char)(mac[i] >= 'a' ? mac[i] - 32 : mac[i]);
	if (token_mac_verify("link", fields, n, mac, TOKEN_MAC_LEN) != 0)
		abort();
	ok = token_mac_verify("link", fields, n, in, cand) == 0;
	if (ok != (cand == TOKEN_MAC_LEN && memchr(in, '\0', cand) == NULL &&
	    strncasecmp(in, mac, TOKEN_MAC_LEN) == 0))
		abort();
	free(rest);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	fuzz_init();
	fuzz_base32(in, size);
	fuzz_hash(in, size);
	fuzz_mac(in, size);
	return 0;
}
