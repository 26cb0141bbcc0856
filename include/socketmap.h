/*
 * socketmap.h — the server side of Postfix's socketmap protocol
 * (socketmap_table(5)), so that the MTA can ask at RCPT time whether a
 * list address exists and refuse the others itself (no backscatter).
 *
 * A request is one netstring "LEN:NAME KEY,"; the reply is one netstring
 * "OK VALUE", "NOTFOUND ", "TEMP REASON" or "PERM REASON".  The only map
 * is SOCKETMAP_MAP; its keys are recipient addresses.
 */
#ifndef POSTINO_SOCKETMAP_H
#define POSTINO_SOCKETMAP_H

#include <stddef.h>

#include "buf.h"
#include "server.h"

#define SOCKETMAP_MAP		"recipients"
/* Longest request we read: "recipients " and an address, with room. */
#define SOCKETMAP_REQ_MAX	1024

/*
 * Find one netstring at in[0..len).  Returns 1 with the payload in
 * *req_r and *reqlen_r (pointing into in) and *used_r set to the bytes it
 * takes; 0 when more input is needed; -1 when the stream is malformed
 * (*why_r says why; the connection cannot be resynchronised).
 */
int	 socketmap_parse(const char *in, size_t len, size_t *used_r,
	    const char **req_r, size_t *reqlen_r, const char **why_r);

/*
 * Answer the request req[0..n) (any bytes) by appending one netstring
 * reply to out.  The rcpt hook decides (see server.h); logid prefixes
 * the log lines.
 */
void	 socketmap_answer(const char *req, size_t n, struct buf *out,
	    const struct server_hooks *, void *arg, const char *logid);

/* Append the netstring "LEN:TEXT," to out. */
void	 socketmap_reply(struct buf *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
