/*
 * router.h — recipient address -> (list, extension).
 *
 * "team@example.org" is the list; "team+EXT@example.org" one of its
 * extensions (lower-cased); "team-request@example.org" the command
 * address, reported as extension "request", and "team-owner@example.org"
 * as extension "owner".  Matching is
 * case-insensitive.
 */
#ifndef POSTINO_ROUTER_H
#define POSTINO_ROUTER_H

#include "store.h"

/* 1 and r filled when addr belongs to a list, 0 when not, -1 on error. */
int	 router_rcpt(struct store *, const char *delim, const char *addr,
	    struct ingest_rcpt *r);

#endif
