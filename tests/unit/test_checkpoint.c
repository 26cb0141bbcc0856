/*
 * test_checkpoint.c — the text of a signed checkpoint (checkpoint.c):
 * a table of lines the parser must accept or refuse, with the field it
 * names; format and parse round-trip; a signature made with a list's key
 * (token.c) verifies over the signed text and not with another list's
 * key; the PEM form of a public key.
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
#include "checkpoint.h"
#include "token.h"

#define HEAD	"60b63e017aac31eb824cd3db4811988455cf1e8027377c930d9d97b61194b571"
#define SIG	"P+YDmmmJWdLdI6fLrQ1dWso9sRnvMWGSab68Dfy6vJ9tmZULzwLRmUSFgqvK" \
		"NYjIuaC4VquqqC9zICuLb5nyDw=="
#define GOOD	"postino-checkpoint v1 team@example.org 5 " HEAD \
		" 2026-12-04T15:31:30Z " SIG

static const struct {
	const char	*label;
	const char	*in;
	const char	*error;		/* NULL: accepted */
} cases[] = {
	{ "good", GOOD, NULL },
	{ "newline and spaces around", "  " GOOD "\r\n", NULL },
	{ "empty log", "postino-checkpoint v1 a@b 0 " HEAD
	    " 1970-01-01T00:00:00Z " SIG, NULL },
	{ "empty", "", "not 7 fields separated by single spaces" },
	{ "two lines", GOOD "\n" GOOD, "not one line" },
	{ "NUL inside", "postino-checkpoint v1 a@b\0 5", "not one line" },
	{ "double space", "postino-checkpoint  v1 team@example.org 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG,
	    "not 7 fields separated by single spaces" },
	{ "tab separated", "postino-checkpoint\tv1 team@example.org 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG,
	    "not 7 fields separated by single spaces" },
	{ "extra field", GOOD " x", "not 7 fields separated by single spaces" },
	{ "wrong magic", "postino-checkpoinT v1 team@example.org 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG,
	    "does not start with postino-checkpoint" },
	{ "version 2", "postino-checkpoint v2 team@example.org 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG,
	    "unknown version (this postino reads v1)" },
	{ "no @", "postino-checkpoint v1 team 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad list address" },
	{ "upper-case list", "postino-checkpoint v1 Team@example.org 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad list address" },
	{ "two @", "postino-checkpoint v1 a@b@c 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad list address" },
	{ "non-ASCII list", "postino-checkpoint v1 caf\xc3\xa9@b 5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad list address" },
	{ "leading zero", "postino-checkpoint v1 a@b 05 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad count" },
	{ "negative count", "postino-checkpoint v1 a@b -5 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad count" },
	{ "huge count", "postino-checkpoint v1 a@b 9999999999999999999 " HEAD
	    " 2026-12-04T15:31:30Z " SIG, "bad count" },
	{ "short hash", "postino-checkpoint v1 a@b 5 60b63e"
	    " 2026-12-04T15:31:30Z " SIG,
	    "bad head hash (64 lower-case hex digits)" },
	{ "upper-case hash", "postino-checkpoint v1 a@b 5 "
	    "60B63E017AAC31EB824CD3DB4811988455CF1E8027377C930D9D97B61194B571"
	    " 2026-12-04T15:31:30Z " SIG,
	    "bad head hash (64 lower-case hex digits)" },
	{ "time without Z", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-12-04T15:31:30+00 " SIG, "bad time (YYYY-MM-DDTHH:MM:SSZ)" },
	{ "February 30", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-02-30T15:31:30Z " SIG, "bad time (YYYY-MM-DDTHH:MM:SSZ)" },
	{ "hour 25", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-12-04T25:31:30Z " SIG, "bad time (YYYY-MM-DDTHH:MM:SSZ)" },
	{ "before 1970", "postino-checkpoint v1 a@b 5 " HEAD
	    " 1969-12-31T23:59:59Z " SIG, "bad time (YYYY-MM-DDTHH:MM:SSZ)" },
	{ "unix time", "postino-checkpoint v1 a@b 5 " HEAD
	    " 1764862290 " SIG, "bad time (YYYY-MM-DDTHH:MM:SSZ)" },
	{ "signature cut", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-12-04T15:31:30Z P+YDmmmJ",
	    "bad signature (88 base64 characters)" },
	{ "signature without padding", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-12-04T15:31:30Z P+YDmmmJWdLdI6fLrQ1dWso9sRnvMWGSab68Dfy6"
	    "vJ9tmZULzwLRmUSFgqvKNYjIuaC4VquqqC9zICuLb5nyDw",
	    "bad signature (88 base64 characters)" },
	{ "signature url-safe", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-12-04T15:31:30Z P-YDmmmJWdLdI6fLrQ1dWso9sRnvMWGSab68Dfy6"
	    "vJ9tmZULzwLRmUSFgqvKNYjIuaC4VquqqC9zICuLb5nyDw==",
	    "bad signature (88 base64 characters)" },
	{ "signature with stray bits", "postino-checkpoint v1 a@b 5 " HEAD
	    " 2026-12-04T15:31:30Z P+YDmmmJWdLdI6fLrQ1dWso9sRnvMWGSab68Dfy6"
	    "vJ9tmZULzwLRmUSFgqvKNYjIuaC4VquqqC9zICuLb5nyDx==",
	    "bad signature (88 base64 characters)" },
};

static void
test_parse_table(void **state)
{
	struct checkpoint cp;
	const char *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error = NULL;
		rc = checkpoint_parse(cases[i].in, strlen(cases[i].in) +
		    (strcmp(cases[i].label, "NUL inside") == 0 ? 3 : 0), &cp,
		    &error);
		if (cases[i].error == NULL && rc != 0)
			fail_msg("%s: refused: %s", cases[i].label, error);
		if (cases[i].error != NULL && (rc != -1 || error == NULL ||
		    strcmp(error, cases[i].error) != 0))
			fail_msg("%s: got %s, want %s", cases[i].label,
			    rc == 0 ? "accepted" : error, cases[i].error);
	}
}

static void
test_roundtrip(void **state)
{
	struct buf out = BUF_INIT;
	struct checkpoint cp;
	const char *error;

	(void)state;
	assert_int_equal(checkpoint_parse(GOOD, strlen(GOOD), &cp, &error), 0);
	assert_string_equal(cp.list, "team@example.org");
	assert_int_equal(cp.count, 5);
	assert_int_equal(cp.time, 1796398290);
	assert_int_equal(cp.head[0], 0x60);
	checkpoint_format(&cp, &out);
	assert_string_equal(out.data, GOOD);
	buf_reset(&out);
	checkpoint_signed_text(&cp, &out);
	assert_int_equal(out.len, strlen(GOOD) - 89);
	assert_memory_equal(out.data, GOOD, out.len);
	buf_free(&out);
}

static void
test_sign_and_pem(void **state)
{
	char dir[] = "/tmp/test-checkpoint-XXXXXX", key[64], *error;
	struct buf text = BUF_INIT, pem = BUF_INIT;
	uint8_t pk[TOKEN_PK], pk2[TOKEN_PK], sig[TOKEN_SIG];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/key", dir);
	assert_int_equal(token_init(key, &error), 0);
	buf_puts(&text, "postino-checkpoint v1 a@b 0 " HEAD
	    " 2026-12-04T15:31:30Z");
	token_sign(7, text.data, text.len, sig);
	token_sign_pubkey(7, pk);
	token_sign_pubkey(8, pk2);
	assert_memory_not_equal(pk, pk2, TOKEN_PK);
	assert_int_equal(token_sign_verify(pk, text.data, text.len, sig), 0);
	assert_int_equal(token_sign_verify(pk2, text.data, text.len, sig), -1);
	text.data[30] ^= 1;
	assert_int_equal(token_sign_verify(pk, text.data, text.len, sig), -1);
	checkpoint_pem(pk, &pem);
	assert_true(strncmp(pem.data, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2Vw"
	    "AyEA", 42) == 0);
	assert_int_equal(pem.len, 27 + 61 + 25);
	token_shutdown();
	unlink(key);
	rmdir(dir);
	buf_free(&text);
	buf_free(&pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_sign_and_pem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
