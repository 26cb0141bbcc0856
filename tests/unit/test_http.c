/*
 * test_http.c — what the HTTP listener reads itself (http_page.c: the
 * request path, the form fields), the web token (personal.c), and the
 * member's own List-Unsubscribe written into each personalized copy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "personal.h"
#include "token.h"

#define LIST	"team@example.org"

static char keydir[64];

static int
setup(void **state)
{
	char path[128], *error = NULL;

	(void)state;
	log_init("test", LOG_L_WARN + 1);
	snprintf(keydir, sizeof(keydir), "/tmp/postino-test-http-XXXXXX");
	assert_non_null(mkdtemp(keydir));
	snprintf(path, sizeof(path), "%s/key", keydir);
	assert_int_equal(token_init(path, &error), 0);
	unlink(path);
	rmdir(keydir);
	return 0;
}

static void
test_path_token(void **state)
{
	static const struct {
		const char *path, *want;
	} rows[] = {
		{ "/u/abc", "abc" },
		{ "/postino/u/abc", "abc" },
		{ "/x/u/y/u/abc", "abc" },
		{ "/u/", NULL },
		{ "/u/abc/", NULL },
		{ "/u/abc/def", NULL },
		{ "/", NULL },
		{ "", NULL },
		{ "u/abc", NULL },
		{ "/uu/abc", NULL },
	};
	size_t i, len;
	const char *tok;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tok = http_path_token(rows[i].path, &len);
		if (rows[i].want == NULL) {
			assert_null(tok);
			continue;
		}
		assert_non_null(tok);
		assert_int_equal(len, strlen(rows[i].want));
		assert_memory_equal(tok, rows[i].want, len);
	}
}

static void
test_form_fields(void **state)
{
	static const struct {
		const char *k1, *v1, *k2, *v2;
		enum http_what want;
		int conflict;
	} rows[] = {
		{ "List-Unsubscribe", "One-Click", NULL, NULL, HTTP_LEAVE, 0 },
		{ "list-unsubscribe", "one-click", NULL, NULL, HTTP_LEAVE, 0 },
		{ "List-Unsubscribe", "One-Clicks", NULL, NULL, HTTP_BAD, 0 },
		{ "List-Unsubscribe", "", NULL, NULL, HTTP_BAD, 0 },
		{ "mode", "digest", NULL, NULL, HTTP_DIGEST, 0 },
		{ "mode", "nomail", NULL, NULL, HTTP_NOMAIL, 0 },
		{ "mode", "each", NULL, NULL, HTTP_BAD, 0 },
		{ "Mode", "digest", NULL, NULL, HTTP_BAD, 0 },
		{ "x", "y", "mode", "digest", HTTP_DIGEST, 0 },
		{ "mode", "digest", "mode", "digest", HTTP_DIGEST, 0 },
		{ "List-Unsubscribe", "One-Click", "mode", "digest",
		    HTTP_LEAVE, 1 },
	};
	enum http_what w;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		w = HTTP_BAD;
		assert_int_equal(http_form_field(rows[i].k1, rows[i].v1,
		    strlen(rows[i].v1), &w), 0);
		rc = 0;
		if (rows[i].k2 != NULL)
			rc = http_form_field(rows[i].k2, rows[i].v2,
			    strlen(rows[i].v2), &w);
		assert_int_equal(rc, rows[i].conflict ? -1 : 0);
		assert_int_equal(w, rows[i].want);
	}
}

static void
test_web_token(void **state)
{
	struct buf t = BUF_INIT, u = BUF_INIT;
	char mac[TOKEN_MAC_LEN + 1];
	int64_t id;

	(void)state;
	personal_web_token(LIST, 12345, &t);
	assert_int_equal(t.len, 8 + 1 + TOKEN_MAC_LEN);
	assert_int_equal(personal_web_parse(t.data, t.len, &id, mac), 0);
	assert_int_equal(id, 12345);
	assert_int_equal(personal_verify(LIST, PERSONAL_WEB, id, NULL, mac),
	    0);
	/* Another list, another member, another purpose: refused. */
	assert_int_equal(personal_verify("other@example.org", PERSONAL_WEB,
	    id, NULL, mac), -1);
	assert_int_equal(personal_verify(LIST, PERSONAL_WEB, 12346, NULL,
	    mac), -1);
	assert_int_equal(personal_verify(LIST, PERSONAL_LEAVE, id, NULL, mac),
	    -1);
	personal_web_token(LIST, 12346, &u);
	assert_string_not_equal(t.data, u.data);
	/* Shapes that are not a token. */
	assert_int_equal(personal_web_parse(t.data, t.len - 1, &id, mac), -1);
	t.data[8] = '_';
	assert_int_equal(personal_web_parse(t.data, t.len, &id, mac), -1);
	t.data[8] = '-';
	t.data[0] = 'A';
	assert_int_equal(personal_web_parse(t.data, t.len, &id, mac), -1);
	buf_free(&t);
	buf_free(&u);
}

static const char copy[] =
    "From: a@example.net\r\n"
    "List-Id: <team.example.org>\r\n"
    "List-Unsubscribe: <mailto:team+unsubscribe@example.org>\r\n"
    "Subject: hi\r\n"
    "\r\n"
    "List-Unsubscribe: <mailto:body@example.org>\r\n";

static void
test_render_header(void **state)
{
	struct buf out = BUF_INIT, tok = BUF_INIT, want = BUF_INIT;
	const char *lu;

	(void)state;
	/* Without a public URL: the member's own leave address only. */
	personal_set_public_url("");
	personal_render(copy, strlen(copy), LIST, "+", 7, 0, NULL, &out);
	assert_non_null(strstr(out.data, "\r\nList-Unsubscribe: <mailto:"
	    "team+u-aaaaaaah-"));
	assert_null(strstr(out.data, "List-Unsubscribe-Post"));
	assert_null(strstr(out.data, "team+unsubscribe@"));
	assert_non_null(strstr(out.data, "\r\n\r\nList-Unsubscribe: "
	    "<mailto:body@example.org>\r\n"));	/* the body: untouched */

	/* With one: the web link first, and RFC 8058's header. */
	personal_set_public_url("https://lists.example.org/postino/");
	personal_render(copy, strlen(copy), LIST, "+", 7, 0, NULL, &out);
	personal_web_token(LIST, 7, &tok);
	buf_printf(&want, "List-Unsubscribe: <https://lists.example.org/"
	    "postino/u/%s>,\r\n <mailto:team+u-aaaaaaah-", tok.data);
	assert_non_null(lu = strstr(out.data, want.data));
	assert_non_null(strstr(lu, "@example.org>\r\nList-Unsubscribe-Post: "
	    "List-Unsubscribe=One-Click\r\nSubject: hi\r\n\r\n"));
	/* A copy without the header (or without a header end) is kept. */
	personal_render("Subject: x\r\n\r\nb", 15, LIST, "+", 7, 0, NULL,
	    &out);
	assert_memory_equal(out.data, "Subject: x\r\n\r\nb", 15);
	personal_render("List-Unsubscribe: x", 19, LIST, "+", 7, 0, NULL,
	    &out);
	assert_int_equal(out.len, 19);
	personal_set_public_url("");
	buf_free(&out);
	buf_free(&tok);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_token),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_web_token),
		cmocka_unit_test(test_render_header),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
