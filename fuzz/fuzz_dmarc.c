/*
 * fuzz_dmarc.c — libFuzzer target for what dmarc.c reads from the
 * network: the text of a TXT record (dmarc_parse) and a whole DNS answer
 * (dmarc_answer_ttl).
 *
 * The input goes, in a heap buffer of exactly its size, to both.
 * Invariants checked besides the sanitizers: an accepted record has a
 * policy among none, quarantine and reject (p and sp) and starts, past
 * blanks, with "v"; a refused one says why; the TTL is -1 or within
 * 0..2^31-1.
 *
 * Build: make fuzz (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
policy_ok(enum dmarc_policy p)
{
	return p == DMARC_NONE || p == DMARC_QUARANTINE || p == DMARC_REJECT;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;
	const char *why = NULL;
	char *copy = malloc(size > 0 ? size : 1);
	size_t i = 0;
	long ttl;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (dmarc_parse(copy, size, &r, &why) == 0) {
		if (!policy_ok(r.p) || !policy_ok(r.sp))
			abort();
		while (i < size && (copy[i] == ' ' || copy[i] == '\t'))
			i++;
		if (i == size || copy[i] != 'v')
			abort();
	} else if (why == NULL)
		abort();
	ttl = dmarc_answer_ttl((const unsigned char *)copy, size);
	if (ttl < -1 || ttl > 0x7fffffffL)
		abort();
	free(copy);
	return 0;
}
