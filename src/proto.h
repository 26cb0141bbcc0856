/*
 * proto.h — the LMTP/SMTP session core shared by server.c, the unit
 * tests and the fuzz target (private to src/).
 *
 * A session is a pure state machine: bytes go in with proto_input(),
 * proto_run() turns complete command lines and DATA into replies that
 * collect in an output buffer, and the caller moves the bytes to and from
 * a socket.  Nothing here touches a file descriptor or the clock, so every
 * framing case can be driven from a table without sockets.
 *
 * proto.c holds the object, the line and DATA readers, replies and the
 * group commit; session.c holds the verb table and the verbs.
 *
 * Ownership: a session owns its buffers and its transaction (sender,
 * recipients, body); proto_free() releases all of it.  The hooks and their
 * argument are borrowed and must outlive the session.
 */
#ifndef POSTINO_PROTO_H
#define POSTINO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "server.h"
#include "store.h"

/* RFC 5321 §4.5.3.1.4-.6: command line 512, text line 1000 (with CRLF). */
#define PROTO_CMD_MAX		512
#define PROTO_TEXT_MAX		1000
/* Stop producing replies past this much unsent output (backpressure). */
#define PROTO_OUT_MAX		16384
#define PROTO_HOST_MAX		256

/* "<start time, 8 hex digits><pid in hex>": unique to one daemon run. */
#define PROTO_QID_MAX		24

struct proto_conf {
	char	 hostname[PROTO_HOST_MAX];
	char	 qid_prefix[PROTO_QID_MAX];	/* queue ids: PREFIX.SESSION.N */
	size_t	 max_message_size;
	int	 max_recipients;
};

enum proto_status {
	PROTO_WANT_INPUT,	/* every complete line is answered */
	PROTO_WANT_OUTPUT,	/* output over PROTO_OUT_MAX: flush first */
	PROTO_WANT_COMMIT,	/* a message waits for proto_commit_group() */
	PROTO_CLOSE,		/* flush the output, then close */
};

enum proto_state {
	PROTO_S_GREET,		/* no LHLO/EHLO/HELO yet */
	PROTO_S_READY,		/* between transactions */
	PROTO_S_MAIL,		/* MAIL accepted, RCPTs may follow */
	PROTO_S_DATA,		/* reading the message */
	PROTO_S_COMMIT,		/* message complete, waiting for the commit */
	PROTO_S_CLOSED,		/* QUIT or 421 sent */
};

/* Data reader states: where we are in the current line. */
enum proto_dstate { D_BOL, D_DOT, D_DOTCR, D_TEXT, D_CR };

/* Reasons a message is refused at the final dot (bits). */
#define PROTO_BAD_CRLF		0x01	/* bare CR or bare LF */
#define PROTO_BAD_NUL		0x02
#define PROTO_BAD_LINE		0x04	/* text line over 1000 octets */
#define PROTO_BAD_SIZE		0x08	/* over max_message_size */

struct proto_session {
	enum server_proto	 proto;
	enum proto_state	 state;
	char			 logid[32];	/* "lmtp 7" */
	struct proto_conf	 conf;
	const struct server_hooks *hooks;
	void			*arg;

	unsigned long		 id;
	struct buf		 in;		/* received input */
	size_t			 in_off;	/* in.data[0..in_off) is done */
	struct buf		 out;		/* unsent replies */
	int			 discarding;	/* skipping an over-long line */

	/*
	 * The transaction; reset by RSET, LHLO/EHLO, or its end.  ing.rcpts
	 * holds each target (list, extension) once; every RCPT that got 250
	 * is in accepted (addresses, NUL-separated), so LMTP still gives one
	 * reply per RCPT after DATA.
	 */
	struct ingest		 ing;
	struct buf		 body;
	size_t			 rcpt_cap;
	size_t			 naccepted;	/* RCPTs answered 250 */
	struct buf		 accepted;
	uint32_t		*seen;		/* hash of ing.rcpts: index + 1 */
	size_t			 seen_cap;	/* a power of two, or 0 */
	unsigned long		 nmsg;		/* messages queued so far */
	enum proto_dstate	 dstate;
	size_t			 dline;		/* octets in the current line */
	size_t			 dsize;		/* unstuffed octets received */
	int			 dbad;		/* PROTO_BAD_* bits */
};

/* "lmtp", "smtp" or "socketmap", for logs. */
const char *proto_name(enum server_proto);

/* A new session; hooks and arg are borrowed.  Free with proto_free(). */
struct proto_session *proto_new(enum server_proto, unsigned long id,
	    const struct proto_conf *, const struct server_hooks *,
	    void *arg);
void	 proto_free(struct proto_session **);

void	 proto_greet(struct proto_session *);
/* Append received bytes; the caller bounds how much it buffers. */
void	 proto_input(struct proto_session *, const void *, size_t);
/* Answer as much buffered input as possible. */
enum proto_status proto_run(struct proto_session *);
/* A MAIL was given and the transaction did not end yet. */
int	 proto_in_transaction(const struct proto_session *);
/* Send "421 <enh> <hostname> <why>" and close (timeout, shutdown). */
void	 proto_close(struct proto_session *, const char *enh,
	    const char *why);

/*
 * Commit the messages of n sessions in PROTO_S_COMMIT with one call to
 * the commit hook, write each session's replies and reset its
 * transaction.  Returns the hook's result (0, or -1 when nothing was
 * stored).
 */
int	 proto_commit_group(struct proto_session *const *, size_t n,
	    const struct server_hooks *, void *arg);
/* The same in two halves, for a commit made by another thread: the
 * message of a session in PROTO_S_COMMIT (read-only until it is done),
 * and, on the session's thread, the replies for the hook's outcome. */
struct ingest	*proto_commit_item(struct proto_session *);
void		 proto_commit_done(struct proto_session *,
		    enum ingest_outcome);

/* ---- private to proto.c and session.c ------------------------------ */

void	 proto_reply(struct proto_session *, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 proto_reply_more(struct proto_session *, int code, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* One reply per accepted recipient in LMTP, one in SMTP. */
void	 proto_reply_data(struct proto_session *, int code, const char *enh,
	    const char *text);
void	 proto_reset(struct proto_session *);
/*
 * Record an accepted RCPT for addr, resolved to r (the next free slot of
 * ing.rcpts).  Returns 1 when r names the same target (list id and
 * extension) as an earlier recipient of the transaction, which then gets
 * its reply but no second copy (Postfix's cleanup does the same); 0 when
 * r was added.
 */
int	 proto_rcpt_accept(struct proto_session *, const char *addr,
	    const struct ingest_rcpt *r);
void	 proto_data_begin(struct proto_session *);
/* Run one complete command line (NUL-terminated, without CRLF). */
void	 session_command(struct proto_session *, char *line);
/* The message is complete: check it and queue it for the commit. */
void	 session_data_end(struct proto_session *);
/* PROTO_SOCKETMAP: answer one buffered request (socketmap.c).  1 when
 * input was consumed, 0 when a whole request is not there yet. */
int	 socketmap_step(struct proto_session *);

#endif
