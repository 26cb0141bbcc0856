/*
 * fuzz_mailbox.c — libFuzzer target: addr_mailbox_parse (what `member
 * add` and `member import` read) and addr_name_literal (what a joiner's
 * From: display name goes through) on arbitrary bytes.  Oracles beyond
 * "no crash": an accepted name is at most 200 bytes of valid UTF-8 with
 * no control character and no NUL, so it can never break a header; an
 * accepted address is not empty, has no CR, LF or NUL and fits ADDR_MAX;
 * a refusal always says why.
 *
 * Build: `make build/fuzz/fuzz_mailbox`; `make fuzz FUZZTIME=S` runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
name_check(const char *name)
{
	size_t i, k, n = strlen(name);

	if (n >= ADDR_NAME_MAX)
		abort();
	for (i = 0; i < n; i += k) {
		if ((unsigned char)name[i] < 32 || name[i] == 127)
			abort();
		if ((k = utf8_next((const unsigned char *)name + i, n - i,
		    NULL)) == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[ADDR_NAME_MAX], addr[ADDR_MAX];
	const char *error = NULL;

	if (addr_mailbox_parse((const char *)data, size, name, addr,
	    &error) == 0) {
		name_check(name);
		if (strlen(addr) == 0 || strlen(addr) >= ADDR_MAX ||
		    strpbrk(addr, "\r\n") != NULL)
			abort();
	} else if (error == NULL)
		abort();
	error = NULL;
	if (addr_name_literal((const char *)data, size, name, &error) == 0)
		name_check(name);
	else if (error == NULL)
		abort();
	return 0;
}
