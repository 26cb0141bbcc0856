/*
 * msg_dsn.h — the delivery-status report (RFC 3464) inside a bounce:
 * the per-recipient fields of its message/delivery-status part
 * (message/global-delivery-status too, RFC 6533).
 *
 * Each field is cut to its buffer; an address is the bare addr-spec of
 * an "rfc822;" (or "utf-8;") typed value, normalised as addr.h does
 * (domain lower-cased; member look-ups compare by addr_key).
 * Nothing is allocated that outlives the call.
 */
#ifndef POSTINO_MSG_DSN_H
#define POSTINO_MSG_DSN_H

#include <stddef.h>

#include "postino.h"

struct msg;

#define MSG_DSN_MAX	32	/* recipients read from one report */

struct msg_dsn_rcpt {
	char	final[ADDR_MAX];	/* Final-Recipient */
	char	original[ADDR_MAX];	/* Original-Recipient, "" if none */
	char	action[16];		/* failed, delayed, ... lower case */
	char	status[16];		/* "5.1.1", "" if missing */
	char	diag[256];		/* Diagnostic-Code after "smtp;" */
};

/*
 * Find the report in m and read up to max recipient blocks into v
 * (*n_r of them; blocks without Action or a recipient are skipped).
 * 1 when m has a delivery-status part, 0 when it has none.
 */
int	 msg_dsn_parse(const struct msg *m, struct msg_dsn_rcpt *v,
	    size_t max, size_t *n_r);

#endif
