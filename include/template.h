/*
 * template.h — every text postino sends lives in templates/<lang>/NAME.txt.
 *
 * File format: the first line is "Subject: ..." (may be empty for pieces
 * such as the footer, which then start with their body directly after the
 * line "Subject:"), a blank line, then the UTF-8 body.  {{name}} is a
 * placeholder; "{{{{" writes a literal "{{".  A list may override a
 * template with a file of the same name in its own directory.
 *
 * Each template name has a fixed set of placeholders (template.c); a
 * template that is missing or uses an unknown placeholder is an error at
 * start-up (template_check), never a blank mail.
 */
#ifndef POSTINO_TEMPLATE_H
#define POSTINO_TEMPLATE_H

#include <stddef.h>

struct buf;

struct template {
	char	*subject;	/* "" when the file has none */
	char	*body;
};

struct tvar {
	const char	*name;
	const char	*value;
};

/*
 * Load NAME for language lang: override_dir/NAME.txt when override_dir is
 * not NULL and the file exists, else dir/lang/NAME.txt, else dir/en/NAME.txt.
 * Returns 0, or -1 with a malloc'd message in *error_r.
 */
int	 template_load(const char *dir, const char *override_dir,
	    const char *lang, const char *name, struct template *,
	    char **error_r);
void	 template_clear(struct template *);

/* Expand {{name}} from vars into out.  An unknown name is an error
 * (-1, malloc'd *error_r); nothing is silently left blank. */
int	 template_render(const char *text, const struct tvar *vars, size_t n,
	    struct buf *out, char **error_r);

/* Check that every known template exists in every language directory
 * under dir and uses only its own placeholders.  0 ok, -1 with message. */
int	 template_check(const char *dir, char **error_r);

#endif
