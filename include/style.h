/*
 * style.h — the bundles of settings and rules that `postino list create
 * --style NAME` applies: templates/styles/NAME.style, one per style.
 *
 * A style file is read line by line:
 *   # a comment, and blank lines
 *   set KEY VALUE                       as `postino list set LIST KEY VALUE`
 *   rule NAME ACTION COND [ARG] [--text TEXT]
 *                                       as `postino rules LIST add ...`
 * Words are separated by blanks; "double quotes" hold blanks, with \" and
 * \\ inside.  Every line is checked as the command line checks it
 * (listconf_check, rules_check), so a style never applies half: a bad
 * line is an error naming the file and the line.
 */
#ifndef POSTINO_STYLE_H
#define POSTINO_STYLE_H

#include <stddef.h>

#include "buf.h"

#define STYLE_NAME_MAX	32	/* [a-z0-9-], the file's name */
#define STYLE_LINES_MAX	100

enum style_kind { STYLE_SET, STYLE_RULE };

struct style_line {
	enum style_kind	 kind;
	int		 lineno;
	/* set: a = KEY, b = VALUE; rule: a = NAME, b = ACTION, c = COND,
	 * d = ARG ("" for none), text ("" for none) */
	char		*a, *b, *c, *d, *text;
};

struct style {
	struct style_line	*lines;
	size_t			 n;
};

/*
 * Read a style from text[0..len) (path names it in errors).  0 with *s
 * filled (style_clear it), or -1 with a malloc'd *error_r
 * "path:LINE: what is wrong".
 */
int	 style_parse(const char *path, const char *text, size_t len,
	    struct style *s, char **error_r);
/* Read templates_dir/styles/NAME.style: 0, 1 no such style (a name that
 * is no style's, *error_r NULL), -1 with a malloc'd *error_r. */
int	 style_load(const char *templates_dir, const char *name,
	    struct style *s, char **error_r);
/* The names of the styles there, sorted, separated by ", ", into out;
 * 0, or -1 when the directory cannot be read. */
int	 style_names(const char *templates_dir, struct buf *out);
void	 style_clear(struct style *);

#endif
