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

/* The address of action for member in out (same length as its marker),
 * at the place of the marker in body: parses and verifies. */
static void
check_link(const char *body, const char *mark, const char *out,
    char action, int64_t member, const char *thread)
{
	const char *at = strstr(body, mark), *ext, *mac;
	char got[256];
	size_t n = strlen(mark);
	int64_t id, post;

	assert_non_null(at);
	assert_true(n < sizeof(got));
	memcpy(got, out + (at - body), n);
	got[n] = '\0';
	assert_null(strchr(got, '#'));
	*strchr(got, '@') = '\0';
	assert_non_null(ext = strchr(got, '+'));
	assert_int_equal(ext[1], action);
	assert_int_equal(personal_parse(action, ext + 3, &id, &post, &mac), 0);
	assert_int_equal(id, member);
	assert_int_equal(personal_verify(LIST, action, id, thread, mac), 0);
	assert_int_equal(personal_verify(LIST, action, id + 1, thread, mac),
	    -1);
}

static void
test_render_links(void **state)
{
	static const char actions[] = { PERSONAL_LEAVE, PERSONAL_DIGEST,
	    PERSONAL_MUTE };
	struct buf mark[3], body = BUF_INIT, out = BUF_INIT, other = BUF_INIT;
	struct personal_plan plan;
	const char *lu;
	size_t i, k;

	(void)state;
	personal_set_public_url("");
	for (i = 0; i < 3; i++) {
		buf_init(&mark[i]);
		assert_int_equal(personal_marker(LIST, "+", actions[i],
		    &mark[i]), 0);
	}
	/* A marker inside the List-Unsubscribe line too: the line goes
	 * whole.  The leave marker twice, the others once. */
	buf_printf(&body, "From: a@example.net\r\nList-Unsubscribe: "
	    "<mailto:%s>\r\nSubject: hi\r\n\r\nleave: %s\r\n"
	    "digest: %s\r\nmute: %s\r\nleave again: %s", mark[0].data,
	    mark[0].data, mark[1].data, mark[2].data, mark[0].data);
	personal_plan(body.data, body.len, LIST, "+", &plan);
	assert_int_equal(plan.nspots, 4);
	personal_plan_render(&plan, 9, 5, "thread-1", &out);
	personal_plan_render(&plan, 10, 5, "thread-1", &other);
	personal_plan_free(&plan);
	/* Every byte but the links and the List-Unsubscribe line is kept:
	 * compare from the blank line on, where lengths match. */
	lu = strstr(out.data, "\r\n\r\n");
	assert_non_null(lu);
	k = (size_t)(lu - out.data);
	assert_int_equal(out.len - k, body.len - (size_t)(strstr(body.data,
	    "\r\n\r\n") - body.data));
	for (i = 0; i < 3; i++)
		check_link(strstr(body.data, "\r\n\r\n"), mark[i].data, lu,
		    actions[i], 9, i == 2 ? "thread-1" : "");
	check_link(strstr(body.data, "again: "), mark[0].data,
	    lu + (strstr(body.data, "again: ") - strstr(body.data,
	    "\r\n\r\n")), PERSONAL_LEAVE, 9, "");
	assert_null(strchr(out.data, '#'));
	assert_non_null(strstr(out.data, "\r\nList-Unsubscribe: <mailto:"
	    "team+u-aaaaaaaj-"));		/* member 9's own, once */
	assert_non_null(strstr(other.data, "team+u-aaaaaaak-"));
	assert_null(strstr(other.data, "team+u-aaaaaaaj-"));
	/* Without markers nor the header: the body as it is. */
	personal_plan("a\r\n\r\nb#", 7, LIST, "+", &plan);
	personal_plan_render(&plan, 9, 5, NULL, &out);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.data, "a\r\n\r\nb#", 7);
	personal_plan_free(&plan);
	for (i = 0; i < 3; i++)
		buf_free(&mark[i]);
	buf_free(&body);
	buf_free(&out);
	buf_free(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_token),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_web_token),
		cmocka_unit_test(test_render_header),
		cmocka_unit_test(test_render_links),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
