/*
 * cmd_deliver.c — `postino deliver`: pipe mode for MTAs that cannot
 * speak LMTP (Postfix pipe(8), Exim pipe transport, procmail).
 *
 * Reads one message on stdin, hands it to ingest.c (as the server does)
 * and exits with the sysexits(3) code of its outcome (ingest_status.c):
 * 0 stored; 65 malformed (bounce); 67 no such list (bounce); 75
 * temporary failure (the MTA retries).
 * Pipes deliver LF line ends, so LF is turned into CRLF here; a bare CR,
 * a NUL, or an over-size message is malformed.  A leading mbox "From "
 * line (pipe flag F) is dropped.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "ingest.h"
#include "log.h"
#include "store.h"

/* Read stdin into raw; 0, 1 when over max bytes, -1 on read error. */
static int
read_stdin(struct buf *raw, size_t max)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
		if (n < 0)
			return -1;
		if (raw->len + (size_t)n > max)
			return 1;
		buf_append(raw, chunk, (size_t)n);
	}
	return 0;
}

/* LF -> CRLF; CRLF kept.  -1 with *why on a bare CR or a NUL. */
static int
to_crlf(const struct buf *raw, struct buf *out, const char **why)
{
	size_t i = 0;

	if (raw->len >= 5 && memcmp(raw->data, "From ", 5) == 0) {
		const char *nl = memchr(raw->data, '\n', raw->len);

		i = nl ? (size_t)(nl - raw->data) + 1 : raw->len;
	}
	buf_reserve(out, raw->len + raw->len / 32);
	for (; i < raw->len; i++) {
		char c = raw->data[i];

		if (c == '\0') {
			*why = "NUL byte in message";
			return -1;
		}
		if (c == '\r') {
			if (i + 1 >= raw->len || raw->data[i + 1] != '\n') {
				*why = "bare CR in message";
				return -1;
			}
			continue;	/* the LF adds CRLF */
		}
		if (c == '\n')
			buf_append(out, "\r\n", 2);
		else
			buf_putc(out, c);
	}
	if (out->len > 0 && (out->len < 2 ||
	    memcmp(out->data + out->len - 2, "\r\n", 2) != 0))
		buf_append(out, "\r\n", 2);
	return 0;
}

/* Route and store body for rcpt; an exit code, after saying why. */
static int
deliver_store(struct cmd_ctx *ctx, const char *rcpt, const char *sender,
    const struct buf *body)
{
	struct ingest_ctx in;
	struct ingest_rcpt r;
	enum ingest_outcome o;

	memset(&in, 0, sizeof(in));
	in.st = ctx->st;
	in.cfg = &ctx->cfg;
	if ((o = ingest_rcpt_check(&in, rcpt, &r)) == INGEST_NOUSER)
		fprintf(stderr, "postino: deliver: <%s>: no such list\n", rcpt);
	if (o == INGEST_OK && (o = ingest_message(&in, sender, &r,
	    body->data, body->len)) != INGEST_OK)
		fprintf(stderr, "postino: deliver: cannot store the message%s\n",
		    o == INGEST_FULL ? ": disk full" : "");
	if (o == INGEST_OK)
		log_info("deliver: message for <%s> from <%s> stored, %zu bytes",
		    rcpt, sender, body->len);
	return ingest_status(o)->exit;
}

int
cmd_deliver(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "recipient", required_argument, NULL, 'r' },
		{ "sender", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char rcpt[ADDR_MAX], sender[ADDR_MAX] = "";
	const char *rarg = NULL, *sarg = NULL, *why;
	struct buf raw = BUF_INIT, body = BUF_INIT;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:s:", opts, NULL)) != -1) {
		if (c == 'r')
			rarg = optarg;
		else if (c == 's')
			sarg = optarg;
		else
			goto usage;
	}
	if (rarg == NULL || optind != argc)
		goto usage;
	if (addr_normalize(rarg, rcpt, &why) < 0) {
		fprintf(stderr, "postino: deliver: recipient '%s': %s\n", rarg,
		    why);
		return EX_NOUSER_;
	}
	if (sarg != NULL && *sarg != '\0' && strcmp(sarg, "<>") != 0 &&
	    addr_normalize(sarg, sender, &why) < 0) {
		fprintf(stderr, "postino: deliver: sender '%s': %s\n", sarg,
		    why);
		return EX_DATAERR_;
	}
	switch (read_stdin(&raw, ctx->cfg.max_message_size)) {
	case 1:
		fprintf(stderr, "postino: deliver: message larger than"
		    " max_message_size (%zu bytes)\n", ctx->cfg.max_message_size);
		rc = ingest_status(INGEST_TOO_BIG)->exit;
		goto out;
	case -1:
		fprintf(stderr, "postino: deliver: cannot read stdin\n");
		rc = ingest_status(INGEST_TEMPFAIL)->exit;
		goto out;
	}
	if (to_crlf(&raw, &body, &why) < 0 || ingest_validate(body.data ?
	    body.data : "", body.len, &why) != INGEST_OK) {
		fprintf(stderr, "postino: deliver: malformed message: %s\n",
		    why);
		rc = ingest_status(INGEST_MALFORMED)->exit;
		goto out;
	}
	rc = deliver_store(ctx, rcpt, sender, &body);
out:
	buf_free(&raw);
	buf_free(&body);
	return rc;
usage:
	fprintf(stderr, "usage: postino deliver --recipient ADDR"
	    " [--sender ADDR] < message\n");
	return EX_USAGE_;
}
