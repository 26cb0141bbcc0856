/*
 * rules.c — a list's published rules: checking a rule before it is
 * stored, keeping the order (through store_rules.c), and deciding what
 * happens to a post: first match wins, else a member's post is accepted
 * and a non-member's held (rules.h).
 *
 * The safety rule lives here, in rules_check, so that no caller can store
 * it away: discard is refused for every condition that can match a
 * member's post; only "sender nonmember" may drop mail silently.
 * Message reads are bounded: MIME parts by msg_has_type (msg_rules.c),
 * links by RULES_TEXT_MAX bytes of msg_text, header globs by the field
 * limits of msg_parse and RULES_PATTERN_MAX.
 * Owns nothing (a struct rule is the store's row: rule_clear in
 * store_rules.c).  Fails: rules_check with
 * a static reason; the rest -1 on a store error (logged by the store).  A
 * stored rule that no longer reads (a hand-edited row) is logged and
 * never matches.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "rules.h"
#include "store_rules.h"

#define RULES_NEW_MAX		1000		/* new:N */
#define RULES_SIZE_MAX		INT32_MAX	/* bytes, after K/M */
#define RULES_LINKS_MAX		10000
#define RULES_HNAME_MAX		76		/* a field name on one line */
#define RULES_PATTERN_MAX	256
#define RULES_TYPE_MAX		63		/* as msg_int.h's tokens */
#define RULES_TEXT_MAX		(1024 * 1024)	/* text searched for links */
#define RULES_NAME_MAX		64
#define RULES_TEXT_CHARS	500		/* a rule's text, characters */

/* ---- reading an argument ----------------------------------------- */

/* A decimal number of at most 10 digits in s[0..n) into *v; 0 or -1. */
static int
num_parse(const char *s, size_t n, int64_t *v)
{
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (*v = 0, i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * An address glob: one '@', printable ASCII, no space, at most
 * RULES_PATTERN_MAX; the local part and the domain each non-empty.
 */
int
rules_glob_check(const char *glob, const char **error_r)
{
	const char *at = strrchr(glob, '@');
	size_t i, n = strlen(glob);

	for (i = 0; i < n; i++)
		if ((unsigned char)glob[i] <= 32 || (unsigned char)glob[i] >= 127)
			break;
	if (at == NULL || at == glob || at[1] == '\0' || i < n ||
	    n > RULES_PATTERN_MAX || strchr(glob, '@') != at) {
		*error_r = "an address glob is LOCAL@DOMAIN, up to 256"
		    " printable characters, * and ? as wildcards (like"
		    " *@spam.example or bob+*@example.org)";
		return -1;
	}
	return 0;
}

/* "new:N" -> N, "nonmember" -> -1, "member" -> -2, "moderated" -> -3,
 * an address glob -> -4, "owner" -> -5, "moderator" -> -6. */
static int
sender_parse(const char *arg, int64_t *n_r, const char **error_r)
{
	if (strchr(arg, '@') != NULL) {
		*n_r = -4;
		return rules_glob_check(arg, error_r);
	}
	if (strcmp(arg, "nonmember") == 0 || strcmp(arg, "member") == 0 ||
	    strcmp(arg, "moderated") == 0) {
		*n_r = arg[0] == 'n' ? -1 : arg[1] == 'e' ? -2 : -3;
		return 0;
	}
	if (strcmp(arg, "owner") == 0 || strcmp(arg, "moderator") == 0) {
		*n_r = arg[0] == 'o' ? -5 : -6;
		return 0;
	}
	if (strncmp(arg, "new:", 4) != 0) {
		*error_r = "sender must be nonmember, member, moderated,"
		    " owner, moderator, new:N or an address glob"
		    " (*@example.org)";
		return -1;
	}
	if (num_parse(arg + 4, strlen(arg + 4), n_r) < 0 || *n_r < 1 ||
	    *n_r > RULES_NEW_MAX) {
		*error_r = "new:N needs a number of posts N from 1 to 1000";
		return -1;
	}
	return 0;
}

/* "N", "NK" or "NM" (1024-based) -> bytes. */
static int
size_parse(const char *arg, int64_t *n_r, const char **error_r)
{
	size_t n = strlen(arg);
	int64_t mul = 1;

	if (n > 0 && (arg[n - 1] == 'K' || arg[n - 1] == 'k'))
		mul = 1024;
	else if (n > 0 && (arg[n - 1] == 'M' || arg[n - 1] == 'm'))
		mul = 1024 * 1024;
	if (num_parse(arg, mul == 1 ? n : n - 1, n_r) < 0 || *n_r < 1 ||
	    *n_r > RULES_SIZE_MAX / mul) {
		*error_r = "size must be a number of bytes from 1 to 2047M,"
		    " with an optional K or M suffix";
		return -1;
	}
	*n_r *= mul;
	return 0;
}

static int
links_parse(const char *arg, int64_t *n_r, const char **error_r)
{
	if (num_parse(arg, strlen(arg), n_r) < 0 || *n_r > RULES_LINKS_MAX) {
		*error_r = "links must be a number of links from 0 to 10000";
		return -1;
	}
	return 0;
}

/* Length of the MIME token at s (RFC 2045 §5.1), up to the first
 * character that cannot be in one. */
static size_t
mime_token_len(const char *s)
{
	size_t n = 0;

	while ((unsigned char)s[n] > 32 && (unsigned char)s[n] < 127 &&
	    strchr("()<>@,;:\\\"/[]?=", s[n]) == NULL)
		n++;
	return n;
}

/* "type/subtype" into type and subtype, lower case; subtype may be
 * "*". */
static int
mime_parse(const char *arg, char type[RULES_TYPE_MAX + 1],
    char subtype[RULES_TYPE_MAX + 1], const char **error_r)
{
	size_t t = mime_token_len(arg), s, i;

	*error_r = "mime must be TYPE/SUBTYPE or TYPE/* (like"
	    " application/pdf or image/*)";
	if (t == 0 || t > RULES_TYPE_MAX || arg[t] != '/' ||
	    memchr(arg, '*', t) != NULL)
		return -1;
	s = mime_token_len(arg + t + 1);
	if (s == 0 || s > RULES_TYPE_MAX || arg[t + 1 + s] != '\0' ||
	    (memchr(arg + t + 1, '*', s) != NULL && s != 1))
		return -1;
	for (i = 0; i <= t; i++)
		type[i] = i < t ? (char)tolower((unsigned char)arg[i]) : '\0';
	for (i = 0; i <= s; i++)
		subtype[i] = i < s ?
		    (char)tolower((unsigned char)arg[t + 1 + i]) : '\0';
	return 0;
}

/* "NAME:PATTERN": *name_len_r, and the pattern after the colon. */
static int
header_parse(const char *arg, size_t *name_len_r, const char **pat_r,
    const char **error_r)
{
	const char *colon = strchr(arg, ':');
	size_t i, n;

	if (colon == NULL || colon == arg) {
		*error_r = "header must be NAME:PATTERN (like X-Spam-Flag:yes)";
		return -1;
	}
	for (n = (size_t)(colon - arg), i = 0; i < n; i++)
		if ((unsigned char)arg[i] <= 32 || (unsigned char)arg[i] >= 127)
			break;
	if (i < n || n > RULES_HNAME_MAX) {
		*error_r = "header NAME must be up to 76 printable characters";
		return -1;
	}
	for (i = 1; colon[i] != '\0'; i++)
		if ((unsigned char)colon[i] < 32 || colon[i] == 127)
			break;
	if (i == 1 || colon[i] != '\0' || i - 1 > RULES_PATTERN_MAX) {
		*error_r = "header PATTERN must be 1 to 256 characters without"
		    " control characters (* for any value)";
		return -1;
	}
	*name_len_r = n;
	*pat_r = colon + 1;
	return 0;
}

/* ---- checking a rule --------------------------------------------- */

int
rules_name_check(const char *name, const char **error_r)
{
	size_t i, n = strlen(name);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("._-", name[i]) == NULL)
			break;
	if (n == 0 || n > RULES_NAME_MAX || i < n) {
		*error_r = "a rule name is 1 to 64 letters, digits, '.', '_'"
		    " or '-'";
		return -1;
	}
	return 0;
}

int
rules_text_check(const char *text, const char **error_r)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i, chars = 0;

	for (i = 0; u[i] != '\0'; i++) {
		if (u[i] < 32 || u[i] == 127 ||
		    (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] < 0xa0)) {
			*error_r = "must be one line without control"
			    " characters";
			return -1;
		}
		if ((u[i] & 0xc0) != 0x80 && ++chars > RULES_TEXT_CHARS) {
			*error_r = "is longer than 500 characters";
			return -1;
		}
	}
	return 0;
}

enum cond { C_SENDER, C_SIZE, C_MIME, C_HEADER, C_LINKS, C_ALL, C_N };

static const struct {
	const char	*name;
	const char	*missing;	/* NULL: takes no argument */
} conds[C_N] = {
	{ "sender", "sender needs nonmember, member, moderated, owner,"
	    " moderator, new:N or an address glob" },
	{ "size", "size needs a number of bytes (K, M)" },
	{ "mime", "mime needs TYPE/SUBTYPE (SUBTYPE may be *)" },
	{ "header", "header needs NAME:PATTERN" },
	{ "links", "links needs a number of links" },
	{ "all", NULL },
};

/* The condition named s, or C_N. */
static enum cond
cond_find(const char *s)
{
	int c;

	for (c = 0; c < C_N; c++)
		if (strcmp(s, conds[c].name) == 0)
			break;
	return (enum cond)c;
}

/* Whether arg reads for condition c; -1 with *error_r if not. */
static int
arg_check(enum cond c, const char *arg, const char **error_r)
{
	char type[RULES_TYPE_MAX + 1], subtype[RULES_TYPE_MAX + 1];
	const char *pat;
	size_t len;
	int64_t n;

	switch (c) {
	case C_SENDER:
		return sender_parse(arg, &n, error_r);
	case C_SIZE:
		return size_parse(arg, &n, error_r);
	case C_MIME:
		return mime_parse(arg, type, subtype, error_r);
	case C_HEADER:
		return header_parse(arg, &len, &pat, error_r);
	case C_LINKS:
		return links_parse(arg, &n, error_r);
	default:
		return 0;
	}
}

int
rules_check(const char *cond, const char *arg, const char *action,
    const char **error_r)
{
	enum rule_action a;
	enum cond c;

	if (arg == NULL)
		arg = "";
	if (rule_action_parse(action, &a) < 0) {
		*error_r = "unknown action (accept, hold, reject, discard)";
		return -1;
	}
	if ((c = cond_find(cond)) == C_N) {
		*error_r = "unknown condition (sender, size, mime, header,"
		    " links, all)";
		return -1;
	}
	if (conds[c].missing == NULL && *arg != '\0') {
		*error_r = "all takes no argument";
		return -1;
	}
	if (conds[c].missing != NULL && *arg == '\0') {
		*error_r = conds[c].missing;
		return -1;
	}
	if (arg_check(c, arg, error_r) < 0)
		return -1;
	if (a == RULE_DISCARD && (c != C_SENDER ||
	    strcmp(arg, "nonmember") != 0)) {
		*error_r = "discard may only drop non-members' posts"
		    " (sender nonmember)";
		return -1;
	}
	return 0;
}

/* ---- keeping the rules ------------------------------------------- */

int
rules_each(struct store *st, int64_t list_id,
    int (*fn)(const struct rule *, void *), void *arg)
{
	return store_rule_each(st, list_id, fn, arg);
}

int
rules_add(struct store *st, int64_t list_id, const char *name,
    const char *cond, const char *arg, const char *action,
    const char *text, int position)
{
	enum rule_action a;
	const char *error;

	if (rules_check(cond, arg, action, &error) < 0 ||
	    rule_action_parse(action, &a) < 0) {
		log_warnx("rules: rule '%s' refused: %s", name, error);
		return -1;
	}
	return store_rule_add(st, list_id, name, cond, arg != NULL ? arg : "",
	    a, text != NULL ? text : "", position);
}

int
rules_rm(struct store *st, int64_t list_id, const char *name)
{
	return store_rule_rm(st, list_id, name);
}

int
rules_mv(struct store *st, int64_t list_id, const char *name, int position)
{
	return store_rule_mv(st, list_id, name, position);
}

/* ---- deciding ---------------------------------------------------- */

struct eval {
	const struct msg		*m;
	size_t				 size;
	const struct rule_sender	*who;
	int64_t				 links;		/* -1: not counted yet */
	struct rule			*match;
};

/* Iterative: a later * only moves the restart point, so the work is
 * O(|p| * |s|). */
int
rules_glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p != '\0' && (*p == '?' || tolower((unsigned char)*p)
		    == tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* msg_header_each callback; pat points to the pattern. */
static int
glob_field(const char *value, void *pat)
{
	return rules_glob_match(*(const char **)pat, value);
}

/* Occurrences of http:// and https:// in the readable text. */
static int64_t
links_count(const struct msg *m)
{
	struct buf b = BUF_INIT;
	int64_t n = 0;
	size_t i;

	if (msg_text(m, RULES_TEXT_MAX, &b) == 0)
		for (i = 0; i + 7 <= b.len; i++)
			if ((b.data[i] == 'h' || b.data[i] == 'H') &&
			    (strncasecmp(b.data + i, "http://", 7) == 0 ||
			    strncasecmp(b.data + i, "https://", 8) == 0))
				n++;
	buf_free(&b);
	return n;
}

static int
sender_match(const struct rule_sender *who, int64_t n, const char *arg)
{
	if (n == -4)
		return (who->from != NULL && *who->from != '\0' &&
		    rules_glob_match(arg, who->from)) ||
		    (who->envelope != NULL && *who->envelope != '\0' &&
		    rules_glob_match(arg, who->envelope));
	if (n == -1)
		return !who->member;
	if (n == -2)
		return who->member;
	if (n == -3)
		return who->member && who->moderated;
	if (n == -5)
		return who->owner;
	if (n == -6)
		return who->moderator;
	return who->member && who->accepted_posts < n;
}

/* Whether the argument of condition c matches the post; -1 when the
 * stored argument does not read. */
static int
arg_match(struct eval *e, enum cond c, const char *arg)
{
	char type[RULES_TYPE_MAX + 1], sub[RULES_TYPE_MAX + 1];
	char name[RULES_HNAME_MAX + 1];
	const char *error, *pat;
	size_t len;
	int64_t n;

	switch (c) {
	case C_SENDER:
		if (sender_parse(arg, &n, &error) < 0)
			return -1;
		return sender_match(e->who, n, arg);
	case C_SIZE:
		return size_parse(arg, &n, &error) < 0 ? -1 :
		    (int64_t)e->size > n;
	case C_MIME:
		return mime_parse(arg, type, sub, &error) < 0 ? -1 :
		    msg_has_type(e->m, type, sub);
	case C_HEADER:
		if (header_parse(arg, &len, &pat, &error) < 0)
			return -1;
		memcpy(name, arg, len);
		name[len] = '\0';
		return msg_header_each(e->m, name, glob_field, &pat) != 0;
	case C_LINKS:
		if (links_parse(arg, &n, &error) < 0)
			return -1;
		if (e->links < 0)
			e->links = links_count(e->m);
		return e->links > n;
	default:
		return 1;
	}
}

/* rules_each callback: stop at the first rule that matches. */
static int
eval_one(const struct rule *r, void *arg)
{
	struct eval *e = arg;
	const char *error = "does not read";
	int hit;

	/* Checked again: a row edited by hand must not discard a member's
	 * post. */
	if (rules_check(r->cond, r->arg, rule_action_name(r->action),
	    &error) < 0 ||
	    (hit = arg_match(e, cond_find(r->cond), r->arg)) < 0) {
		log_warnx("rules: rule '%s' (%s %s) skipped: %s", r->name,
		    r->cond, r->arg, error);
		return 0;
	}
	if (!hit)
		return 0;
	e->match->id = r->id;
	e->match->position = r->position;
	e->match->name = xstrdup(r->name);
	e->match->text = xstrdup(r->text);
	e->match->cond = xstrdup(r->cond);
	e->match->arg = xstrdup(r->arg);
	e->match->action = r->action;
	return 1;
}

int
rules_by_role(const struct rule *r)
{
	return r->name != NULL && r->action == RULE_ACCEPT &&
	    strcmp(r->cond, "sender") == 0 && (strcmp(r->arg, "owner") == 0 ||
	    strcmp(r->arg, "moderator") == 0);
}

int
rules_eval(struct store *st, int64_t list_id, const struct msg *m,
    size_t size, const struct rule_sender *who, struct rule *rule_r)
{
	struct eval e;

	memset(rule_r, 0, sizeof(*rule_r));
	e.m = m;
	e.size = size;
	e.who = who;
	e.links = -1;
	e.match = rule_r;
	if (rules_each(st, list_id, eval_one, &e) < 0) {
		rule_clear(rule_r);
		return -1;
	}
	if (rule_r->name != NULL)
		return (int)rule_r->action;
	return who->member ? RULE_ACCEPT : RULE_HOLD;
}
