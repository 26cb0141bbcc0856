/*
 * fuzz_reply.c — libFuzzer target for what request.c reads in a reply
 * to one of our notices: the token tag of its Subject
 * (request_subject_token) and a moderator's decision on the first line
 * of his own words (request_decision).
 *
 * The input up to the first newline (NULs cut it short, as in a C
 * string) is the Subject; all of the input is the text, without a NUL
 * at its end, so that a read past it shows.  Invariants checked besides
 * the sanitizers: a token found is exactly REQUEST_TOKEN_LEN lower-case
 * base32 characters, appears (up to case) in the Subject after its first
 * '[', and
 * is found again in its own tag; a decision is one of the enum, its
 * reason and line are NUL-terminated within their arrays, an undecided
 * reply has no reason, and the line read occurs in the text.
 *
 * Build: `make build/fuzz/fuzz_reply` (it links build/fuzz/libpostino.a);
 * `make fuzz FUZZTIME=S` builds and runs every target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_token(const char *subject)
{
	char tok[REQUEST_TOKEN_LEN + 1], again[REQUEST_TOKEN_LEN + 1];
	char tag[REQUEST_TOKEN_LEN + 16];
	const char *p;
	size_t i;

	if (!request_subject_token(subject, tok))
		return;
	if (strlen(tok) != REQUEST_TOKEN_LEN ||
	    strspn(tok, "abcdefghijklmnopqrstuvwxyz234567") !=
	    REQUEST_TOKEN_LEN)
		abort();
	if ((p = strchr(subject, '[')) == NULL)
		abort();
	for (i = 0; p[i] != '\0'; i++)
		if (strncasecmp(p + i, tok, REQUEST_TOKEN_LEN) == 0)
			break;
	if (p[i] == '\0')
		abort();
	memcpy(tag, "[postino:", 9);
	memcpy(tag + 9, tok, REQUEST_TOKEN_LEN);
	memcpy(tag + 9 + REQUEST_TOKEN_LEN, "]", 2);
	if (!request_subject_token(tag, again) || strcmp(tok, again) != 0)
		abort();
}

static void
check_decision(const uint8_t *data, size_t size)
{
	struct request_decided d;
	enum request_decision what;
	char *text = malloc(size > 0 ? size : 1);

	if (text == NULL)
		return;
	memcpy(text, data, size);
	what = request_decision(text, size, &d);
	if (what != d.what || what > REQUEST_DISCARD)
		abort();
	if (memchr(d.reason, '\0', sizeof(d.reason)) == NULL ||
	    memchr(d.line, '\0', sizeof(d.line)) == NULL)
		abort();
	if (what == REQUEST_UNDECIDED && d.reason[0] != '\0')
		abort();
	if (d.line[0] != '\0' && strchr(d.line, '\0') - d.line < 64 &&
	    memmem(text, size, d.line, strlen(d.line)) == NULL)
		abort();
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - data) : size;
	char *subject = malloc(n + 1);

	if (subject == NULL)
		return 0;
	memcpy(subject, data, n);
	subject[n] = '\0';
	check_token(subject);
	free(subject);
	check_decision(data, size);
	return 0;
}
