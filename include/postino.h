/*
 * postino.h — constants and small types shared by every module.
 */
#ifndef POSTINO_H
#define POSTINO_H

#include <stdint.h>
#include <time.h>

#define POSTINO_VERSION		"0.1.0"

/* RFC 5321 §4.5.3.1: local-part 64, domain 255, path 256 octets. */
#define ADDR_LOCAL_MAX		64
#define ADDR_DOMAIN_MAX		255
#define ADDR_MAX		256	/* including the NUL, excluding <> */

/*
 * The outcome of handing a message (or one recipient of it) to a peer.
 * Decided once, in the protocol layer that read the reply; everything else
 * only looks at this value (temporary = retry later, permanent = bounce).
 */
enum outcome {
	OUT_OK = 0,
	OUT_TEMP,
	OUT_PERM,
};

/* sysexits(3) values used by pipe mode and CLI commands. */
#define EX_OK_		0
#define EX_USAGE_	64
#define EX_DATAERR_	65
#define EX_NOINPUT_	66
#define EX_NOUSER_	67
#define EX_SOFTWARE_	70
#define EX_OSERR_	71
#define EX_CANTCREAT_	73
#define EX_TEMPFAIL_	75
#define EX_NOPERM_	77
#define EX_CONFIG_	78

#endif
