/*
 * test_style.c — the style files of `list create --style` (style.c):
 * a table of texts with the error each must give (file and line number
 * included) or the lines it must yield, and every shipped style under
 * templates/styles/ read as list create reads it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "style.h"

static const struct {
	const char	*label;
	const char	*text;
	const char	*error;		/* NULL: parses */
	size_t		 n;		/* lines read when it parses */
} cases[] = {
	{ "empty", "", NULL, 0 },
	{ "comments and blanks", "# a style\n\n   \n\t# indented\n", NULL, 0 },
	{ "set", "set moderated yes\n", NULL, 1 },
	{ "set quoted", "set digest_schedule \"daily 07:30\"\n", NULL, 1 },
	{ "set empty value", "set archive_url \"\"\n", NULL, 1 },
	{ "crlf, no final newline", "set moderated yes\r\nset footer no",
	    NULL, 2 },
	{ "rule", "rule owners accept sender owner\n", NULL, 1 },
	{ "rule without arg", "rule stop hold all\n", NULL, 1 },
	{ "rule with text", "rule big reject size 1M --text \"Too big, "
	    "\\\"sorry\\\"\"\n", NULL, 1 },
	{ "both", "# x\nset moderated yes\nrule a hold all\n", NULL, 2 },
	{ "unknown keyword", "\n\nallow everyone\n",
	    "t.style:3: unknown line 'allow' (set or rule)", 0 },
	{ "unknown setting", "set moderaetd yes\n",
	    "t.style:1: unknown setting 'moderaetd'", 0 },
	{ "bad value", "# c\nset moderated maybe\n",
	    "t.style:2: setting moderated 'maybe': ", 0 },
	{ "set without value", "set moderated\n",
	    "t.style:1: set needs KEY VALUE", 0 },
	{ "set unquoted blanks", "set digest_schedule daily 07:30\n",
	    "t.style:1: set needs KEY VALUE", 0 },
	{ "open quote", "set description \"half\n",
	    "t.style:1: a quote is not closed", 0 },
	{ "rule short", "set moderated yes\nrule a hold\n",
	    "t.style:2: rule needs NAME ACTION COND [ARG] [--text TEXT]", 0 },
	{ "rule bad name", "rule a/b hold all\n",
	    "t.style:1: rule 'a/b': a rule name is 1 to 64", 0 },
	{ "rule bad action", "rule a drop all\n",
	    "t.style:1: rule 'a': unknown action", 0 },
	{ "rule bad condition", "rule a hold sender owners\n",
	    "t.style:1: rule 'a': sender must be nonmember, member,"
	    " moderated, owner, moderator", 0 },
	{ "rule discard member", "rule a discard sender member\n",
	    "t.style:1: rule 'a': discard may only drop", 0 },
	{ "rule too many words", "rule a hold sender member extra\n",
	    "t.style:1: rule needs NAME", 0 },
	{ "too many words", "set a b c d e f g h i\n",
	    "t.style:1: too many words", 0 },
	{ "control character", "set description \"a\001b\"\n",
	    "t.style:1: control character", 0 },
	{ "NUL byte", "set moderated yes\nset footer n\0o\n",
	    "t.style:2: NUL byte", 0 },
};

static void
test_table(void **state)
{
	struct style s;
	char *error;
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].text);
		if (strcmp(cases[i].label, "NUL byte") == 0)
			len = sizeof("set moderated yes\nset footer n\0o\n") - 1;
		rc = style_parse("t.style", cases[i].text, len, &s, &error);
		if (cases[i].error == NULL) {
			if (rc != 0)
				fail_msg("%s: %s", cases[i].label, error);
			if (s.n != cases[i].n)
				fail_msg("%s: %zu lines", cases[i].label, s.n);
		} else if (rc == 0 || strncmp(error, cases[i].error,
		    strlen(cases[i].error)) != 0)
			fail_msg("%s: got '%s'", cases[i].label,
			    rc == 0 ? "(parsed)" : error);
		else if (s.n != 0)
			fail_msg("%s: lines left after an error", cases[i].label);
		free(error);
		style_clear(&s);
	}
}

/* What a rule line and a set line come to. */
static void
test_fields(void **state)
{
	const char *text = "set digest_schedule \"weekly mon 08:00\"\n"
	    "rule big reject size 1M --text \"say \\\"no\\\" \\\\ there\"\n"
	    "rule all-hold hold all\n";
	struct style s;
	char *error = NULL;

	(void)state;
	assert_int_equal(style_parse("x", text, strlen(text), &s, &error), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.lines[0].kind, STYLE_SET);
	assert_int_equal(s.lines[0].lineno, 1);
	assert_string_equal(s.lines[0].a, "digest_schedule");
	assert_string_equal(s.lines[0].b, "weekly mon 08:00");
	assert_int_equal(s.lines[1].kind, STYLE_RULE);
	assert_string_equal(s.lines[1].a, "big");
	assert_string_equal(s.lines[1].b, "reject");
	assert_string_equal(s.lines[1].c, "size");
	assert_string_equal(s.lines[1].d, "1M");
	assert_string_equal(s.lines[1].text, "say \"no\" \\ there");
	assert_string_equal(s.lines[2].d, "");
	assert_string_equal(s.lines[2].text, "");
	assert_int_equal(s.lines[2].lineno, 3);
	style_clear(&s);
}

/* A text of more than STYLE_LINES_MAX lines of content, and a line too
 * long, are refused where they go wrong. */
static void
test_limits(void **state)
{
	struct buf b = BUF_INIT;
	struct style s;
	char *error = NULL;
	int i;

	(void)state;
	for (i = 0; i <= STYLE_LINES_MAX; i++)
		buf_printf(&b, "rule r%d hold all\n", i);
	assert_int_equal(style_parse("x", b.data, b.len, &s, &error), -1);
	assert_string_equal(error, "x:101: more than 100 lines of settings"
	    " and rules");
	free(error);
	buf_reset(&b);
	buf_puts(&b, "set description \"");
	for (i = 0; i < 1100; i++)
		buf_puts(&b, "a");
	buf_puts(&b, "\"\n");
	assert_int_equal(style_parse("x", b.data, b.len, &s, &error), -1);
	assert_string_equal(error, "x:1: line longer than 1024 bytes");
	free(error);
	buf_free(&b);
}

/* The shipped styles read, by name, from the templates. */
static void
test_shipped(void **state)
{
	static const char *const names[] = { "announce", "discussion",
	    "moderated", "private" };
	struct buf list = BUF_INIT;
	struct style s;
	char *error = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		if (style_load("templates", names[i], &s, &error) != 0)
			fail_msg("%s: %s", names[i], error ? error : "missing");
		style_clear(&s);
	}
	assert_int_equal(style_load("templates", "announce", &s, &error), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.lines[1].c, "sender");
	assert_string_equal(s.lines[1].d, "owner");
	style_clear(&s);
	assert_int_equal(style_load("templates", "chatty", &s, &error), 1);
	assert_null(error);
	assert_int_equal(style_load("templates", "../en/help", &s, &error), 1);
	assert_int_equal(style_load("templates", "", &s, &error), 1);
	assert_int_equal(style_names("templates", &list), 0);
	assert_string_equal(list.data, "announce, discussion, moderated,"
	    " private");
	buf_free(&list);
	assert_int_equal(style_names("/nonexistent", &list), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_shipped),
	};

	log_init("test_style", LOG_L_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
