/*
 * test_archive.c — the pieces of the archive that need no store: where a
 * post's page lives, --since dates, mboxrd framing and quoting, HTML
 * escaping, address hiding, thread order, replacing a file only when it
 * changed, and what msg_parts.h reads of hostile messages (parts, file
 * names, broken MIME, author names, parents).
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

#include "archive.h"
#include "buf.h"
#include "msg.h"
#include "msg_parts.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- paths and dates ------------------------------------------------ */

static const struct {
	const char	*label;
	int64_t		 id;
	time_t		 created;
	const char	*want;
} path_cases[] = {
	{ "epoch", 1, 0, "1970-01/1.html" },
	{ "last second of a year", 42, 1767225599, "2025-12/42.html" },
	{ "first second of a year", 43, 1767225600, "2026-01/43.html" },
	{ "leap day", 7, 1709164800, "2024-02/7.html" },
	{ "large id", INT64_MAX, 1700000000,
	    "2023-11/9223372036854775807.html" },
};

static void
test_page_path(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(path_cases); i++) {
		buf_reset(&b);
		buf_puts(&b, "prefix/");
		archive_page_path(path_cases[i].id, path_cases[i].created, &b);
		if (strcmp(b.data + 7, path_cases[i].want) != 0)
			fail_msg("%s: got %s", path_cases[i].label, b.data);
	}
	buf_free(&b);
}

static const struct {
	const char	*in;
	int		 ok;
	time_t		 want;
} date_cases[] = {
	{ "1970-01-01", 1, 0 },
	{ "2024-02-29", 1, 1709164800 },
	{ "2026-01-01", 1, 1767225600 },
	{ "2023-02-29", 0, 0 },
	{ "1900-02-29", 0, 0 },
	{ "2000-02-29", 1, 951782400 },
	{ "2024-13-01", 0, 0 },
	{ "2024-00-10", 0, 0 },
	{ "2024-04-31", 0, 0 },
	{ "2024-4-01", 0, 0 },
	{ "2024-04-01x", 0, 0 },
	{ "2024/04/01", 0, 0 },
	{ "1969-12-31", 0, 0 },
	{ "", 0, 0 },
	{ "yesterday", 0, 0 },
};

static void
test_date_parse(void **state)
{
	size_t i;
	time_t t;
	int rc;

	(void)state;
	for (i = 0; i < N(date_cases); i++) {
		t = 12345;
		rc = archive_date_parse(date_cases[i].in, &t);
		if ((rc == 0) != date_cases[i].ok)
			fail_msg("'%s': got %d", date_cases[i].in, rc);
		if (rc == 0 && t != date_cases[i].want)
			fail_msg("'%s': got %lld", date_cases[i].in,
			    (long long)t);
	}
}

/* ---- mboxrd --------------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*sender;
	time_t		 created;
	const char	*want;
} from_cases[] = {
	{ "plain", "alice@example.org", 0,
	    "From alice@example.org Thu Jan  1 00:00:00 1970\n" },
	{ "null sender", "", 1767225599,
	    "From MAILER-DAEMON Wed Dec 31 23:59:59 2025\n" },
	{ "blanks and controls", "\"a b\"@x\r\n.org", 1709164800,
	    "From \"a_b\"@x__.org Thu Feb 29 00:00:00 2024\n" },
};

static void
test_mbox_from(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(from_cases); i++) {
		buf_reset(&b);
		archive_mbox_from(from_cases[i].sender, from_cases[i].created,
		    &b);
		if (strcmp(b.data, from_cases[i].want) != 0)
			fail_msg("%s: got '%s'", from_cases[i].label, b.data);
	}
	buf_free(&b);
}

static const struct {
	const char	*label;
	const char	*in;
	const char	*want;
} mbox_cases[] = {
	{ "CRLF to LF", "A: b\r\n\r\nhi\r\n", "A: b\n\nhi\n\n" },
	{ "From quoted", "A: b\r\n\r\nFrom me\r\n", "A: b\n\n>From me\n\n" },
	{ ">From quoted again", "A: b\r\n\r\n>From x\r\n>>From y\r\n",
	    "A: b\n\n>>From x\n>>>From y\n\n" },
	{ "not a From line", "A: b\r\n\r\nFrom: x\r\nFromage\r\n>From\r\n"
	    " From x\r\n>x From y\r\n",
	    "A: b\n\nFrom: x\nFromage\n>From\n From x\n>x From y\n\n" },
	{ "no final newline", "A: b\r\n\r\nFrom end", "A: b\n\n>From end\n\n" },
	{ "empty", "", "\n" },
	{ "lone LF kept", "A: b\n\nx\n", "A: b\n\nx\n\n" },
	{ "CR inside a line kept", "A: b\r\n\r\nx\ry\r\n",
	    "A: b\n\nx\ry\n\n" },
	{ "8-bit kept", "A: b\r\n\r\n\xff\x80\x01\r\n",
	    "A: b\n\n\xff\x80\x01\n\n" },
};

static void
test_mbox_message(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(mbox_cases); i++) {
		buf_reset(&b);
		archive_mbox_message(mbox_cases[i].in,
		    strlen(mbox_cases[i].in), &b);
		if (b.len != strlen(mbox_cases[i].want) ||
		    memcmp(b.data, mbox_cases[i].want, b.len) != 0)
			fail_msg("%s: got '%.*s'", mbox_cases[i].label,
			    (int)b.len, b.data);
	}
	buf_free(&b);
}

/* A NUL byte is a byte like any other. */
static void
test_mbox_nul(void **state)
{
	static const char in[] = "A: b\r\n\r\nx\0y\r\n";
	static const char want[] = "A: b\n\nx\0y\n\n";
	struct buf b = BUF_INIT;

	(void)state;
	archive_mbox_message(in, sizeof(in) - 1, &b);
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

/* ---- escaping -------------------------------------------------------- */

static const struct {
	const char	*label;
	const char	*in;
	const char	*want;
} esc_cases[] = {
	{ "plain", "hello", "hello" },
	{ "script", "<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "attribute breakout", "\" onerror='x'",
	    "&quot; onerror=&#39;x&#39;" },
	{ "ampersand", "a&amp;b", "a&amp;amp;b" },
	{ "LF and TAB kept", "a\nb\tc", "a\nb\tc" },
	{ "controls", "a\rb\x01" "c\x7f" "d", "a b c d" },
	{ "C1 control", "a\xc2\x85" "b", "a b" },
	{ "UTF-8 kept", "Societ\xc3\xa0 \xe2\x98\x83 \xf0\x9f\x98\x80",
	    "Societ\xc3\xa0 \xe2\x98\x83 \xf0\x9f\x98\x80" },
	{ "invalid byte", "a\xff" "b", "a\xef\xbf\xbd" "b" },
	{ "overlong <", "\xc0\xbcscript", "\xef\xbf\xbd\xef\xbf\xbdscript" },
	{ "surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "non-character", "\xef\xbf\xbf", "\xef\xbf\xbd" },
	{ "truncated", "a\xe2\x98", "a\xef\xbf\xbd\xef\xbf\xbd" },
};

static void
test_escape(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(esc_cases); i++) {
		buf_reset(&b);
		archive_escape(esc_cases[i].in, strlen(esc_cases[i].in), &b);
		buf_puts(&b, "");
		if (strcmp(b.data, esc_cases[i].want) != 0)
			fail_msg("%s: got '%s'", esc_cases[i].label, b.data);
	}
	buf_free(&b);
}

static void
test_addr_shown(void **state)
{
	static const char *const cases[][2] = {
		{ "alice@example.org", "alice at example.org" },
		{ "\"a@b\"@example.org", "\"a@b\" at example.org" },
		{ "nodomain", "nodomain" },
		{ "", "" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		buf_reset(&b);
		archive_addr_shown(cases[i][0], &b);
		buf_puts(&b, "");
		assert_string_equal(b.data, cases[i][1]);
	}
	buf_free(&b);
}

/* ---- threads --------------------------------------------------------- */

#define NO	ARCHIVE_NONE
#define TMAX	8

static const struct {
	const char	*label;
	size_t		 n;
	size_t		 parent[TMAX];
	size_t		 order[TMAX];
	size_t		 depth[TMAX];
} thread_cases[] = {
	{ "empty", 0, { 0 }, { 0 }, { 0 } },
	{ "flat", 3, { NO, NO, NO }, { 0, 1, 2 }, { 0, 0, 0 } },
	{ "chain", 3, { NO, 0, 1 }, { 0, 1, 2 }, { 0, 1, 2 } },
	{ "two threads interleaved", 5, { NO, NO, 0, 1, 2 },
	    { 0, 2, 4, 1, 3 }, { 0, 0, 1, 1, 2 } },
	{ "siblings then a late reply to the first", 5, { NO, 0, 0, 1, 0 },
	    { 0, 1, 3, 2, 4 }, { 0, 1, 1, 2, 1 } },
	{ "a parent not before its reply is ignored", 3, { 2, NO, 2 },
	    { 0, 1, 2 }, { 0, 0, 0 } },
	{ "deep", 6, { NO, 0, 1, 2, 3, 0 }, { 0, 1, 2, 3, 4, 5 },
	    { 0, 1, 2, 3, 4, 1 } },
};

static void
test_thread_order(void **state)
{
	size_t order[TMAX], depth[TMAX], i, k;

	(void)state;
	for (i = 0; i < N(thread_cases); i++) {
		memset(order, 0xff, sizeof(order));
		archive_thread_order(thread_cases[i].parent, thread_cases[i].n,
		    order, depth);
		for (k = 0; k < thread_cases[i].n; k++)
			if (order[k] != thread_cases[i].order[k] ||
			    depth[k] != thread_cases[i].depth[k])
				fail_msg("%s: at %zu order %zu depth %zu",
				    thread_cases[i].label, k, order[k],
				    depth[k]);
	}
}

/* A long chain is walked without recursion. */
static void
test_thread_long_chain(void **state)
{
	size_t n = 200000, i, *parent, *order, *depth;

	(void)state;
	parent = xcalloc(n, sizeof(*parent));
	order = xcalloc(n, sizeof(*order));
	depth = xcalloc(n, sizeof(*depth));
	for (i = 0; i < n; i++)
		parent[i] = i == 0 ? NO : i - 1;
	archive_thread_order(parent, n, order, depth);
	for (i = 0; i < n; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(depth[i], i);
	}
	free(depth);
	free(order);
	free(parent);
}

/* ---- files ----------------------------------------------------------- */

static void
test_file_put(void **state)
{
	char dir[] = "/tmp/postino-archive-XXXXXX", path[64], cmd[96];
	struct stat st1, st2;
	FILE *fp;
	char got[16];
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/page.html", dir);
	assert_int_equal(archive_file_put(path, "one", 3), 1);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(archive_file_put(path, "one", 3), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);	/* left alone */
	assert_int_equal(archive_file_put(path, "two!", 4), 1);
	assert_int_equal(archive_file_put(path, "", 0), 1);
	assert_int_equal(archive_file_put(path, "", 0), 0);
	assert_int_equal(archive_file_put(path, "onf", 3), 1);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	n = fread(got, 1, sizeof(got), fp);
	fclose(fp);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "onf", 3);
	snprintf(path, sizeof(path), "%s/missing/page.html", dir);
	assert_int_equal(archive_file_put(path, "x", 1), -1);
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q tmp", dir);
	assert_int_not_equal(system(cmd), 0);	/* no temporary left */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- what msg_parts.h reads ------------------------------------------ */

#define HDR	"From: a@example.org\r\nSubject: s\r\nMessage-ID: <m@x>\r\n"
#define PMAX	4

struct part_want {
	const char	*type;
	const char	*filename;	/* NULL: none */
	size_t		 size;
	int		 attach;
	int		 broken;
};

static const struct {
	const char		*label;
	const char		*msg;
	int			 broken;
	size_t			 nparts;
	struct part_want	 parts[PMAX];
} part_cases[] = {
	{ "plain text", HDR "\r\nhello\r\n", 0, 1,
	    { { "text/plain", NULL, 7, 0, 0 } } },
	{ "attachment with a path", HDR
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	    "--b\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n",
	    0, 2, { { "text/plain", NULL, 2, 0, 0 },
	    { "application/octet-stream", "../../etc/passwd", 5, 1, 0 } } },
	{ "encoded name with markup and CR LF", HDR
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: image/png;\r\n name=\"=?utf-8?q?"
	    "=3Cscript=3E=0D=0Ax.png?=\"\r\n\r\nxyz\r\n--b--\r\n",
	    0, 1, { { "image/png", "<script>  x.png", 3, 1, 0 } } },
	{ "alternative: html is no attachment", HDR
	    "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	    "--b\r\n\r\nplain\r\n--b\r\nContent-Type: text/html\r\n\r\n"
	    "<b>x</b>\r\n--b--\r\n", 0, 2,
	    { { "text/plain", NULL, 5, 0, 0 },
	    { "text/html", NULL, 8, 0, 0 } } },
	{ "forwarded message is one leaf", HDR
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: z@x\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
	    "--c\r\n\r\nin\r\n--c--\r\n--b--\r\n", 0, 1,
	    { { "message/rfc822", NULL, 72, 1, 0 } } },
	{ "multipart without boundary", HDR
	    "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n", 1, 1,
	    { { "multipart/mixed", NULL, 13, 1, 0 } } },
	{ "unterminated multipart", HDR
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nhalf a message\r\n", 1, 1,
	    { { "text/plain", NULL, 16, 0, 0 } } },
	{ "boundary never seen", HDR
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\nno parts\r\n",
	    1, 0, { { NULL, NULL, 0, 0, 0 } } },
	{ "bad base64", HDR
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
	    "\r\n!!not*base64!!\r\n", 1, 1,
	    { { "text/plain", NULL, 16, 0, 1 } } },
	{ "base64 one char too many", HDR
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
	    "\r\naGVsbG8gd\r\n", 1, 1, { { "text/plain", NULL, 11, 0, 1 } } },
	{ "base64 data after padding", HDR
	    "Content-Transfer-Encoding: base64\r\n\r\naGk=aGk=\r\n", 1, 1,
	    { { "text/plain", NULL, 10, 0, 1 } } },
};

struct parts_got {
	size_t			 n;
	struct part_want	 p[PMAX];
	char			 names[PMAX][MSG_PART_TYPE_MAX];
};

static int
collect(const struct msg_part *mp, void *arg)
{
	struct parts_got *g = arg;

	if (g->n == PMAX)
		return 1;
	g->p[g->n].type = NULL;
	snprintf(g->names[g->n], sizeof(g->names[0]), "%s", mp->type);
	g->p[g->n].filename = mp->filename != NULL ? xstrdup(mp->filename) :
	    NULL;
	g->p[g->n].size = mp->size;
	g->p[g->n].attach = mp->attach;
	g->p[g->n].broken = mp->broken;
	g->n++;
	return 0;
}

static void
check_part(const char *label, size_t k, const struct part_want *want,
    const struct part_want *got, const char *type)
{
	if (strcmp(type, want->type) != 0 || got->size != want->size ||
	    got->attach != want->attach || got->broken != want->broken ||
	    (want->filename == NULL) != (got->filename == NULL) ||
	    (want->filename != NULL && strcmp(want->filename,
	    got->filename) != 0))
		fail_msg("%s: part %zu: %s '%s' %zu attach %d broken %d", label,
		    k, type, got->filename != NULL ? got->filename : "(none)",
		    got->size, got->attach, got->broken);
}

static void
test_parts(void **state)
{
	struct parts_got g;
	struct msg *m;
	const char *error, *why;
	size_t i, k;
	int rc;

	(void)state;
	for (i = 0; i < N(part_cases); i++) {
		if (msg_parse(part_cases[i].msg, strlen(part_cases[i].msg), &m,
		    &error) < 0)
			fail_msg("%s: %s", part_cases[i].label, error);
		memset(&g, 0, sizeof(g));
		rc = msg_parts_each(m, collect, &g, &why);
		if (rc != part_cases[i].broken || (rc == 1) != (why != NULL))
			fail_msg("%s: broken %d (%s)", part_cases[i].label, rc,
			    why != NULL ? why : "");
		if (g.n != part_cases[i].nparts)
			fail_msg("%s: %zu parts", part_cases[i].label, g.n);
		for (k = 0; k < g.n; k++) {
			check_part(part_cases[i].label, k,
			    &part_cases[i].parts[k], &g.p[k], g.names[k]);
			free((char *)g.p[k].filename);
		}
		msg_free(&m);
	}
}

static const struct {
	const char	*label;
	const char	*fields;
	const char	*name;
	const char	*parent;
} head_cases[] = {
	{ "bare address", "From: a@example.org\r\n", "", "" },
	{ "quoted name", "From: \"Ann <b>\" <a@example.org>\r\n", "Ann <b>",
	    "" },
	{ "encoded name", "From: =?utf-8?q?=3Cscript=3Ealert(1)?= "
	    "<a@example.org>\r\n", "<script>alert(1)", "" },
	{ "encoded CR LF", "From: =?utf-8?b?QQ0KQg==?= <a@example.org>\r\n",
	    "A  B", "" },
	{ "unknown charset", "From: =?x-nonsense?q?hi?= <a@example.org>\r\n",
	    NULL, "" },
	{ "in-reply-to first", "From: a@example.org\r\n"
	    "References: <r1@x> <r2@x>\r\nIn-Reply-To: <p@x> <q@x>\r\n", "",
	    "p@x" },
	{ "last of references", "From: a@example.org\r\n"
	    "References: <r1@x>\r\n <r2@x> <r3@x>\r\n", "", "r3@x" },
	{ "junk references", "From: a@example.org\r\nReferences: junk\r\n", "",
	    "" },
};

static void
test_author_and_parent(void **state)
{
	struct buf b = BUF_INIT;
	struct msg *m;
	const char *error;
	char *name, *parent;
	size_t i;

	(void)state;
	for (i = 0; i < N(head_cases); i++) {
		buf_reset(&b);
		buf_printf(&b, "%sSubject: s\r\n\r\nbody\r\n",
		    head_cases[i].fields);
		if (msg_parse(b.data, b.len, &m, &error) < 0)
			fail_msg("%s: %s", head_cases[i].label, error);
		name = msg_author_name(m);
		parent = msg_parent(m);
		if (head_cases[i].name != NULL)
			assert_string_equal(name, head_cases[i].name);
		assert_null(strpbrk(name, "\r\n"));
		assert_string_equal(parent, head_cases[i].parent);
		free(parent);
		free(name);
		msg_free(&m);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_path),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_mbox_from),
		cmocka_unit_test(test_mbox_message),
		cmocka_unit_test(test_mbox_nul),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_addr_shown),
		cmocka_unit_test(test_thread_order),
		cmocka_unit_test(test_thread_long_chain),
		cmocka_unit_test(test_file_put),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_author_and_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
