/*
 * style.c — reading the bundles of `list create --style`
 * (templates/styles/NAME.style; the format is in style.h).
 *
 * A line is split into words (blanks between, "double quotes" around
 * blanks, \" and \\ inside them), then read as a set or a rule line and
 * checked the way the command line checks the same words: listconf_find
 * and listconf_check for settings, rules_name_check, rules_check and
 * rules_text_check for rules.  Lines are bounded (STYLE_LINE_MAX bytes,
 * STYLE_WORDS_MAX words, STYLE_LINES_MAX lines of content), so that a
 * broken file can only be refused.
 * Owns the strings of a struct style (style_clear).  Fails: -1 with a
 * malloc'd "path:LINE: why"; the style is then empty.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "listconf.h"
#include "rules.h"
#include "style.h"

#define STYLE_LINE_MAX	1024
#define STYLE_WORDS_MAX	8
#define STYLE_FILE_MAX	(64 * 1024)

/* "path: why" or "path:LINE: why", malloc'd. */
static char *
where_error(const char *path, int lineno, const char *why)
{
	struct buf b = BUF_INIT;

	if (lineno > 0)
		buf_printf(&b, "%s:%d: %s", path, lineno, why);
	else
		buf_printf(&b, "%s: %s", path, why);
	return buf_steal(&b, NULL);
}

/*
 * Split line[0..n) into at most STYLE_WORDS_MAX words (malloc'd into
 * w[]); *nw their number.  0, or -1 with a static *why.
 */
static int
words_split(const char *line, size_t n, char **w, size_t *nw,
    const char **why)
{
	struct buf cur = BUF_INIT;
	size_t i = 0;
	int quoted;

	*nw = 0;
	for (;;) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n)
			return 0;
		if (*nw == STYLE_WORDS_MAX) {
			*why = "too many words";
			return -1;
		}
		buf_reset(&cur);
		buf_puts(&cur, "");
		quoted = line[i] == '"';
		for (i += quoted; i < n; i++) {
			if (!quoted && (line[i] == ' ' || line[i] == '\t'))
				break;
			if (quoted && line[i] == '"')
				break;
			if (quoted && line[i] == '\\' && i + 1 < n &&
			    (line[i + 1] == '"' || line[i + 1] == '\\'))
				i++;
			buf_append(&cur, line + i, 1);
		}
		if (quoted && i++ == n) {
			buf_free(&cur);
			*why = "a quote is not closed";
			return -1;
		}
		w[(*nw)++] = buf_steal(&cur, NULL);
	}
}

/* "set KEY VALUE" into l; 0, or -1 with *why (static or in whybuf). */
static int
read_set(char **w, size_t nw, struct style_line *l, const char **why,
    char *whybuf, size_t whylen)
{
	const char *error;

	if (nw != 3) {
		*why = "set needs KEY VALUE (quote a value with blanks)";
		return -1;
	}
	if (listconf_find(w[1]) == NULL) {
		snprintf(whybuf, whylen, "unknown setting '%s'", w[1]);
		*why = whybuf;
		return -1;
	}
	if (listconf_check(w[1], w[2], &error) < 0) {
		snprintf(whybuf, whylen, "setting %s '%s': %s", w[1], w[2],
		    error);
		*why = whybuf;
		return -1;
	}
	l->kind = STYLE_SET;
	l->a = xstrdup(w[1]);
	l->b = xstrdup(w[2]);
	return 0;
}

/* "rule NAME ACTION COND [ARG] [--text TEXT]" into l. */
static int
read_rule(char **w, size_t nw, struct style_line *l, const char **why,
    char *whybuf, size_t whylen)
{
	const char *text = "", *arg = "", *error;

	if (nw >= 2 && strcmp(w[nw - 2], "--text") == 0) {
		text = w[nw - 1];
		nw -= 2;
	}
	if (nw < 4 || nw > 5) {
		*why = "rule needs NAME ACTION COND [ARG] [--text TEXT]";
		return -1;
	}
	if (nw == 5)
		arg = w[4];
	if (rules_name_check(w[1], &error) < 0 ||
	    rules_check(w[3], arg, w[2], &error) < 0 ||
	    (rules_text_check(text, &error) < 0 && (error = "its text"
	    " must be one line of at most 500 characters") != NULL)) {
		snprintf(whybuf, whylen, "rule '%s': %s", w[1], error);
		*why = whybuf;
		return -1;
	}
	l->kind = STYLE_RULE;
	l->a = xstrdup(w[1]);
	l->b = xstrdup(w[2]);
	l->c = xstrdup(w[3]);
	l->d = xstrdup(arg);
	l->text = xstrdup(text);
	return 0;
}

/* One line of content; 0, or -1 with *why. */
static int
read_line(const char *line, size_t n, struct style_line *l,
    const char **why, char *whybuf, size_t whylen)
{
	char *w[STYLE_WORDS_MAX];
	size_t nw = 0, i;
	int rc = -1;

	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 32 && line[i] != '\t') {
			*why = "control character";
			return -1;
		}
	if (words_split(line, n, w, &nw, why) < 0)
		goto out;
	if (strcmp(w[0], "set") == 0)
		rc = read_set(w, nw, l, why, whybuf, whylen);
	else if (strcmp(w[0], "rule") == 0)
		rc = read_rule(w, nw, l, why, whybuf, whylen);
	else {
		snprintf(whybuf, whylen, "unknown line '%s' (set or rule)",
		    w[0]);
		*why = whybuf;
	}
out:
	for (i = 0; i < nw; i++)
		free(w[i]);
	return rc;
}

/* Blank, or a comment? */
static int
is_empty(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	return i == n || line[i] == '#';
}

int
style_parse(const char *path, const char *text, size_t len, struct style *s,
    char **error_r)
{
	const char *p = text, *end = text + len, *nl, *why = NULL;
	char whybuf[256];
	struct style_line l;
	size_t n;
	int lineno;

	memset(s, 0, sizeof(*s));
	*error_r = NULL;
	for (lineno = 1; p < end; lineno++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (is_empty(p, n))
			continue;
		memset(&l, 0, sizeof(l));
		l.lineno = lineno;
		if (n > STYLE_LINE_MAX)
			why = "line longer than 1024 bytes";
		else if (s->n == STYLE_LINES_MAX)
			why = "more than 100 lines of settings and rules";
		else if (memchr(p, '\0', n) != NULL)
			why = "NUL byte";
		if (why != NULL || read_line(p, n, &l, &why, whybuf,
		    sizeof(whybuf)) < 0) {
			*error_r = where_error(path, lineno, why);
			style_clear(s);
			return -1;
		}
		s->lines = xrealloc(s->lines, (s->n + 1) * sizeof(*s->lines));
		s->lines[s->n++] = l;
	}
	return 0;
}

/* A style's name: [a-z0-9-], 1 to STYLE_NAME_MAX. */
static int
name_ok(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n > 0 && n <= STYLE_NAME_MAX && name[n] == '\0';
}

int
style_load(const char *templates_dir, const char *name, struct style *s,
    char **error_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	char chunk[4096];
	size_t got;
	FILE *fp;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	*error_r = NULL;
	if (!name_ok(name))
		return 1;
	buf_printf(&path, "%s/styles/%s.style", templates_dir, name);
	if ((fp = fopen(path.data, "r")) == NULL) {
		if (errno == ENOENT)
			rc = 1;
		else
			*error_r = where_error(path.data, 0,
			    strerror(errno));
		goto out;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0 &&
	    text.len <= STYLE_FILE_MAX)
		buf_append(&text, chunk, got);
	if (ferror(fp) || text.len > STYLE_FILE_MAX)
		*error_r = where_error(path.data, 0, ferror(fp) ?
		    strerror(errno) : "larger than 64 KB");
	else
		rc = style_parse(path.data, text.data ? text.data : "",
		    text.len, s, error_r);
	fclose(fp);
out:
	buf_free(&path);
	buf_free(&text);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
style_names(const char *templates_dir, struct buf *out)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, i, len;
	DIR *d;

	buf_printf(&path, "%s/styles", templates_dir);
	d = opendir(path.data);
	buf_free(&path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 6 || strcmp(de->d_name + len - 6, ".style") != 0)
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n] = xstrdup(de->d_name);
		v[n++][len - 6] = '\0';
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_names);
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%s", i ? ", " : "", v[i]);
		free(v[i]);
	}
	free(v);
	return 0;
}

void
style_clear(struct style *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->lines[i].a);
		free(s->lines[i].b);
		free(s->lines[i].c);
		free(s->lines[i].d);
		free(s->lines[i].text);
	}
	free(s->lines);
	memset(s, 0, sizeof(*s));
}
