/*
 * fuzz_stub.h — shared by the session fuzz targets: the stub rcpt hook
 * (addresses starting with 'n' are unknown, with 't' a temporary
 * failure, anything else belongs to list 1) and a quiet log.
 */
#ifndef FUZZ_STUB_H
#define FUZZ_STUB_H

#include "ingest_status.h"
#include "log.h"
#include "store.h"

/* Once per process: log only what is worse than a warning. */
static void
fuzz_log_quiet(void)
{
	static int init;

	if (!init) {
		log_init("fuzz", LOG_L_WARN + 1);
		init = 1;
	}
}

static enum ingest_outcome
fuzz_rcpt(void *arg, const char *addr, struct ingest_rcpt *r)
{
	(void)arg;
	if (addr[0] == 'n')
		return INGEST_NOUSER;
	if (addr[0] == 't')
		return INGEST_TEMPFAIL;
	r->list_id = 1;
	return INGEST_OK;
}

#endif
