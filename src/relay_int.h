/*
 * relay_int.h — what the relay_*.c files share, and nobody else sees.
 *
 * relay.c: targets, connection, socket I/O with timeouts, reply parsing.
 * relay_txn.c: transactions (pipelined or not) and per-recipient outcomes.
 * relay_maildir.c: the development transport, one Maildir per recipient.
 */
#ifndef POSTINO_RELAY_INT_H
#define POSTINO_RELAY_INT_H

#include <stddef.h>

#include "buf.h"
#include "relay.h"

#define RELAY_REPLY_LINE_MAX	512	/* RFC 5321 §4.5.3.1.5, with CRLF */

/* Why a session broke: decides which recipients keep their replies. */
enum relay_fault {
	RF_NONE,
	RF_LOST,	/* closed, reset, timeout: "as if 451" (§3.8) */
	RF_421,		/* the relay is closing: err holds its reply */
	RF_PROTO,	/* a reply that cannot be trusted: err says why */
};

struct relay_conn {
	enum relay_kind	 kind;
	int		 fd;
	int		 timeout_ms;
	int		 pipelining;
	int		 eightbit;
	int		 dsn;		/* DSN announced (RFC 3461) */
	size_t		 size_max;	/* 0: not announced or unlimited */
	char		*dir;		/* maildir root */
	struct buf	 w;		/* commands and bodies to write */
	struct buf	 r;		/* replies read */
	size_t		 roff;		/* first unread byte of r */
	enum relay_fault fault;
	char		 err[256];	/* why the session broke */
	unsigned long	 answers;	/* replies read, but 421s */
	unsigned long	 answers_at_send; /* answers when relay_send began */
	unsigned long	 sends;		/* relay_send calls on this session */
};

struct relay_reply {
	int	 code;
	char	 text[256];	/* the reply's lines, joined by spaces */
};

typedef void (*relay_line_fn)(struct relay_conn *, const char *text);

/* Record why the session broke (the first reason wins).  Returns -1. */
int	 relay_fail(struct relay_conn *, enum relay_fault, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Write all of c->w (and reset it), reading replies meanwhile. */
int	 relay_io_flush(struct relay_conn *);
/* Read one reply, multi-line included; fn sees the text of each line. */
int	 relay_reply_read(struct relay_conn *, struct relay_reply *,
	    relay_line_fn fn);
/* A reply whose code cannot answer cmd: a protocol fault.  Returns -1. */
int	 relay_reply_unexpected(struct relay_conn *, const char *cmd,
	    const struct relay_reply *);
/* All expected replies are read; anything left is an extra reply. */
int	 relay_reply_none_pending(struct relay_conn *);

/*
 * May addr go into a command line or a header as <addr>?  No CR, LF or
 * other control character, no '<' or '>', shorter than ADDR_MAX; "" only
 * when allow_null.  1 yes, 0 no.
 */
int	 relay_addr_ok(const char *addr, int allow_null);

/* Check (or create, with its parents) the maildir root.  0, or -1 with
 * a text in err. */
int	 relay_maildir_open(const char *dir, char *err, size_t errlen);

/* Deliver every recipient of every transaction into dir/<addr>/new/.
 * Each recipient ends OUT_OK, OUT_TEMP (I/O error) or OUT_PERM (an
 * address that cannot safely be a directory name). */
void	 relay_maildir_send(const char *dir, struct relay_txn *txns,
	    size_t n);

#endif
