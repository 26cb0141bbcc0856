/*
 * sub_bounce.c — LIST+reenable-TOKEN@: a member disabled for bounces
 * replied to a warning (bounce_tick.c), so his mail works again: he is
 * enabled, his score forgotten, and told so.
 *
 * The token (purpose bounce_reenable, single use) names the member; the
 * answer goes to him, whoever wrote.  Fails: -1 on a store error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "listctx.h"
#include "log.h"
#include "subscription_int.h"

int
sub_reenable(struct sctx *sc, const char *tok)
{
	struct store_token t;
	int64_t id;
	int rc;

	if ((rc = sub_token_take(sc, tok, &t)) != 1)
		goto out;
	if (strcmp(t.purpose, BOUNCE_REENABLE) != 0) {
		rc = sub_token_failed(sc, TOKEN_UNKNOWN, tok);
		goto out;
	}
	id = strtoll(t.data, NULL, 10);
	if ((rc = store_bounce_reset(sc->st, id)) < 0)
		goto out;
	snprintf(sc->who, sizeof(sc->who), "%s", t.addr);
	log_info("list %s: <%s> re-enabled by reply: bounce score reset",
	    sc->list->addr, t.addr);
	buf_printf(sc->note, "; <%s> re-enabled", t.addr);
	rc = sub_result(sc, "r_reenabled", "member_addr", t.addr);
out:
	store_token_clear(&t);
	return rc;
}
