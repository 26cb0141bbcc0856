/*
 * router.h — recipient address -> (list, extension, token).
 *
 * "team@example.org" is the list; "team+EXT@example.org" one of its
 * command addresses when the table of cmdaddr.h reads EXT (lower-cased);
 * "team-request@example.org" and "team-owner@example.org" are reported
 * as extensions "request" and "owner".  Any other extension is no
 * address of ours, like an unknown list.  Matching is case-insensitive.
 */
#ifndef POSTINO_ROUTER_H
#define POSTINO_ROUTER_H

#include "cmdaddr.h"
#include "store.h"

/* 1 and r filled when addr belongs to a list, 0 when not, -1 on error. */
int	 router_rcpt(struct store *, const char *delim, const char *addr,
	    struct ingest_rcpt *r);

/* The same, and on 1 the command the extension names in ca (ca->row is
 * NULL for the list itself; ca->arg, the token, points into r->ext). */
int	 router_rcpt_cmd(struct store *, const char *delim, const char *addr,
	    struct ingest_rcpt *r, struct cmdaddr *ca);

#endif
