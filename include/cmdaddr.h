/*
 * cmdaddr.h — the grammar of a list's command addresses, as one table.
 *
 * Every row is one action: its word, the synonyms people use, where the
 * word may stand (LIST+word@, LIST-word@, a line in mail to
 * LIST-request@), whether it carries a token and what that token is,
 * and the action that handles it.  The router accepts at RCPT time
 * exactly the extensions this table reads; request.c reads the words of
 * -request mail from it; subscription.c runs the action.  A new command
 * address is one row here and one case in subscription.c's run_action.
 */
#ifndef POSTINO_CMDADDR_H
#define POSTINO_CMDADDR_H

#include <stddef.h>
#include <stdint.h>

/* What a row does; subscription.c maps each to its handler. */
enum cmdaddr_action {
	CA_REQUEST,		/* read the commands in the mail */
	CA_OWNER,		/* pass the mail on to the owners */
	CA_BOUNCES,		/* a bounce: never answered */
	CA_SUBSCRIBE,
	CA_UNSUBSCRIBE,
	CA_CONFIRM,		/* a subscribe/unsubscribe/approval token */
	CA_DECLINE,		/* an owner declines a pending request */
	CA_SET,			/* "set [mode] MODE" */
	CA_MODE,		/* the row's word is the delivery mode */
	CA_FOLLOW,		/* a thread when a reply, else the mode */
	CA_MUTE,
	CA_HELP,
	CA_END,			/* stop reading -request commands */
	CA_APPROVE,		/* moderators' decisions on a held post */
	CA_REJECT,
	CA_DISCARD,		/* a non-member's held post, silently */
	CA_MODERATE,		/* a reply to a held-post notice: the
				 * decision is in its body */
	CA_APPEAL,		/* a rejected author's appeal, */
	CA_UPHOLD,		/* and its answers */
	CA_OVERTURN,
	CA_RULES,
	CA_LOG,
	CA_LINK,		/* a personal one-reply link of a footer */
	CA_REENABLE,		/* a member disabled for bounces is back */
	CA_POST,		/* an owner or moderator confirms his post */
	CA_NACTIONS		/* how many there are: keep it last */
};

/* Where a word may stand (a bit set). */
#define CA_EXT		0x1	/* LIST+word@ */
#define CA_SUFFIX	0x2	/* LIST-word@ too */
#define CA_REQ		0x4	/* a line in mail to LIST-request@ */

/* The token of an extension: LIST+word-TOKEN@. */
enum cmdaddr_token {
	CA_TOK_NONE,		/* the word alone */
	CA_TOK_NEEDED,		/* word-TOKEN, any non-empty TOKEN */
	CA_TOK_OPTIONAL,	/* the word, or word-ANYTHING (not checked) */
	CA_TOK_LINK,		/* word-ID-MAC, word-ID-POST-MAC (personal.h) */
};

/* What follows the word on a -request line. */
enum cmdaddr_arg {
	CA_ARG_NONE,		/* ignored */
	CA_ARG_TEXT,		/* taken as written */
	CA_ARG_TOKEN,		/* base32, lower-cased, the rest dropped */
	CA_ARG_MODE,		/* lower-cased, a leading "mode " dropped */
};

#define CA_SYNONYMS	3

struct cmdaddr_row {
	const char		*word;	/* lower case: "subscribe" */
	const char		*synonyms[CA_SYNONYMS + 1];	/* NULL-ended */
	int			 where;	/* CA_EXT | CA_SUFFIX | CA_REQ */
	enum cmdaddr_token	 token;
	const char		*purpose;	/* what the token is, or NULL */
	enum cmdaddr_arg	 arg;
	enum cmdaddr_action	 action;
};

/* One command read: from an extension, or from a -request line. */
struct cmdaddr {
	const struct cmdaddr_row *row;
	const char	*arg;	/* the token or the -request argument, or "" */
	/* CA_TOK_LINK: the parts of the link (mac points into the ext) */
	int64_t		 member;
	int64_t		 post;
	const char	*mac;
};

/*
 * Read the extension of a list address (what follows the delimiter, or
 * "request"/"owner" for LIST-request@/LIST-owner@), in any case.  1 and
 * ca filled (ca->arg and ca->mac point into ext), or 0 when the table has
 * no such address: the router refuses it.
 */
int	 cmdaddr_parse(const char *ext, struct cmdaddr *ca);

/* The row whose word or synonym is w[0..n) (any case) and may stand
 * where (one of CA_EXT, CA_SUFFIX, CA_REQ), or NULL. */
const struct cmdaddr_row *cmdaddr_word(const char *w, size_t n, int where);

/* The i-th row, or NULL past the last (to walk the table). */
const struct cmdaddr_row *cmdaddr_row(size_t i);

#endif
