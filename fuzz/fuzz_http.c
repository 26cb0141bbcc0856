/*
 * fuzz_http.c — libFuzzer target for what the HTTP listener reads itself
 * (libmicrohttpd parses the request line, headers and form encoding):
 * the request path (http_path_token), the web token in it
 * (personal_web_parse, personal_verify), the form fields
 * (http_form_field), and the per-copy List-Unsubscribe rewrite of
 * personal_render over a body.
 *
 * Input: the first line is the path; the rest is cut at '&' into fields
 * "key=value" fed to http_form_field, and is also rendered as a
 * decorated copy.  Invariants besides the sanitizers: a token found lies
 * inside the path and has no '/'; a token that parses encodes back to
 * itself and verifies only when it is the member's own; http_form_field
 * only ever moves from HTTP_BAD to one choice; the rewritten copy keeps
 * everything after the List-Unsubscribe line byte for byte.
 *
 * Build: see the Makefile's fuzz rule (every module but the CLI's).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "personal.h"
#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LIST	"team@example.org"

static void
fuzz_init(void)
{
	static int done;
	char dir[] = "/tmp/postino-fuzz-http-XXXXXX", path[64], *error;

	if (done)
		return;
	log_init("fuzz", LOG_L_WARN + 1);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/key", dir);
	if (token_init(path, &error) < 0)
		abort();
	if (unlink(path) < 0 || rmdir(dir) < 0)
		abort();
	personal_set_public_url("https://lists.example.org/postino/");
	done = 1;
}

static void
fuzz_path(const char *path)
{
	struct buf again = BUF_INIT;
	char mac[TOKEN_MAC_LEN + 1];
	const char *tok;
	size_t len;
	int64_t id;

	if ((tok = http_path_token(path, &len)) == NULL)
		return;
	if (tok < path || tok + len != path + strlen(path) ||
	    memchr(tok, '/', len) != NULL)
		abort();
	if (personal_web_parse(tok, len, &id, mac) < 0)
		return;
	personal_web_token(LIST, id, &again);
	if (again.len != len)
		abort();
	/* Only the member's own MAC verifies. */
	if ((personal_verify(LIST, PERSONAL_WEB, id, NULL, mac) == 0) !=
	    (memcmp(again.data, tok, len) == 0))
		abort();
	buf_free(&again);
}

static void
fuzz_form(const char *s)
{
	enum http_what what = HTTP_BAD, before;
	char *copy = strdup(s), *field, *save = NULL, *eq;

	for (field = strtok_r(copy, "&", &save); field != NULL;
	    field = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(field, '=')) == NULL)
			continue;
		*eq++ = '\0';
		before = what;
		if (http_form_field(field, eq, strlen(eq), &what) < 0) {
			if (what != before)
				abort();
		} else if (before != HTTP_BAD && what != before)
			abort();
	}
	free(copy);
}

static void
fuzz_render(const char *body, size_t len)
{
	struct buf out = BUF_INIT;
	const char *hend = memmem(body, len, "\r\n\r\n", 4);
	size_t tail;

	personal_render(body, len, LIST, "+", 42, 7, "t@x", &out);
	/* Everything from the header's end on is the input's, unchanged
	 * (no marker is in a fuzzed body but by chance: then skip). */
	if (hend != NULL && memchr(body, '#', len) == NULL) {
		tail = len - (size_t)(hend - body);
		if (out.len < tail || memcmp(out.data + out.len - tail, hend,
		    tail) != 0)
			abort();
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;

	fuzz_init();
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_render(s, size);
	if (strlen(s) == size) {
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		fuzz_path(s);
		if (nl != NULL)
			fuzz_form(nl);
	}
	free(s);
	return 0;
}
