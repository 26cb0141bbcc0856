/*
 * test_template.c — loading (language fall-back, list override), the
 * file format, rendering and its errors, and template_check on both a
 * scratch tree and the real templates/ directory.  Run from the
 * repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "template.h"

static char root[64];

static void
put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	char path[256];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/postino-tpl-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/en", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/it", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/over", root);
	mkdir(path, 0700);
	put("en/footer.txt", "Subject:\n\nPost to {{list_addr}}.\n");
	put("it/footer.txt", "Subject:\r\n\r\nScrivi a {{ list_addr }}.\r\n");
	put("en/welcome.txt", "Subject: Welcome to {{list_addr}}\n\nHi\n");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_load(void **state)
{
	struct template t;
	char *err = NULL;

	(void)state;
	assert_int_equal(template_load(root, NULL, "it", "footer", &t, &err), 0);
	assert_string_equal(t.subject, "");
	assert_string_equal(t.body, "Scrivi a {{ list_addr }}.\n");
	template_clear(&t);
	/* Missing in "it": falls back to "en". */
	assert_int_equal(template_load(root, NULL, "it", "welcome", &t, &err),
	    0);
	assert_string_equal(t.subject, "Welcome to {{list_addr}}");
	assert_string_equal(t.body, "Hi\n");
	template_clear(&t);
	/* Unknown language: "en". */
	assert_int_equal(template_load(root, NULL, "fr", "footer", &t, &err), 0);
	assert_string_equal(t.body, "Post to {{list_addr}}.\n");
	template_clear(&t);
}

static void
test_override(void **state)
{
	char dir[128];
	struct template t;
	char *err = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/over", root);
	put("over/footer.txt", "Subject:\n\nOur own footer\n");
	assert_int_equal(template_load(root, dir, "it", "footer", &t, &err), 0);
	assert_string_equal(t.body, "Our own footer\n");
	template_clear(&t);
	/* Not overridden: the language file. */
	assert_int_equal(template_load(root, dir, "en", "welcome", &t, &err), 0);
	assert_string_equal(t.body, "Hi\n");
	template_clear(&t);
}

static const struct {
	const char	*label;
	const char	*file;
	const char	*want;	/* substring of the error */
} load_errors[] = {
	{ "missing", NULL, "template 'nothere' not found" },
	{ "no subject line", "Hello\n\nbody\n", "first line must be" },
	{ "no blank line", "Subject: x\nbody\n", "a blank line must follow" },
	{ "path in name", NULL, "bad template name" },
};

static void
test_load_errors(void **state)
{
	struct template t;
	char *err = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(load_errors) / sizeof(load_errors[0]); i++) {
		const char *name = i == 0 ? "nothere" : i == 3 ? "../x" : "bad";

		if (load_errors[i].file != NULL)
			put("en/bad.txt", load_errors[i].file);
		assert_int_equal(template_load(root, NULL, "en", name, &t, &err),
		    -1);
		if (strstr(err, load_errors[i].want) == NULL)
			fail_msg("%s: got %s", load_errors[i].label, err);
		free(err);
	}
}

/* Write n bytes (NULs too) as root/rel. */
static void
put_bytes(const char *rel, const char *data, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Line ends as the reader makes them, across its 4096-byte chunks; a NUL
 * and a file over 64 KB are refused. */
static void
test_load_bytes(void **state)
{
	static char big[70 * 1024];
	struct template t;
	char *err = NULL;
	size_t i;

	(void)state;
	/* "Subject: s\r\n\r\n", then x up to offset 4095, where a CR ends
	 * the first chunk and its LF starts the next; a lone CR at 5000. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "Subject: s\r\n\r\n", 14);
	big[4095] = '\r';
	big[4096] = '\n';
	big[5000] = '\r';
	put_bytes("en/bytes.txt", big, 6000);
	assert_int_equal(template_load(root, NULL, "en", "bytes", &t, &err),
	    0);
	assert_string_equal(t.subject, "s");
	assert_null(strchr(t.body, '\r'));
	assert_int_equal(t.body[4095 - 14], '\n');
	assert_int_equal(t.body[4096 - 14], 'x');
	assert_int_equal(t.body[5000 - 15], '\n');
	assert_int_equal(strlen(t.body), 6000 - 14 - 1);
	template_clear(&t);
	big[100] = '\0';
	put_bytes("en/bytes.txt", big, 6000);
	assert_int_equal(template_load(root, NULL, "en", "bytes", &t, &err),
	    -1);
	assert_non_null(strstr(err, "NUL byte in template"));
	free(err);
	big[100] = 'x';
	for (i = 0; i < sizeof(big); i++)
		if (big[i] == '\r')
			big[i] = 'x';
	put_bytes("en/bytes.txt", big, sizeof(big));
	assert_int_equal(template_load(root, NULL, "en", "bytes", &t, &err),
	    -1);
	assert_non_null(strstr(err, "template too large"));
	free(err);
}

static const struct {
	const char	*label;
	const char	*text;
	const char	*want;		/* output, or error substring */
	int		 ok;
} render_cases[] = {
	{ "plain", "no placeholders", "no placeholders", 1 },
	{ "one", "to {{list_addr}}.", "to team@example.org.", 1 },
	{ "spaces", "to {{ list_addr }}", "to team@example.org", 1 },
	{ "twice", "{{list_addr}}{{list_addr}}",
	    "team@example.orgteam@example.org", 1 },
	{ "null value", "[{{archive_url}}]", "[]", 1 },
	{ "escape", "{{{{list_addr}}", "{{list_addr}}", 1 },
	{ "single brace", "a { b } c", "a { b } c", 1 },
	{ "unknown", "{{nope}}", "unknown placeholder {{nope}}", 0 },
	{ "unterminated", "hi {{list_addr", "unterminated placeholder", 0 },
	{ "empty", "{{}}", "bad placeholder", 0 },
	{ "bad chars", "{{a-b}}", "bad placeholder", 0 },
};

static void
test_render(void **state)
{
	static const struct tvar vars[] = {
		{ "list_addr", "team@example.org" },
		{ "archive_url", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		struct buf out = BUF_INIT;
		char *err = NULL;
		int r;

		r = template_render(render_cases[i].text, vars, 2, &out, &err);
		if (render_cases[i].ok) {
			if (r != 0)
				fail_msg("%s: %s", render_cases[i].label, err);
			buf_puts(&out, "");
			assert_string_equal(out.data, render_cases[i].want);
		} else {
			assert_int_equal(r, -1);
			if (strstr(err, render_cases[i].want) == NULL)
				fail_msg("%s: got %s", render_cases[i].label, err);
			free(err);
		}
		buf_free(&out);
	}
}

/* A copy of the real templates, broken one way at a time. */
static const struct {
	const char	*label;
	const char	*file;		/* under root/check */
	const char	*text;		/* NULL: delete the file */
	const char	*want;		/* substring of the error */
} check_cases[] = {
	{ "unknown in body", "it/footer.txt", "Subject:\n\nScrivi a {{lista}}.\n",
	    "{{lista}}" },
	{ "unknown in subject", "en/goodbye.txt",
	    "Subject: Bye {{bad}}\n\nok\n", "en/goodbye.txt: unknown "
	    "placeholder {{bad}}" },
	{ "subject on a piece", "it/footer.txt", "Subject: x\n\nok\n",
	    "takes no Subject" },
	{ "subject on a line", "en/r_no_commands.txt", "Subject: x\n\nok\n",
	    "takes no Subject" },
	{ "mail without subject", "it/welcome.txt", "Subject:\n\nCiao\n",
	    "it/welcome.txt:1: this template needs a Subject" },
	{ "other template's name", "en/goodbye.txt",
	    "Subject: Bye\n\n{{token}}\n", "unknown placeholder {{token}}" },
	{ "common name in a line", "it/r_not_member.txt",
	    "Subject:\n\n{{list_addr}}\n", "unknown placeholder {{list_addr}}" },
	{ "missing in it", "it/r_token_used.txt", NULL,
	    "it/r_token_used.txt: missing template" },
	{ "missing in en", "en/help.txt", NULL, "en/help.txt: missing template" },
};

static void
test_check_scratch(void **state)
{
	char dir[128], cmd[512], path[256], *err = NULL;
	size_t i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/check", root);
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s' && "
		    "cp -R templates/en templates/it '%s'/", dir, dir, dir);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(template_check(dir, &err), 0);
		snprintf(path, sizeof(path), "check/%s", check_cases[i].file);
		if (check_cases[i].text != NULL)
			put(path, check_cases[i].text);
		else {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    check_cases[i].file);
			assert_int_equal(unlink(path), 0);
		}
		assert_int_equal(template_check(dir, &err), -1);
		if (strstr(err, check_cases[i].want) == NULL)
			fail_msg("%s: got %s", check_cases[i].label, err);
		free(err);
	}
}

static void
test_check_real(void **state)
{
	struct template t;
	struct buf out = BUF_INIT;
	static const struct tvar vars[] = {
		{ "list_addr", "team@example.org" },
		{ "help_addr", "team+help@example.org" },
		{ "unsubscribe_addr", "team+unsubscribe@example.org" },
		{ "owner_addr", "team+owner@example.org" },
	};
	char *err = NULL;

	(void)state;
	if (template_check("templates", &err) != 0)
		fail_msg("templates: %s", err);
	assert_int_equal(template_load("templates", NULL, "it", "footer", &t,
	    &err), 0);
	assert_int_equal(template_render(t.body, vars, 4, &out, &err), 0);
	assert_non_null(strstr(out.data, "team+unsubscribe@example.org"));
	assert_null(strstr(out.data, "{{"));
	buf_free(&out);
	template_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_bytes),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_check_scratch),
		cmocka_unit_test(test_check_real),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
