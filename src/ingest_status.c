/*
 * ingest_status.c — the one map from an ingest outcome to an LMTP/SMTP
 * reply (code, enhanced status, text) and a sysexits(3) code.
 *
 * session.c and proto.c write their replies from it, `postino deliver`
 * exits with it.  Owns only a constant table; cannot fail.
 */
#include <stddef.h>

#include "ingest_status.h"
#include "postino.h"

static const struct ingest_status map[] = {
	[INGEST_OK] = { 250, "2.0.0", "2.1.5", "Ok", EX_OK_ },
	[INGEST_NOUSER] = { 550, "5.1.1", "5.1.1", "no such recipient",
	    EX_NOUSER_ },
	[INGEST_TEMPFAIL] = { 451, "4.3.0", "4.3.0",
	    "Temporary failure, try again later", EX_TEMPFAIL_ },
	[INGEST_FULL] = { 452, "4.3.1", "4.3.1",
	    "Insufficient system storage", EX_TEMPFAIL_ },
	[INGEST_MALFORMED] = { 554, "5.6.0", "5.6.0", "Message rejected",
	    EX_DATAERR_ },
	[INGEST_BAD_DATA] = { 550, "5.6.0", "5.6.0", "Message refused",
	    EX_DATAERR_ },
	[INGEST_TOO_BIG] = { 552, "5.3.4", "5.3.4", "Message refused",
	    EX_DATAERR_ },
};

const struct ingest_status *
ingest_status(enum ingest_outcome o)
{
	if ((size_t)o >= sizeof(map) / sizeof(map[0]))
		o = INGEST_TEMPFAIL;	/* a broken caller must not bounce */
	return &map[o];
}
