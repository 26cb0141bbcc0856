/*
 * request.c — read the commands a person wrote in a mail to LIST-request@.
 *
 * The Subject is read first: reply prefixes ("Re:", "AW:", "R:", "RIF:")
 * and "[list]" tags are stripped, and a "confirm TOKEN" anywhere in it
 * counts.  Then the text body (msg_text: decoded, UTF-8, HTML turned into
 * text with "> " for <blockquote>), line by line: blank and quoted lines
 * and quote headers ("On ... wrote:") are skipped, a few greeting lines
 * before the first command too; reading stops at a signature, at "end",
 * after REQUEST_MAX_LINES lines, or at the first line that is not a
 * command once a command was found.  The words, their synonyms and what
 * their argument is come from the command address table (cmdaddr.c).  An
 * unknown word on the first line that matters is returned as it is, so
 * that the caller can say so.
 *
 * Replies to our notices are read here too: the token tag a notice's
 * Subject ends with (request_subject_token), and the decision a
 * moderator writes on the first line of his own words
 * (request_decision), with the same rules for quotes and signatures.
 *
 * Owns: nothing beyond one call; the caller's array receives the result.
 * Fails: never; a mail without commands yields 0.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cmdaddr.h"
#include "msg.h"
#include "notice.h"
#include "request.h"

/* Body text read: REQUEST_MAX_LINES lines of a generous length. */
#define BODY_TEXT_MAX		(32 * 1024)
#define GREETINGS_MAX		3
#define SUBJECT_PREFIXES_MAX	8
#define SUBJECT_TAG_MAX		64
/* A token in the Subject: base32 of 16 random bytes is 26 characters;
 * shorter words after "confirm" are prose ("confirm yoursubscription"). */
#define SUBJECT_TOKEN_MIN	20

struct found {
	struct request_cmd	*out;
	size_t		 max;
	size_t		 n;
};

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* The -request row of word w[0..n) (any case, a trailing '.' or '!'
 * ignored), or NULL. */
static const struct cmdaddr_row *
word_find(const char *w, size_t n)
{
	while (n > 1 && (w[n - 1] == '.' || w[n - 1] == '!'))
		n--;
	return cmdaddr_word(w, n, CA_REQ);
}

int
request_known(const char *word)
{
	return word_find(word, strlen(word)) != NULL;
}

/* Copy s[0..n) into dst (size cap), cut on a UTF-8 character boundary. */
static void
copy_cut(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The argument a[0..n) as the command wants it. */
static void
arg_set(struct request_cmd *c, enum cmdaddr_arg kind, const char *a,
    size_t n)
{
	size_t i, o = 0;

	if (kind == CA_ARG_TOKEN) {
		/* MTAs and clients change case; keep the base32 alphabet. */
		for (i = 0; i < n && o + 1 < sizeof(c->arg); i++) {
			int ch = tolower((unsigned char)a[i]);

			if ((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7'))
				c->arg[o++] = (char)ch;
		}
		c->arg[o] = '\0';
		return;
	}
	if (kind == CA_ARG_MODE && n >= 5 && strncasecmp(a, "mode", 4) == 0 &&
	    is_blank(a[4])) {
		for (a += 4, n -= 4; n > 0 && is_blank(*a); a++, n--)
			;
	}
	copy_cut(c->arg, sizeof(c->arg), a, n);
	if (kind == CA_ARG_MODE)
		for (i = 0; c->arg[i] != '\0'; i++)
			c->arg[i] = (char)tolower((unsigned char)c->arg[i]);
}

/* Add a command unless it is already there or the array is full. */
static void
found_add(struct found *f, const struct request_cmd *c)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->out[i].word, c->word) == 0 &&
		    strcmp(f->out[i].arg, c->arg) == 0)
			return;
	if (f->n < f->max)
		f->out[f->n++] = *c;
}

/*
 * Read the trimmed line s[0..n) as a command into c: 1 a known word,
 * 0 an unknown one (c->word is the word lower-cased, cut to fit).
 */
static int
line_command(const char *s, size_t n, struct request_cmd *c)
{
	const struct cmdaddr_row *row;
	size_t w = 0, i, a;

	memset(c, 0, sizeof(*c));
	while (w < n && !is_blank(s[w]))
		w++;
	for (a = w; a < n && is_blank(s[a]); a++)
		;
	copy_cut(c->line, sizeof(c->line), s, n);
	row = word_find(s, w);
	if (row == NULL) {
		copy_cut(c->word, sizeof(c->word), s, w);
		for (i = 0; c->word[i] != '\0'; i++)
			c->word[i] = (char)tolower((unsigned char)c->word[i]);
		copy_cut(c->arg, sizeof(c->arg), s + a, n - a);
		return 0;
	}
	c->row = row;
	snprintf(c->word, sizeof(c->word), "%s", row->word);
	arg_set(c, row->arg, s + a, n - a);
	return 1;
}

/* ---- Subject --------------------------------------------------------- */

/* Length of a reply prefix ("Re:", "AW:", "Re[2]:", "R :") at s, or 0. */
static size_t
subject_prefix(const char *s)
{
	static const char *const pfx[] = { "re", "fwd", "fw", "aw", "r",
	    "rif", "sv", "wg", "tr", "i", NULL };
	size_t i, n, k;

	for (i = 0; pfx[i] != NULL; i++) {
		n = strlen(pfx[i]);
		if (strncasecmp(s, pfx[i], n) != 0)
			continue;
		k = n;
		if (s[k] == '[' || s[k] == '(')	/* "Re[2]:" */
			for (k++; isdigit((unsigned char)s[k]); k++)
				;
		if (k > n && (s[k] == ']' || s[k] == ')'))
			k++;
		while (s[k] == ' ')
			k++;
		if (s[k] == ':')
			return k + 1;
	}
	return 0;
}

/* Past the reply prefixes and "[list]" tags at the start of s. */
static const char *
subject_strip(const char *s)
{
	const char *e;
	size_t k;
	int i;

	for (i = 0; i < SUBJECT_PREFIXES_MAX; i++) {
		while (is_blank(*s))
			s++;
		if (*s == '[' && (e = strchr(s, ']')) != NULL &&
		    e - s <= SUBJECT_TAG_MAX)
			s = e + 1;
		else if ((k = subject_prefix(s)) > 0)
			s += k;
		else
			break;
	}
	while (is_blank(*s))
		s++;
	return s;
}

/* A "confirm TOKEN" anywhere in s: 1 and c filled, else 0. */
static int
subject_confirm(const char *s, struct request_cmd *c)
{
	const char *p = s, *t, *e;

	while ((p = strcasestr(p, "confirm")) != NULL) {
		t = p + 7;
		if ((p == s || !isalnum((unsigned char)p[-1])) && is_blank(*t)) {
			while (is_blank(*t) || *t == ':')
				t++;
			for (e = t; isalnum((unsigned char)*e); e++)
				;
			if (e - t >= SUBJECT_TOKEN_MIN && (size_t)(e - t) ==
			    strspn(t, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")) {
				line_command(p, (size_t)(e - p), c);
				return 1;
			}
		}
		p += 7;
	}
	return 0;
}

/* Number of blank-separated words in s[0..n). */
static int
word_count(const char *s, size_t n)
{
	size_t i;
	int w = 0;

	for (i = 0; i < n; i++)
		if (!is_blank(s[i]) && (i == 0 || is_blank(s[i - 1])))
			w++;
	return w;
}

/* A known command on the Subject line; "confirm" only when followed by
 * one word ("Re: Confirm your subscription to ..." is not a command). */
static void
subject_read(const struct msg *m, struct found *f)
{
	char *subj = msg_subject(m);
	const char *s = subject_strip(subj);
	struct request_cmd c;
	size_t n = strlen(s);

	while (n > 0 && is_blank(s[n - 1]))
		n--;
	if (subject_confirm(subj, &c))
		found_add(f, &c);
	else if (n > 0 && line_command(s, n, &c) == 1 &&
	    c.row->action != CA_END && (c.row->action != CA_CONFIRM ||
	    (word_count(s, n) == 2 && c.arg[0] != '\0')))
		found_add(f, &c);
	free(subj);
}

/* ---- Body ------------------------------------------------------------ */

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

static int
starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && strncasecmp(s, prefix, k) == 0;
}

/* The line that introduces a quotation ("On ... wrote:", "Il ... ha
 * scritto:", "Am ... schrieb ...:", "Le ... a écrit :"), on one line or
 * wrapped over two (next[0..nn) is the following line). */
static int
is_quote_header(const char *s, size_t n, const char *next, size_t nn)
{
	static const char *const tail[] = { "wrote:", "scritto:", "schrieb:",
	    "crit :", "crit:", "escribi\xc3\xb3:", NULL };
	size_t i;
	int intro;

	for (i = 0; tail[i] != NULL; i++)
		if (ends_with(s, n, tail[i]))
			return 1;
	intro = starts_with(s, n, "on ") || starts_with(s, n, "il ") ||
	    starts_with(s, n, "am ") || starts_with(s, n, "le ") ||
	    starts_with(s, n, "el ");
	if (!intro)
		return 0;
	if (memmem(s, n, " schrieb", 8) != NULL)
		return 1;
	for (i = 0; tail[i] != NULL && next != NULL; i++)
		if (ends_with(next, nn, tail[i]))
			return 1;
	return 0;
}

/* A signature or a forwarded/original-message separator: stop. */
static int
is_end_marker(const char *s, size_t n)
{
	size_t i;

	if (n == 2 && s[0] == '-' && s[1] == '-')	/* "-- " trimmed */
		return 1;
	if (n < 5)
		return 0;
	for (i = 0; i < n && (s[i] == '-' || s[i] == '_'); i++)
		;
	return i >= 5;	/* "-----Original Message-----", "_____" */
}

/* A line people write before their commands ("Hi,", "Hello list!"). */
static int
is_greeting(const char *s, size_t n)
{
	static const char *const hello[] = { "hi", "hello", "hey", "dear",
	    "ciao", "salve", "buongiorno", "buonasera", "gentile", "hallo",
	    "good", "greetings", "bonjour", "hola", NULL };
	size_t i, w;

	if (s[n - 1] == ',' || s[n - 1] == '!')
		return 1;
	for (w = 0; w < n && isalpha((unsigned char)s[w]); w++)
		;
	for (i = 0; hello[i] != NULL; i++)
		if (strlen(hello[i]) == w && strncasecmp(s, hello[i], w) == 0)
			return 1;
	return 0;
}

struct body {
	const char	*p, *end;	/* the text not read yet */
	int		 lines;		/* lines read since the first text */
	int		 greetings;
	int		 found;		/* a command was read in the body */
};

/* Next line, trimmed, into *s_r and *n_r; 0 at the end. */
static int
body_line(struct body *b, const char **s_r, size_t *n_r)
{
	const char *s = b->p, *nl;
	size_t n;

	if (s >= b->end)
		return 0;
	nl = memchr(s, '\n', (size_t)(b->end - s));
	n = nl == NULL ? (size_t)(b->end - s) : (size_t)(nl - s);
	b->p = s + n + (nl != NULL);
	while (n > 0 && is_blank(*s))
		s++, n--;
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	*s_r = s;
	*n_r = n;
	return 1;
}

/* The line after the current one, trimmed (for wrapped quote headers). */
static void
body_peek(const struct body *b, const char **s_r, size_t *n_r)
{
	struct body copy = *b;

	if (!body_line(&copy, s_r, n_r))
		*s_r = NULL, *n_r = 0;
}

/* One body line: 1 go on, 0 stop reading. */
static int
body_step(struct body *b, const char *s, size_t n, struct found *f)
{
	struct request_cmd c;
	const char *next;
	size_t nn;

	if (n == 0 || s[0] == '>')
		return 1;
	if (is_end_marker(s, n))
		return 0;
	body_peek(b, &next, &nn);
	if (is_quote_header(s, n, next, nn))
		return 1;
	if (line_command(s, n, &c) == 1) {
		if (c.row->action == CA_END)
			return 0;
		b->found = 1;
		found_add(f, &c);
		return 1;
	}
	if (b->found)
		return 0;
	if (b->greetings < GREETINGS_MAX && is_greeting(s, n)) {
		b->greetings++;
		return 1;
	}
	if (f->n > 0)		/* prose under a Subject command */
		return 0;
	b->found = 1;		/* unknown: the caller says so */
	found_add(f, &c);
	return 1;
}

static void
body_read(const struct msg *m, struct found *f)
{
	struct buf text = BUF_INIT;
	struct body b;
	const char *s;
	size_t n;

	memset(&b, 0, sizeof(b));
	if (msg_text(m, BODY_TEXT_MAX, &text) < 0)
		goto out;
	b.p = text.data;
	b.end = text.data + text.len;
	while (f->n < f->max && body_line(&b, &s, &n)) {
		if (n == 0 && b.lines == 0)
			continue;	/* leading blank lines */
		if (++b.lines > REQUEST_MAX_LINES || !body_step(&b, s, n, f))
			break;
	}
out:
	buf_free(&text);
}

size_t
request_parse(const struct msg *m, struct request_cmd *out, size_t max)
{
	struct found f = { out, max, 0 };

	if (max == 0)
		return 0;
	subject_read(m, &f);
	body_read(m, &f);
	return f.n;
}

/* ---- replies to notices ------------------------------------------------ */

static int
is_base32(int c)
{
	c = tolower(c);
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

/* A tag "[ postino: TOKEN ]" at s (s[0] == '['): 1 and tok, or 0. */
static int
subject_tag(const char *s, char tok[REQUEST_TOKEN_LEN + 1])
{
	size_t k = strlen(NOTICE_TAG), i;

	for (s++; is_blank(*s); s++)
		;
	if (strncasecmp(s, NOTICE_TAG, k) != 0)
		return 0;
	for (s += k; is_blank(*s); s++)
		;
	for (i = 0; i < REQUEST_TOKEN_LEN && is_base32((unsigned char)s[i]);
	    i++)
		tok[i] = (char)tolower((unsigned char)s[i]);
	if (i < REQUEST_TOKEN_LEN)
		return 0;
	for (s += i; is_blank(*s); s++)
		;
	tok[i] = '\0';
	return *s == ']';
}

int
request_subject_token(const char *subject, char tok[REQUEST_TOKEN_LEN + 1])
{
	char cand[REQUEST_TOKEN_LEN + 1];
	const char *p;
	int found = 0;

	for (p = subject; (p = strchr(p, '[')) != NULL; p++)
		if (subject_tag(p, cand)) {
			memcpy(tok, cand, sizeof(cand));
			found = 1;
		}
	return found;
}

/* The decision word w[0..n) (trailing '.', '!', ',' or ':' ignored). */
static enum request_decision
decision_word(const char *w, size_t n)
{
	static const struct {
		const char		*word;
		enum request_decision	 what;
	} words[] = {
		{ "approve", REQUEST_APPROVE }, { "approva", REQUEST_APPROVE },
		{ "reject", REQUEST_REJECT }, { "rifiuta", REQUEST_REJECT },
		{ "discard", REQUEST_DISCARD }, { "scarta", REQUEST_DISCARD },
	};
	size_t i;

	while (n > 1 && strchr(".!,:", w[n - 1]) != NULL)
		n--;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == n &&
		    strncasecmp(words[i].word, w, n) == 0)
			return words[i].what;
	return REQUEST_UNDECIDED;
}

/* Read the trimmed line s[0..n) as a decision into d. */
static enum request_decision
decision_line(const char *s, size_t n, struct request_decided *d)
{
	size_t w;

	copy_cut(d->line, sizeof(d->line), s, n);
	for (w = 0; w < n && !is_blank(s[w]) && s[w] != ':'; w++)
		;
	if ((d->what = decision_word(s, w)) == REQUEST_UNDECIDED)
		return d->what;
	while (w < n && (is_blank(s[w]) || s[w] == ':' || s[w] == '-'))
		w++;
	copy_cut(d->reason, sizeof(d->reason), s + w, n - w);
	return d->what;
}

enum request_decision
request_decision(const char *text, size_t len, struct request_decided *d)
{
	struct body b;
	const char *s, *next;
	size_t n, nn;

	memset(d, 0, sizeof(*d));
	memset(&b, 0, sizeof(b));
	b.p = text;
	b.end = text + len;
	while (body_line(&b, &s, &n)) {
		while (n > 0 && (s[n - 1] == '\r' || is_blank(s[n - 1])))
			n--;
		if (n == 0 || s[0] == '>')
			continue;
		if (is_end_marker(s, n))
			break;
		body_peek(&b, &next, &nn);
		if (is_quote_header(s, n, next, nn))
			continue;
		return decision_line(s, n, d);
	}
	return REQUEST_UNDECIDED;
}
