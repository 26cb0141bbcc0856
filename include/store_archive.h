/*
 * store_archive.h — the store's part of a list's archive (archive.h):
 * the accepted posts in the order they arrived, with their messages.
 *
 * Nothing is written.  Errors: -1 after logging the SQLite error
 * (store_fail()).
 */
#ifndef POSTINO_STORE_ARCHIVE_H
#define POSTINO_STORE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

/*
 * Each accepted post of a list received at or after since (0: all),
 * oldest first (created, then id), with its raw message (CRLF, as
 * received; not NUL-terminated).  The post and the message are borrowed
 * for the call.  Stops when fn returns non-zero.  0, or -1 on error.
 */
int	 store_archive_each(struct store *, int64_t list_id, time_t since,
	    int (*fn)(const struct store_post *, const char *msg, size_t len,
	    void *), void *arg);

#endif
