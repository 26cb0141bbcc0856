/*
 * test_token.c — base32, tokens, MACs and the master key file (token.c);
 * token rows, request counters and thread preferences (store_token.c).
 *
 * Each test runs in its own temporary directory with its own master key
 * and, for the store tests, its own database holding one list and one
 * member.  Rows are counted with plain SQL through the handle
 * (store_int.h), so a test sees what is really on disk.
 * Covers reliability.md §0.7 and §4.E cases 47 (case changed by an MTA)
 * and 48 (replay, expiry, clock skew, another list, truncated, extended
 * or random tokens).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "../../src/store_int.h"
#include "log.h"
#include "store.h"
#include "token.h"

#define NOW	((time_t)1700000000)
#define DAY	((time_t)86400)

struct fixture {
	char		 dir[64];
	char		 key[128];
	char		 db[128];
	struct store	*st;
	int64_t		 list_id;
	int64_t		 other_list;
	int64_t		 member_id;
};

/* ---- fixtures ----------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_key(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *error = NULL;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/postino-test-token-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->key, sizeof(f->key), "%s/secret/key", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	if (token_init(f->key, &error) < 0)
		fail_msg("token_init: %s", error);
	*state = f;
	return 0;
}

static int
setup_store(void **state)
{
	struct fixture *f;
	const char *error = NULL;

	setup_key(state);
	f = *state;
	assert_int_equal(store_open(f->db, STORE_DURABLE, &f->st, &error), 0);
	assert_int_equal(store_list_create(f->st, "team@example.org",
	    &f->list_id), 0);
	assert_int_equal(store_list_create(f->st, "other@example.org",
	    &f->other_list), 0);
	assert_int_equal(store_member_add(f->st, f->list_id,
	    "Ann@Example.org", MODE_EACH, &f->member_id), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(&f->st);
	token_shutdown();
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* The single integer a query returns. */
static int64_t
q(struct store *st, const char *sql)
{
	struct db_stmt *stmt = db_query(st->db, sql, "");
	int64_t v;

	assert_non_null(stmt);
	assert_int_equal(db_step(stmt), DB_ROW);
	v = db_col_int64(stmt, 0);
	db_reset(stmt);
	return v;
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int
all_base32(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz234567", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	return s[n] == '\0';
}

/* ---- base32 ------------------------------------------------------- */

/* RFC 4648 §10, lower case, without the padding. */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*want;
} b32_vectors[] = {
	{ "", 0, "" },
	{ "f", 1, "my" },
	{ "fo", 2, "mzxq" },
	{ "foo", 3, "mzxw6" },
	{ "foob", 4, "mzxw6yq" },
	{ "fooba", 5, "mzxw6ytb" },
	{ "foobar", 6, "mzxw6ytboi" },
	{ "\xff\xff\xff\xff\xff", 5, "77777777" },
	{ "\0\0\0\0\0", 5, "aaaaaaaa" },
	{ "\0", 1, "aa" },
};

static void
test_base32_vectors(void **state)
{
	char enc[64], upper[64];
	uint8_t dec[64];
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(b32_vectors) / sizeof(*b32_vectors); i++) {
		n = b32_vectors[i].len;
		base32_encode((const uint8_t *)b32_vectors[i].in, n, enc);
		assert_string_equal(enc, b32_vectors[i].want);
		assert_int_equal(strlen(enc), BASE32_LEN(n));
		for (j = 0; enc[j] != '\0'; j++)
			upper[j] = (char)toupper((unsigned char)enc[j]);
		upper[j] = '\0';
		assert_int_equal(base32_decode(enc, j, dec, n), (int)n);
		assert_memory_equal(dec, b32_vectors[i].in, n);
		assert_int_equal(base32_decode(upper, j, dec, n), (int)n);
		assert_memory_equal(dec, b32_vectors[i].in, n);
	}
}

/* Random lengths and bytes; the exact output size works, one less not. */
static void
test_base32_roundtrip(void **state)
{
	uint8_t in[100], out[100];
	char enc[BASE32_LEN(100) + 1];
	size_t i, k, n;

	(void)state;
	srand(4648);
	for (i = 0; i < 2000; i++) {
		n = (size_t)rand() % sizeof(in);
		for (k = 0; k < n; k++)
			in[k] = (uint8_t)rand();
		base32_encode(in, n, enc);
		assert_int_equal(strlen(enc), BASE32_LEN(n));
		assert_true(all_base32(enc, strlen(enc)));
		assert_int_equal(base32_decode(enc, strlen(enc), out, n),
		    (int)n);
		assert_memory_equal(in, out, n);
		if (n > 0)
			assert_int_equal(base32_decode(enc, strlen(enc), out,
			    n - 1), -1);
	}
}

static const struct {
	const char	*label;
	const char	*in;
	size_t		 len;
} b32_rejects[] = {
	{ "length 1", "m", 1 },
	{ "length 3", "mzx", 3 },
	{ "length 6", "mzxw6y", 6 },
	{ "length 9", "mzxw6ytbo", 9 },
	{ "trailing bits", "mz", 2 },
	{ "trailing bits 10", "mzxw6ytboj", 10 },
	{ "padding", "my======", 8 },
	{ "digit 1", "m1", 2 },
	{ "digit 0", "m0", 2 },
	{ "digit 8", "m8", 2 },
	{ "space", "m y ", 4 },
	{ "NUL inside", "my\0q", 4 },
	{ "8-bit", "m\xc3\xa9q", 4 },
	{ "hyphen", "mz-q", 4 },
};

static void
test_base32_reject(void **state)
{
	uint8_t out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(b32_rejects) / sizeof(*b32_rejects); i++) {
		if (base32_decode(b32_rejects[i].in, b32_rejects[i].len, out,
		    sizeof(out)) != -1)
			fail_msg("%s: accepted", b32_rejects[i].label);
	}
}

/* A short output buffer is refused before a byte is written. */
static void
test_base32_outsz(void **state)
{
	uint8_t out[8];

	(void)state;
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(base32_decode("mzxw6ytboi", 10, out, 5), -1);
	assert_int_equal(out[0], 0xa5);
	assert_int_equal(out[5], 0xa5);
	assert_int_equal(base32_decode("mzxw6ytboi", 10, out, 6), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(out[6], 0xa5);
	assert_int_equal(base32_decode("", 0, NULL, 0), 0);
}

/* ---- tokens ------------------------------------------------------- */

#define NTOKENS	10000

static int
cmp_tok(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_token_unique(void **state)
{
	char (*toks)[TOKEN_LEN + 1] = calloc(NTOKENS, sizeof(*toks));
	uint8_t hash[TOKEN_HASH], again[TOKEN_HASH];
	size_t i;

	(void)state;
	assert_non_null(toks);
	for (i = 0; i < NTOKENS; i++) {
		token_new(toks[i], hash);
		assert_int_equal(strlen(toks[i]), TOKEN_LEN);
		assert_true(all_base32(toks[i], TOKEN_LEN));
		assert_int_equal(token_hash(toks[i], TOKEN_LEN, again), 0);
		assert_memory_equal(hash, again, TOKEN_HASH);
	}
	qsort(toks, NTOKENS, sizeof(*toks), cmp_tok);
	for (i = 1; i < NTOKENS; i++)
		if (strcmp(toks[i - 1], toks[i]) == 0)
			fail_msg("token %zu repeated", i);
	free(toks);
}

/* §4.E.47: an MTA may change the case of the local part. */
static void
test_token_case(void **state)
{
	char tok[TOKEN_LEN + 1], up[TOKEN_LEN + 1];
	uint8_t hash[TOKEN_HASH], h2[TOKEN_HASH], h3[TOKEN_HASH];
	size_t i;

	(void)state;
	token_new(tok, hash);
	for (i = 0; i <= TOKEN_LEN; i++)
		up[i] = (char)toupper((unsigned char)tok[i]);
	assert_int_equal(token_hash(up, TOKEN_LEN, h2), 0);
	assert_memory_equal(hash, h2, TOKEN_HASH);
	up[0] = tok[0];		/* mixed case */
	assert_int_equal(token_hash(up, TOKEN_LEN, h3), 0);
	assert_memory_equal(hash, h3, TOKEN_HASH);
}

/* §4.E.48: truncated, extended or malformed tokens need no lookup. */
static void
test_token_garbage(void **state)
{
	char tok[TOKEN_LEN + 2], bad[TOKEN_LEN + 2];
	uint8_t hash[TOKEN_HASH], h[TOKEN_HASH];
	const char *chars = "0189=-_+ .\n";
	size_t i;

	(void)state;
	token_new(tok, hash);
	assert_int_equal(token_hash(tok, TOKEN_LEN - 1, h), -1);
	memcpy(bad, tok, TOKEN_LEN);
	bad[TOKEN_LEN] = 'a';
	bad[TOKEN_LEN + 1] = '\0';
	assert_int_equal(token_hash(bad, TOKEN_LEN + 1, h), -1);
	assert_int_equal(token_hash("", 0, h), -1);
	for (i = 0; chars[i] != '\0'; i++) {
		memcpy(bad, tok, TOKEN_LEN + 1);
		bad[i % TOKEN_LEN] = chars[i];
		if (token_hash(bad, TOKEN_LEN, h) != -1)
			fail_msg("accepted '%c'", chars[i]);
	}
	/* 26 characters carry 130 bits: the last 2 must be zero. */
	memcpy(bad, tok, TOKEN_LEN + 1);
	bad[TOKEN_LEN - 1] = 'b';
	assert_int_equal(token_hash(bad, TOKEN_LEN, h), -1);
}

/* ---- MACs --------------------------------------------------------- */

static const char *const verp_fields[] = { "1", "42", "19000" };

static const struct {
	const char		*label;
	const char		*purpose;
	const char *const	 fields[3];
	size_t			 n;
} mac_others[] = {
	{ "other purpose", "link", { "1", "42", "19000" }, 3 },
	{ "other member", "verp", { "1", "43", "19000" }, 3 },
	{ "moved digit", "verp", { "14", "2", "19000" }, 3 },
	{ "joined", "verp", { "142", "19000", NULL }, 2 },
	{ "fewer fields", "verp", { "1", "42", NULL }, 2 },
	{ "empty field", "verp", { "1", "42", "" }, 3 },
	{ "no fields", "verp", { NULL, NULL, NULL }, 0 },
};

static void
test_mac_ok(void **state)
{
	char mac[TOKEN_MAC_LEN + 1], up[TOKEN_MAC_LEN + 1];
	char again[TOKEN_MAC_LEN + 1];
	size_t i;

	(void)state;
	token_mac("verp", verp_fields, 3, mac);
	assert_int_equal(strlen(mac), TOKEN_MAC_LEN);
	assert_true(all_base32(mac, TOKEN_MAC_LEN));
	token_mac("verp", verp_fields, 3, again);
	assert_string_equal(mac, again);
	assert_int_equal(token_mac_verify("verp", verp_fields, 3, mac,
	    TOKEN_MAC_LEN), 0);
	for (i = 0; i <= TOKEN_MAC_LEN; i++)
		up[i] = (char)toupper((unsigned char)mac[i]);
	assert_int_equal(token_mac_verify("verp", verp_fields, 3, up,
	    TOKEN_MAC_LEN), 0);
}

static void
test_mac_reject(void **state)
{
	char mac[TOKEN_MAC_LEN + 2], bad[TOKEN_MAC_LEN + 2];
	char other[TOKEN_MAC_LEN + 1];
	size_t i;

	(void)state;
	token_mac("verp", verp_fields, 3, mac);
	for (i = 0; i < sizeof(mac_others) / sizeof(*mac_others); i++) {
		if (token_mac_verify(mac_others[i].purpose,
		    mac_others[i].fields, mac_others[i].n, mac,
		    TOKEN_MAC_LEN) != -1)
			fail_msg("%s: verified", mac_others[i].label);
		token_mac(mac_others[i].purpose, mac_others[i].fields,
		    mac_others[i].n, other);
		if (strcmp(other, mac) == 0)
			fail_msg("%s: same MAC", mac_others[i].label);
	}
	assert_int_equal(token_mac_verify("verp", verp_fields, 3, mac,
	    TOKEN_MAC_LEN - 1), -1);
	mac[TOKEN_MAC_LEN] = 'a';
	mac[TOKEN_MAC_LEN + 1] = '\0';
	assert_int_equal(token_mac_verify("verp", verp_fields, 3, mac,
	    TOKEN_MAC_LEN + 1), -1);
	assert_int_equal(token_mac_verify("verp", verp_fields, 3, "", 0), -1);
	for (i = 0; i < TOKEN_MAC_LEN; i++) {
		memcpy(bad, mac, sizeof(bad));
		bad[i] = bad[i] == 'a' ? 'b' : 'a';
		if (token_mac_verify("verp", verp_fields, 3, bad,
		    TOKEN_MAC_LEN) != -1)
			fail_msg("flipped char %zu: verified", i);
		bad[i] = '1';
		if (token_mac_verify("verp", verp_fields, 3, bad,
		    TOKEN_MAC_LEN) != -1)
			fail_msg("bad char %zu: verified", i);
	}
}

/* ---- the master key file ------------------------------------------ */

static void
file_mode(const char *path, mode_t want)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	if ((sb.st_mode & 07777) != want)
		fail_msg("%s: mode %04o, want %04o", path,
		    (unsigned)(sb.st_mode & 07777), (unsigned)want);
}

static void
read_key(const char *path, uint8_t key[32])
{
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fread(key, 1, 32, fp), 32);
	assert_int_equal(fgetc(fp), EOF);
	fclose(fp);
}

/* Created 0600 in a 0700 directory; reloaded, it gives the same hashes. */
static void
test_key_create_reload(void **state)
{
	struct fixture *f = *state;
	char tok[TOKEN_LEN + 1], mac[TOKEN_MAC_LEN + 1], dir[160];
	char *error = NULL;
	uint8_t hash[TOKEN_HASH], again[TOKEN_HASH], k1[32], k2[32];

	file_mode(f->key, 0600);
	snprintf(dir, sizeof(dir), "%s/secret", f->dir);
	file_mode(dir, 0700);
	read_key(f->key, k1);
	token_new(tok, hash);
	token_mac("link", verp_fields, 3, mac);
	token_shutdown();
	assert_int_equal(token_init(f->key, &error), 0);
	assert_null(error);
	read_key(f->key, k2);
	assert_memory_equal(k1, k2, 32);
	assert_int_equal(token_hash(tok, TOKEN_LEN, again), 0);
	assert_memory_equal(hash, again, TOKEN_HASH);
	assert_int_equal(token_mac_verify("link", verp_fields, 3, mac,
	    TOKEN_MAC_LEN), 0);
	/* No temporary file is left beside the key. */
	snprintf(dir, sizeof(dir), "%s.tmp.%ld", f->key, (long)getpid());
	assert_int_equal(access(dir, F_OK), -1);
}

/* The keyed state kept per purpose (four at most, names under 16 bytes)
 * gives the MAC the purpose would get without it: past the table, and
 * for a long name, MACs are made afresh and still verify. */
static void
test_mac_many_purposes(void **state)
{
	static const char *const purposes[] = { "p1", "p2", "p3", "p4",
	    "p5", "p6", "a-purpose-longer-than-sixteen-bytes" };
	char mac[7][TOKEN_MAC_LEN + 1], again[TOKEN_MAC_LEN + 1];
	size_t i, j;

	(void)state;
	for (i = 0; i < 7; i++)
		token_mac(purposes[i], verp_fields, 3, mac[i]);
	for (i = 0; i < 7; i++) {
		token_mac(purposes[i], verp_fields, 3, again);
		assert_string_equal(mac[i], again);
		assert_int_equal(token_mac_verify(purposes[i], verp_fields, 3,
		    mac[i], TOKEN_MAC_LEN), 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(mac[i], mac[j]);
	}
}

/* Another key: other hashes, other MACs. */
static void
test_key_other(void **state)
{
	struct fixture *f = *state;
	char tok[TOKEN_LEN + 1], mac[TOKEN_MAC_LEN + 1], path[160];
	char *error = NULL;
	uint8_t hash[TOKEN_HASH], again[TOKEN_HASH];

	token_new(tok, hash);
	token_mac("verp", verp_fields, 3, mac);
	token_shutdown();
	snprintf(path, sizeof(path), "%s/other-key", f->dir);
	assert_int_equal(token_init(path, &error), 0);
	assert_int_equal(token_hash(tok, TOKEN_LEN, again), 0);
	assert_memory_not_equal(hash, again, TOKEN_HASH);
	assert_int_equal(token_mac_verify("verp", verp_fields, 3, mac,
	    TOKEN_MAC_LEN), -1);
}

static const struct {
	const char	*label;
	size_t		 size;
	mode_t		 mode;
} key_bad[] = {
	{ "empty", 0, 0600 },
	{ "31 bytes", 31, 0600 },
	{ "33 bytes", 33, 0600 },
	{ "group-readable", 32, 0640 },
	{ "world-readable", 32, 0604 },
	{ "group-writable", 32, 0620 },
};

static void
test_key_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t junk[64];
	char path[160], *error;
	size_t i;

	memset(junk, 7, sizeof(junk));
	snprintf(path, sizeof(path), "%s/bad-key", f->dir);
	for (i = 0; i < sizeof(key_bad) / sizeof(*key_bad); i++) {
		unlink(path);
		write_file(path, junk, key_bad[i].size, key_bad[i].mode);
		error = NULL;
		if (token_init(path, &error) != -1)
			fail_msg("%s: accepted", key_bad[i].label);
		assert_non_null(error);
		if (strstr(error, path) == NULL)
			fail_msg("%s: error does not name the file: %s",
			    key_bad[i].label, error);
		free(error);
	}
	error = NULL;
	assert_int_equal(token_init(f->dir, &error), -1);	/* directory */
	free(error);
	error = NULL;
	assert_int_equal(token_init("", &error), -1);
	free(error);
}

/* ---- token rows --------------------------------------------------- */

static void
add(struct fixture *f, uint8_t hash[TOKEN_HASH], int64_t list_id,
    const char *purpose, time_t created, time_t expires)
{
	char tok[TOKEN_LEN + 1];

	token_new(tok, hash);
	assert_int_equal(store_token_add(f->st, hash, TOKEN_HASH, purpose,
	    list_id, "Ann@Example.org", "mode=digest", created, expires), 0);
}

static enum token_status
take(struct fixture *f, const uint8_t hash[TOKEN_HASH], int64_t list_id,
    time_t now, struct store_token *t)
{
	enum token_status status;

	assert_int_equal(store_token_take(f->st, hash, TOKEN_HASH, list_id,
	    now, &status, t), 0);
	return status;
}

static void
test_take_once(void **state)
{
	struct fixture *f = *state;
	struct store_token t;
	uint8_t hash[TOKEN_HASH];

	add(f, hash, f->list_id, "subscribe", NOW, NOW + 7 * DAY);
	assert_int_equal(take(f, hash, f->list_id, NOW + 60, &t), TOKEN_OK);
	assert_string_equal(t.purpose, "subscribe");
	assert_int_equal(t.list_id, f->list_id);
	assert_string_equal(t.addr, "Ann@Example.org");
	assert_string_equal(t.data, "mode=digest");
	assert_int_equal(t.created, NOW);
	assert_int_equal(t.expires, NOW + 7 * DAY);
	assert_int_equal(t.used, NOW + 60);
	store_token_clear(&t);
	assert_null(t.purpose);
	/* §4.E.48: replay. */
	assert_int_equal(take(f, hash, f->list_id, NOW + 120, &t), TOKEN_USED);
	assert_string_equal(t.purpose, "subscribe");
	assert_int_equal(t.used, NOW + 60);
	store_token_clear(&t);
	assert_int_equal(q(f->st, "SELECT count(*) FROM tokens"
	    " WHERE addr_key = 'ann@example.org'"), 1);
}

/* Expired at `expires` exactly; one second before, still good. */
static void
test_take_expired(void **state)
{
	struct fixture *f = *state;
	struct store_token t;
	uint8_t h1[TOKEN_HASH], h2[TOKEN_HASH];

	add(f, h1, f->list_id, "subscribe", NOW, NOW + DAY);
	add(f, h2, f->list_id, "subscribe", NOW, NOW + DAY);
	assert_int_equal(take(f, h1, f->list_id, NOW + DAY, &t),
	    TOKEN_EXPIRED);
	assert_int_equal(t.expires, NOW + DAY);
	assert_int_equal(t.used, 0);
	store_token_clear(&t);
	assert_int_equal(take(f, h1, f->list_id, NOW + DAY, &t),
	    TOKEN_EXPIRED);
	store_token_clear(&t);
	assert_int_equal(take(f, h2, f->list_id, NOW + DAY - 1, &t),
	    TOKEN_OK);
	store_token_clear(&t);
}

/* Unknown: random hash, another list (left usable), a row from the future. */
static void
test_take_unknown(void **state)
{
	struct fixture *f = *state;
	struct store_token t;
	uint8_t h[TOKEN_HASH], h2[TOKEN_HASH], h3[TOKEN_HASH];
	char tok[TOKEN_LEN + 1];

	token_new(tok, h);
	assert_int_equal(take(f, h, f->list_id, NOW, &t), TOKEN_UNKNOWN);
	assert_null(t.purpose);
	add(f, h, f->list_id, "subscribe", NOW, NOW + DAY);
	assert_int_equal(take(f, h, f->other_list, NOW, &t), TOKEN_UNKNOWN);
	assert_null(t.purpose);
	assert_int_equal(take(f, h, f->list_id, NOW, &t), TOKEN_OK);
	store_token_clear(&t);
	/* Clock skew: up to 300 s ahead is tolerated, more is not. */
	add(f, h2, f->list_id, "subscribe", NOW + 301, NOW + DAY);
	assert_int_equal(take(f, h2, f->list_id, NOW, &t), TOKEN_UNKNOWN);
	assert_null(t.purpose);
	assert_int_equal(q(f->st, "SELECT count(*) FROM tokens"
	    " WHERE used != 0"), 1);
	add(f, h3, f->list_id, "subscribe", NOW + 300, NOW + DAY);
	assert_int_equal(take(f, h3, f->list_id, NOW, &t), TOKEN_OK);
	store_token_clear(&t);
}

#define NRACE	32

struct racer {
	const char		*db;
	pthread_barrier_t	*barrier;
	uint8_t			(*hashes)[TOKEN_HASH];
	int64_t			 list_id;
	enum token_status	 status[NRACE];
	int			 rc[NRACE];
};

static void *
racer_run(void *arg)
{
	struct racer *r = arg;
	struct store_token t;
	struct store *st = NULL;
	const char *error;
	size_t i;

	if (store_open(r->db, STORE_DURABLE, &st, &error) < 0)
		st = NULL;
	for (i = 0; i < NRACE; i++) {
		pthread_barrier_wait(r->barrier);
		r->rc[i] = st == NULL ? -1 : store_token_take(st, r->hashes[i],
		    TOKEN_HASH, r->list_id, NOW, &r->status[i], &t);
		if (r->rc[i] == 0)
			store_token_clear(&t);
	}
	store_close(&st);
	return NULL;
}

/* Two handles take the same tokens at once: exactly one wins each. */
static void
test_take_race(void **state)
{
	struct fixture *f = *state;
	uint8_t hashes[NRACE][TOKEN_HASH];
	pthread_barrier_t barrier;
	struct racer r[2];
	pthread_t th[2];
	size_t i, ok[2] = { 0, 0 };

	for (i = 0; i < NRACE; i++)
		add(f, hashes[i], f->list_id, "subscribe", NOW, NOW + DAY);
	pthread_barrier_init(&barrier, NULL, 2);
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].db = f->db;
		r[i].barrier = &barrier;
		r[i].hashes = hashes;
		r[i].list_id = f->list_id;
		assert_int_equal(pthread_create(&th[i], NULL, racer_run, &r[i]),
		    0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	for (i = 0; i < NRACE; i++) {
		assert_int_equal(r[0].rc[i], 0);
		assert_int_equal(r[1].rc[i], 0);
		if (!(r[0].status[i] == TOKEN_OK &&
		    r[1].status[i] == TOKEN_USED) &&
		    !(r[0].status[i] == TOKEN_USED &&
		    r[1].status[i] == TOKEN_OK))
			fail_msg("token %zu: statuses %d and %d", i,
			    r[0].status[i], r[1].status[i]);
		ok[r[0].status[i] == TOKEN_OK]++;
	}
	/* Both handles won some: the race really ran both ways. */
	if (ok[0] == 0 || ok[1] == 0)
		log_warnx("test_take_race: one handle won all %d", NRACE);
}

static void
test_pending(void **state)
{
	struct fixture *f = *state;
	struct store_token t;
	uint8_t h[TOKEN_HASH];

	assert_int_equal(store_token_pending(f->st, f->list_id,
	    "ann@example.org", "subscribe", NOW), 0);
	add(f, h, f->list_id, "subscribe", NOW, NOW + DAY);
	assert_int_equal(store_token_pending(f->st, f->list_id,
	    "ANN@example.ORG", "subscribe", NOW), 1);
	assert_int_equal(store_token_pending(f->st, f->list_id,
	    "ann@example.org", "unsubscribe", NOW), 0);
	assert_int_equal(store_token_pending(f->st, f->other_list,
	    "ann@example.org", "subscribe", NOW), 0);
	assert_int_equal(store_token_pending(f->st, f->list_id,
	    "bob@example.org", "subscribe", NOW), 0);
	assert_int_equal(store_token_pending(f->st, f->list_id,
	    "ann@example.org", "subscribe", NOW + DAY), 0);
	assert_int_equal(take(f, h, f->list_id, NOW, &t), TOKEN_OK);
	store_token_clear(&t);
	assert_int_equal(store_token_pending(f->st, f->list_id,
	    "ann@example.org", "subscribe", NOW), 0);
}

static void
test_purge(void **state)
{
	struct fixture *f = *state;
	struct store_token t;
	uint8_t old_exp[TOKEN_HASH], old_used[TOKEN_HASH], live[TOKEN_HASH];
	uint8_t new_used[TOKEN_HASH], h[TOKEN_HASH];

	add(f, old_exp, f->list_id, "subscribe", NOW - 9 * DAY, NOW - 2 * DAY);
	add(f, old_used, f->list_id, "subscribe", NOW - 3 * DAY, NOW + DAY);
	add(f, live, f->list_id, "subscribe", NOW, NOW + DAY);
	add(f, new_used, f->list_id, "subscribe", NOW, NOW + DAY);
	assert_int_equal(take(f, old_used, f->list_id, NOW - 2 * DAY, &t),
	    TOKEN_OK);
	store_token_clear(&t);
	assert_int_equal(take(f, new_used, f->list_id, NOW, &t), TOKEN_OK);
	store_token_clear(&t);
	assert_int_equal(store_token_purge(f->st, NOW - DAY), 2);
	assert_int_equal(q(f->st, "SELECT count(*) FROM tokens"), 2);
	assert_int_equal(take(f, old_exp, f->list_id, NOW, &t), TOKEN_UNKNOWN);
	assert_int_equal(take(f, new_used, f->list_id, NOW, &t), TOKEN_USED);
	store_token_clear(&t);
	assert_int_equal(store_token_purge(f->st, NOW - DAY), 0);
	/* Deleting the list deletes its tokens. */
	add(f, h, f->other_list, "subscribe", NOW, NOW + DAY);
	assert_int_equal(store_list_delete(f->st, f->list_id), 0);
	assert_int_equal(q(f->st, "SELECT count(*) FROM tokens"), 1);
}

/* ---- request counters --------------------------------------------- */

static const struct {
	const char	*label;
	int		 list;		/* 0: team, 1: other */
	const char	*addr;
	int64_t		 day;
	int		 want;
} request_rows[] = {
	{ "first", 0, "ann@example.org", 19000, 1 },
	{ "second", 0, "ann@example.org", 19000, 2 },
	{ "case-insensitive", 0, "ANN@Example.org", 19000, 3 },
	{ "next day", 0, "ann@example.org", 19001, 1 },
	{ "other list", 1, "ann@example.org", 19000, 1 },
	{ "other address", 0, "bob@example.org", 19000, 1 },
	{ "fourth", 0, "ann@example.org", 19000, 4 },
};

static void
test_request_count(void **state)
{
	struct fixture *f = *state;
	int64_t list_id;
	size_t i;
	int count;

	for (i = 0; i < sizeof(request_rows) / sizeof(*request_rows); i++) {
		list_id = request_rows[i].list ? f->other_list : f->list_id;
		assert_int_equal(store_request_count(f->st, list_id,
		    request_rows[i].addr, request_rows[i].day, &count), 0);
		if (count != request_rows[i].want)
			fail_msg("%s: count %d, want %d", request_rows[i].label,
			    count, request_rows[i].want);
	}
	assert_int_equal(q(f->st, "SELECT count(*) FROM requests"), 4);
}

/* ---- thread preferences ------------------------------------------- */

static void
test_thread_prefs(void **state)
{
	struct fixture *f = *state;
	const char *pref;
	const char *thread = "<root@example.org>";

	assert_int_equal(store_thread_pref_get(f->st, f->member_id, thread,
	    &pref), 0);
	assert_null(pref);
	assert_int_equal(store_thread_pref_set(f->st, f->member_id, thread,
	    "mute"), 0);
	assert_int_equal(store_thread_pref_get(f->st, f->member_id, thread,
	    &pref), 1);
	assert_string_equal(pref, "mute");
	assert_int_equal(store_thread_pref_set(f->st, f->member_id, thread,
	    "follow"), 0);
	assert_int_equal(store_thread_pref_get(f->st, f->member_id, thread,
	    &pref), 1);
	assert_string_equal(pref, "follow");
	assert_int_equal(store_thread_pref_get(f->st, f->member_id,
	    "<other@example.org>", &pref), 0);
	assert_int_equal(store_thread_pref_set(f->st, f->member_id, thread,
	    "bogus"), -1);
	assert_int_equal(store_thread_pref_set(f->st, f->member_id + 99,
	    thread, "mute"), -1);			/* no such member */
	assert_int_equal(store_thread_pref_set(f->st, f->member_id, thread,
	    NULL), 0);
	assert_int_equal(store_thread_pref_get(f->st, f->member_id, thread,
	    &pref), 0);
	assert_int_equal(store_thread_pref_set(f->st, f->member_id, thread,
	    NULL), 0);			/* clearing twice is fine */
}

/* A member who leaves takes their thread preferences along. */
static void
test_thread_prefs_cascade(void **state)
{
	struct fixture *f = *state;
	const char *pref;

	assert_int_equal(store_thread_pref_set(f->st, f->member_id, "<a@x>",
	    "mute"), 0);
	assert_int_equal(store_thread_pref_set(f->st, f->member_id, "<b@x>",
	    "follow"), 0);
	assert_int_equal(q(f->st, "SELECT count(*) FROM thread_prefs"), 2);
	assert_int_equal(store_member_rm(f->st, f->list_id, "ann@example.org"),
	    1);
	assert_int_equal(q(f->st, "SELECT count(*) FROM thread_prefs"), 0);
	assert_int_equal(store_thread_pref_get(f->st, f->member_id, "<a@x>",
	    &pref), 0);
}

/* ---- token_scan: token-shaped words in text ------------------------- */

static void
scan_collect(const char *tok, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "%s;", tok);
}

static void
test_token_scan(void **state)
{
	static const struct {
		const char	*label, *text;
		size_t		 max;
		const char	*want;
	} cases[] = {
		{ "none", "hello world", 8, "" },
		{ "address", "team+approve-k7q2xmd4rt5vbn3wz6yhc7fjpa@example.org",
		    8, "k7q2xmd4rt5vbn3wz6yhc7fjpa;" },
		{ "upper case", "confirm K7Q2XMD4RT5VBN3WZ6YHC7FJPA", 8,
		    "k7q2xmd4rt5vbn3wz6yhc7fjpa;" },
		{ "quoted twice", "> a aaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		    "> bbbbbbbbbbbbbbbbbbbbbbbbbb", 8,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaa;bbbbbbbbbbbbbbbbbbbbbbbbbb;" },
		{ "capped", "aaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbb",
		    1, "aaaaaaaaaaaaaaaaaaaaaaaaaa;" },
		{ "27 long", "aaaaaaaaaaaaaaaaaaaaaaaaaaa", 8, "" },
		{ "25 long", "aaaaaaaaaaaaaaaaaaaaaaaaa", 8, "" },
		{ "digit 8", "k7q2xmd4rt5vbn3wz6yhc8fjp8", 8, "" },
		{ "digit 1", "k7q2xmd4rt5vbn3wz6yhc1fjpa", 8, "" },
		{ "at the end", "x k7q2xmd4rt5vbn3wz6yhc7fjpa", 8,
		    "k7q2xmd4rt5vbn3wz6yhc7fjpa;" },
		{ "empty", "", 8, "" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_puts(&b, "");
		(void)token_scan(cases[i].text, strlen(cases[i].text),
		    cases[i].max, scan_collect, &b);
		if (strcmp(b.data, cases[i].want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].label,
			    b.data, cases[i].want);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base32_vectors),
		cmocka_unit_test(test_base32_roundtrip),
		cmocka_unit_test(test_base32_reject),
		cmocka_unit_test(test_base32_outsz),
		cmocka_unit_test(test_token_scan),
#define K(t)	cmocka_unit_test_setup_teardown(t, setup_key, teardown)
#define S(t)	cmocka_unit_test_setup_teardown(t, setup_store, teardown)
		K(test_token_unique),
		K(test_token_case),
		K(test_token_garbage),
		K(test_mac_ok),
		K(test_mac_reject),
		K(test_mac_many_purposes),
		K(test_key_create_reload),
		K(test_key_other),
		K(test_key_refused),
		S(test_take_once),
		S(test_take_expired),
		S(test_take_unknown),
		S(test_take_race),
		S(test_pending),
		S(test_purge),
		S(test_request_count),
		S(test_thread_prefs),
		S(test_thread_prefs_cascade),
#undef K
#undef S
	};

	log_init("test_token", LOG_L_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
