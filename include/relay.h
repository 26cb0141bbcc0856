/*
 * relay.h — the only outbound mail client: SMTP or LMTP to the site's
 * relay (pipelined, RFC 2920), or a Maildir per recipient for development.
 *
 * Connections are blocking with a timeout on every read and write; each
 * delivery thread owns its connection.  One call sends several
 * transactions; with PIPELINING, MAIL, every RCPT and DATA go out in one
 * write, and the end of one message is sent together with the commands of
 * the next, so a batch costs two round trips, not one per command.
 */
#ifndef POSTINO_RELAY_H
#define POSTINO_RELAY_H

#include <stddef.h>

#include "relay_target.h"
#include "store.h"

struct relay_conn;

/*
 * Connect, read the greeting, send EHLO (LHLO for LMTP) as helo_name.
 * Returns 0, or -1 with a text in err (the failure is temporary: the
 * caller defers the batch and backs off).
 */
int	 relay_connect(const struct relay_target *, const char *helo_name,
	    int timeout, struct relay_conn **c_r, char *err, size_t errlen);
void	 relay_close(struct relay_conn **);	/* QUIT when possible */

/* One transaction: one sender, several recipients, one message. */
struct relay_txn {
	const char		*from;		/* "" = null sender */
	struct store_rcpt	*rcpts;
	size_t			 nrcpts;
	const char		*body;		/* CRLF, not dot-stuffed */
	size_t			 len;
	int			 orcpt;		/* ORCPT= when the relay has DSN */
	int			 body8;		/* 0: look at the body for
						 * BODY=8BITMIME; 1: 8-bit;
						 * -1: 7-bit (known) */
	/*
	 * A body made when it is needed: with body NULL, relay_send calls
	 * fill(t, fill_arg), which sets body, while the relay is still on
	 * the transaction before (len and body8 must be right already).
	 */
	void			(*fill)(struct relay_txn *, void *);
	void			*fill_arg;
};

/* Make t's body now if it is still to be made (fill). */
void	 relay_txn_fill(struct relay_txn *t);

/* Whether body[0..len) has a byte above 0x7f (relay_txn's body8). */
int	 relay_body_8bit(const char *body, size_t len);

/* Set a recipient's outcome, code and text (the text is cut to fit). */
void	 relay_rcpt_set(struct store_rcpt *, enum outcome, int code,
	    const char *text);

/*
 * Send the transactions in order and set every recipient's outcome, code
 * and text (RCPT 2xx then final 2xx: OK; 4xx anywhere: TEMP; 5xx: PERM;
 * for LMTP the per-recipient reply after the dot decides).  A recipient
 * rejected at RCPT does not stop the others.  Returns 0 when the
 * connection is still usable, -1 when it broke (recipients without a final
 * reply are TEMP; the caller must relay_close and reconnect).
 */
int	 relay_send(struct relay_conn *, struct relay_txn *txns, size_t n);
/*
 * After relay_send returned -1: did the relay close a session it had
 * already served (an idle timeout: no reply at all, or only a 421) before
 * answering anything of this send?  Then it accepted nothing, and the
 * same transactions may go out at once on a new connection without any
 * copy being sent twice.  1 yes, 0 no.
 */
int	 relay_send_unanswered(const struct relay_conn *);

#endif
