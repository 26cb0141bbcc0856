/*
 * fuzz_checkpoint.c — libFuzzer target for checkpoint_parse, which reads
 * checkpoint lines from mail, files and the command line
 * (`postino log verify --checkpoint`).
 *
 * Invariants checked besides the sanitizers: an accepted line formats
 * back to exactly the input without its surrounding white space (one
 * spelling per checkpoint, so the signed text is what was received); a
 * refused line leaves the struct zeroed and names a reason.
 *
 * Build: `make build/fuzz/fuzz_checkpoint`; `make fuzz FUZZTIME=S` builds
 * and runs every target.  Seeds: fuzz/checkpoint-seeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct checkpoint zero;
	const char *in = (const char *)data, *error = NULL;
	struct buf out = BUF_INIT;
	struct checkpoint cp;
	size_t len = size;

	if (checkpoint_parse(in, size, &cp, &error) < 0) {
		if (error == NULL || memcmp(&cp, &zero, sizeof(cp)) != 0)
			abort();
		return 0;
	}
	while (len > 0 && is_space(*in)) {
		in++;
		len--;
	}
	while (len > 0 && is_space(in[len - 1]))
		len--;
	checkpoint_format(&cp, &out);
	if (out.len != len || memcmp(out.data, in, len) != 0)
		abort();
	buf_free(&out);
	return 0;
}
