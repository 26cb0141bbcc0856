/*
 * cmdaddr.c — the table of a list's command addresses and its reader.
 *
 * Extensions arrive lower-cased from the router; -request words in any
 * case.  A token is whatever follows the first '-' after the word: its
 * validity (known, unused, right purpose, not expired) is the handler's
 * business, which answers a wrong one; only the shape of a personal link
 * is checked here (personal_parse), since its word alone says nothing.
 * Bounce addresses take anything after "bounces-": a bounce refused at
 * RCPT would turn into a double bounce to a postmaster.
 *
 * Owns nothing; the table is static.  Fails: never (0 is "no such
 * address").
 */
#include <string.h>
#include <strings.h>

#include "cmdaddr.h"
#include "personal.h"

#define EXT	CA_EXT
#define REQ	CA_REQ
#define SFX	CA_SUFFIX

static const struct cmdaddr_row rows[] = {
	{ "request",	{ NULL },	EXT | SFX, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_REQUEST },
	{ "owner",	{ NULL },	EXT | SFX, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_OWNER },
	{ "bounces",	{ NULL },	EXT, CA_TOK_OPTIONAL,
	    "VERP: bounces-ID-MAC (personal_verp)", CA_ARG_NONE, CA_BOUNCES },
	{ "subscribe",	{ "join", NULL }, EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_TEXT, CA_SUBSCRIBE },
	{ "unsubscribe", { "leave", "signoff", "remove", NULL }, EXT | REQ,
	    CA_TOK_NONE, NULL, CA_ARG_TEXT, CA_UNSUBSCRIBE },
	{ "confirm",	{ NULL },	EXT | REQ, CA_TOK_NEEDED,
	    "subscribe, unsubscribe or approve (a join)", CA_ARG_TOKEN,
	    CA_CONFIRM },
	{ "set",	{ NULL },	REQ, CA_TOK_NONE, NULL,
	    CA_ARG_MODE, CA_SET },
	{ "digest",	{ NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_TEXT, CA_MODE },
	{ "digest-plain", { NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_TEXT, CA_MODE },
	{ "digest-mime", { NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_TEXT, CA_MODE },
	{ "nomail",	{ NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_MODE },
	{ "each",	{ NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_MODE },
	{ "follow",	{ NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_FOLLOW },
	{ "mute",	{ NULL },	EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_MUTE },
	{ "help",	{ "info", NULL }, EXT | REQ, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_HELP },
	{ "end",	{ "stop", NULL }, REQ, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_END },
	{ "decline",	{ NULL },	EXT, CA_TOK_NEEDED, "approve",
	    CA_ARG_NONE, CA_DECLINE },
	{ "approve",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_approve",
	    CA_ARG_NONE, CA_APPROVE },
	{ "reject",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_reject",
	    CA_ARG_NONE, CA_REJECT },
	{ "discard",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_discard",
	    CA_ARG_NONE, CA_DISCARD },
	{ "moderate",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_moderate",
	    CA_ARG_NONE, CA_MODERATE },
	{ "appeal",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_appeal",
	    CA_ARG_NONE, CA_APPEAL },
	{ "uphold",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_uphold",
	    CA_ARG_NONE, CA_UPHOLD },
	{ "overturn",	{ NULL },	EXT, CA_TOK_NEEDED, "mod_overturn",
	    CA_ARG_NONE, CA_OVERTURN },
	{ "reenable",	{ NULL },	EXT, CA_TOK_NEEDED, "bounce_reenable",
	    CA_ARG_NONE, CA_REENABLE },
	{ "post",	{ NULL },	EXT, CA_TOK_NEEDED, "post_confirm",
	    CA_ARG_NONE, CA_POST },
	{ "rules",	{ NULL },	EXT, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_RULES },
	{ "log",	{ NULL },	EXT, CA_TOK_NONE, NULL,
	    CA_ARG_NONE, CA_LOG },
	/* The word of a link is its personal.h action letter. */
	{ "u",		{ NULL },	EXT, CA_TOK_LINK, "link MAC: leave",
	    CA_ARG_NONE, CA_LINK },
	{ "d",		{ NULL },	EXT, CA_TOK_LINK, "link MAC: digest",
	    CA_ARG_NONE, CA_LINK },
	{ "m",		{ NULL },	EXT, CA_TOK_LINK,
	    "link MAC: mute a thread", CA_ARG_NONE, CA_LINK },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

const struct cmdaddr_row *
cmdaddr_row(size_t i)
{
	return i < NROWS ? &rows[i] : NULL;
}

static int
same(const char *word, const char *w, size_t n)
{
	return strlen(word) == n && strncasecmp(word, w, n) == 0;
}

const struct cmdaddr_row *
cmdaddr_word(const char *w, size_t n, int where)
{
	size_t i, k;

	for (i = 0; i < NROWS; i++) {
		if ((rows[i].where & where) == 0)
			continue;
		if (same(rows[i].word, w, n))
			return &rows[i];
		for (k = 0; rows[i].synonyms[k] != NULL; k++)
			if (same(rows[i].synonyms[k], w, n))
				return &rows[i];
	}
	return NULL;
}

int
cmdaddr_parse(const char *ext, struct cmdaddr *ca)
{
	const struct cmdaddr_row *row;
	const char *dash;

	memset(ca, 0, sizeof(*ca));
	ca->arg = "";
	row = cmdaddr_word(ext, strlen(ext), CA_EXT);
	if (row != NULL && (row->token == CA_TOK_NONE ||
	    row->token == CA_TOK_OPTIONAL)) {
		ca->row = row;
		return 1;
	}
	if ((dash = strchr(ext, '-')) == NULL || dash[1] == '\0' ||
	    (row = cmdaddr_word(ext, (size_t)(dash - ext), CA_EXT)) == NULL ||
	    row->token == CA_TOK_NONE)
		return 0;
	if (row->token == CA_TOK_LINK && personal_parse(row->word[0],
	    dash + 1, &ca->member, &ca->post, &ca->mac) < 0)
		return 0;
	ca->row = row;
	ca->arg = dash + 1;
	return 1;
}
