/*
 * fuzz_dsn.c — libFuzzer target: msg_parse then msg_dsn_parse (the
 * RFC 3464 report of a bounce, from anyone on the internet) on arbitrary
 * bytes.  Every recipient read must be within bounds, its fields
 * terminated inside their buffers, and a report without one says 0.
 *
 *   make fuzz   (or see the Makefile's fuzz rule for the command line)
 *   ./build/fuzz/fuzz_dsn -max_len=65536 CORPUS tests/data
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "msg_dsn.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct msg_dsn_rcpt v[MSG_DSN_MAX];
	struct msg *m = NULL;
	const char *err;
	size_t n = 99, i;
	int found;

	if (msg_parse((const char *)data, len, &m, &err) < 0)
		return 0;
	found = msg_dsn_parse(m, v, MSG_DSN_MAX, &n);
	if (n > MSG_DSN_MAX || (found == 0 && n != 0) ||
	    (found != 0 && found != 1))
		abort();
	for (i = 0; i < n; i++) {
		if (memchr(v[i].final, '\0', sizeof(v[i].final)) == NULL ||
		    memchr(v[i].original, '\0', sizeof(v[i].original)) == NULL ||
		    memchr(v[i].action, '\0', sizeof(v[i].action)) == NULL ||
		    memchr(v[i].status, '\0', sizeof(v[i].status)) == NULL ||
		    memchr(v[i].diag, '\0', sizeof(v[i].diag)) == NULL)
			abort();
		/* A recipient block always has both (msg_dsn.c). */
		if (v[i].final[0] == '\0' || v[i].action[0] == '\0' ||
		    strpbrk(v[i].diag, "\r\n") != NULL)
			abort();
	}
	msg_free(&m);
	return 0;
}
