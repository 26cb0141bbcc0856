/*
 * ingest_status.h — what can happen to a message offered to postino
 * (over LMTP, SMTP or a pipe), and the one map from each outcome to the
 * LMTP/SMTP reply and to the sysexits(3) code of pipe mode.
 *
 * Temporary (the sender retries) versus permanent (the sender bounces)
 * is decided here and nowhere else.  This header depends on nothing but
 * postino.h, so that the protocol layer can use it without knowing what
 * accepting a message means (ingest.h).
 */
#ifndef POSTINO_INGEST_STATUS_H
#define POSTINO_INGEST_STATUS_H

enum ingest_outcome {
	INGEST_OK,		/* recipient taken, or message stored */
	INGEST_NOUSER,		/* no such list or list address */
	INGEST_TEMPFAIL,	/* store error or damaged database */
	INGEST_FULL,		/* the disk is full */
	INGEST_MALFORMED,	/* not a message we can read */
	INGEST_BAD_DATA,	/* bare CR or LF, NUL, over-long line */
	INGEST_TOO_BIG,		/* over max_message_size */
};

struct ingest_status {
	int		 code;		/* LMTP/SMTP reply code */
	const char	*enh;		/* RFC 3463 status of the message */
	const char	*rcpt_enh;	/* ... of one recipient (RCPT, and each
					 * LMTP reply after DATA) */
	const char	*text;		/* reply text; a caller may add the
					 * address, the queue id or a reason */
	int		 exit;		/* sysexits(3) code of pipe mode */
};

/* The row for o; a static, never NULL. */
const struct ingest_status *ingest_status(enum ingest_outcome o);

#endif
