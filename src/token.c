/*
 * token.c — the only user of libsodium (besides main.c's sodium_init):
 * random tokens, their keyed hashes, MACs, base32.
 *
 * Owns the keys.  token_init reads the 32-byte master key from its file,
 * creating it on first use, derives two subkeys with crypto_kdf and wipes
 * the master key at once:
 *   context "tokenhsh": the BLAKE2b key of the stored hash of a token;
 *   context "modlogsg": the root of the lists' Ed25519 keys: the seed of
 *     list N's key pair is BLAKE2b-256("list:N") keyed with it, so a
 *     key pair is never stored, the private half exists only inside
 *     token_sign (wiped on return), and a list id (never reused) gets a
 *     key of its own;
 *   context "tokenmac": the root of the MAC keys.  The key of one purpose
 *     ("verp", "link", ...) is BLAKE2b-256(purpose) keyed with that
 *     subkey, so every purpose string has a key of its own without a
 *     table of 8-character contexts, and a MAC made for one purpose is
 *     worthless for any other.
 * MAC input: each field as its length (8 bytes, big-endian) then its
 * bytes, so ("ab", "c") and ("a", "bc") differ; HMAC-SHA512-256 (the
 * algorithm of crypto_auth) cut to TOKEN_MAC_RAW bytes.
 * The keys live in one static block, mlock'ed when the system lets us,
 * written only by token_init and token_shutdown: between the two every
 * function here is thread-safe.
 *
 * A new key file is written under a temporary name (O_CREAT|O_EXCL,
 * 0600), fsync'd, then published with link(2): a reader never sees a
 * short key, and when two processes start at once the second link fails
 * with EEXIST and both use the first key.
 *
 * Fails: token_init returns -1 and a message naming the key file;
 * token_hash, token_mac_verify and base32_decode return -1 for input that
 * cannot be theirs.  Using a key before token_init is a broken invariant
 * (fatalx).  Nothing here logs or returns a key, a raw token or a MAC.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "token.h"

#define KEY_LEN		crypto_kdf_KEYBYTES
#define MAC_FULL	crypto_auth_hmacsha512256_BYTES

_Static_assert(KEY_LEN == 32, "master key files hold 32 bytes");
_Static_assert(TOKEN_MAC_RAW <= MAC_FULL, "MAC cut longer than the MAC");
_Static_assert(BASE32_LEN(TOKEN_RAW) == TOKEN_LEN, "token length");
_Static_assert(BASE32_LEN(TOKEN_MAC_RAW) == TOKEN_MAC_LEN, "MAC length");

#define KEYED_MAX	4	/* purposes whose keyed HMAC state is kept */

static struct {
	uint8_t	 hash[crypto_generichash_KEYBYTES];	/* tokenhsh */
	uint8_t	 mac[crypto_generichash_KEYBYTES];	/* tokenmac */
	uint8_t	 sign[crypto_generichash_KEYBYTES];	/* modlogsg */
	/*
	 * The HMAC state of a purpose right after its key went in (the key
	 * derived with BLAKE2b, then hashed into the inner and outer pads):
	 * a copy of it saves those three compressions on every MAC, which
	 * a personalized fan-out makes several times per copy.  Key material
	 * like the rest, so it lives here (mlock'ed, wiped by
	 * token_shutdown); filled on first use under keyed_lock.
	 */
	struct {
		char				 purpose[16];
		crypto_auth_hmacsha512256_state	 st;
	} keyed[KEYED_MAX];
	size_t	 nkeyed;
} keys;
static int keys_loaded, keys_locked;
static pthread_mutex_t keyed_lock = PTHREAD_MUTEX_INITIALIZER;

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Set *error_r to a malloc'd message; returns -1 for `return fail(...)`. */
static int __attribute__((format(printf, 2, 3)))
fail(char **error_r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*error_r = buf_steal(&b, NULL);
	return -1;
}

int
token_ready(void)
{
	return keys_loaded;
}

static void
keys_check(void)
{
	if (!keys_loaded)
		fatalx("token: keys used before token_init");
}

/* ---- the master key file ------------------------------------------ */

static int
write_full(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Bytes read before end of file (at most n), or -1. */
static ssize_t
read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* A new random key at tmp, fsync'd; 0, or -1 with *error_r. */
static int
key_write(const char *tmp, char **error_r)
{
	uint8_t key[KEY_LEN];
	int fd, rc = -1;

	(void)unlink(tmp);	/* left by a crashed process with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return fail(error_r, "%s: %s", tmp, strerror(errno));
	randombytes_buf(key, sizeof(key));
	if (write_full(fd, key, sizeof(key)) < 0 || fsync(fd) < 0) {
		(void)fail(error_r, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (close(fd) < 0 && rc == 0)
		rc = fail(error_r, "%s: %s", tmp, strerror(errno));
	return rc;
}

/* Create the key file; 0 when it exists afterwards (ours or another's). */
static int
key_create(const char *path, char **error_r)
{
	struct buf tmp = BUF_INIT;
	int rc = -1;

	if (fs_mkdir_parents(path, 0700) < 0) {
		(void)fail(error_r, "%s: cannot create its directory: %s",
		    path, strerror(errno));
		goto out;
	}
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (key_write(tmp.data, error_r) < 0)
		goto out;
	if (link(tmp.data, path) < 0 && errno != EEXIST) {
		(void)fail(error_r, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fs_fsync_parent(path) < 0) {
		(void)fail(error_r, "%s: cannot sync its directory: %s", path,
		    strerror(errno));
		goto out;
	}
	log_info("token: created the master key file %s", path);
	rc = 0;
out:
	if (tmp.data != NULL)
		(void)unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}

/* Check the key file's type, mode and size. */
static int
key_check(const char *path, int fd, char **error_r)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return fail(error_r, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return fail(error_r, "%s: not a regular file", path);
	if ((sb.st_mode & 077) != 0)
		return fail(error_r, "%s: mode %04o gives group or others"
		    " access to the master key; make it 0600", path,
		    (unsigned)(sb.st_mode & 07777));
	if (sb.st_size != KEY_LEN)
		return fail(error_r, "%s: %lld bytes, a master key file holds"
		    " exactly %d", path, (long long)sb.st_size, KEY_LEN);
	return 0;
}

/* 1 read, 0 no such file, -1 error (*error_r). */
static int
key_read(const char *path, uint8_t key[KEY_LEN], char **error_r)
{
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(error_r, "%s: %s", path, strerror(errno));
	}
	if (key_check(path, fd, error_r) < 0)
		goto out;
	errno = 0;
	if (read_full(fd, key, KEY_LEN) != KEY_LEN) {
		(void)fail(error_r, "%s: cannot read the master key: %s", path,
		    errno != 0 ? strerror(errno) : "short file");
		goto out;
	}
	rc = 1;
out:
	close(fd);
	return rc;
}

int
token_init(const char *path, char **error_r)
{
	uint8_t master[KEY_LEN];
	int rc;

	*error_r = NULL;
	if (path == NULL || *path == '\0')
		return fail(error_r, "no master key file configured");
	if (sodium_init() < 0)
		return fail(error_r, "libsodium cannot initialise");
	token_shutdown();
	if ((rc = key_read(path, master, error_r)) == 0) {
		if (key_create(path, error_r) < 0)
			return -1;
		rc = key_read(path, master, error_r);
	}
	if (rc <= 0) {
		if (rc == 0)
			(void)fail(error_r, "%s: vanished after creation",
			    path);
		goto out;
	}
	keys_locked = sodium_mlock(&keys, sizeof(keys)) == 0;
	crypto_kdf_derive_from_key(keys.hash, sizeof(keys.hash), 1,
	    "tokenhsh", master);
	crypto_kdf_derive_from_key(keys.mac, sizeof(keys.mac), 2,
	    "tokenmac", master);
	crypto_kdf_derive_from_key(keys.sign, sizeof(keys.sign), 3,
	    "modlogsg", master);
	keys_loaded = 1;
out:
	sodium_memzero(master, sizeof(master));
	return rc > 0 ? 0 : -1;
}

void
token_shutdown(void)
{
	sodium_memzero(&keys, sizeof(keys));
	if (keys_locked)
		(void)sodium_munlock(&keys, sizeof(keys));
	keys_locked = 0;
	keys_loaded = 0;
}

/* ---- tokens ------------------------------------------------------- */

void
token_new(char tok[TOKEN_LEN + 1], uint8_t hash[TOKEN_HASH])
{
	uint8_t raw[TOKEN_RAW];

	keys_check();
	randombytes_buf(raw, sizeof(raw));
	base32_encode(raw, sizeof(raw), tok);
	crypto_generichash(hash, TOKEN_HASH, raw, sizeof(raw), keys.hash,
	    sizeof(keys.hash));
	sodium_memzero(raw, sizeof(raw));
}

size_t
token_scan(const char *text, size_t len, size_t max,
    void (*fn)(const char *tok, void *), void *arg)
{
	char tok[TOKEN_LEN + 1];
	size_t i = 0, start, n = 0, k;

	while (i < len && n < max) {
		while (i < len && !isalnum((unsigned char)text[i]))
			i++;
		start = i;
		while (i < len && isalnum((unsigned char)text[i]))
			i++;
		if (i - start != TOKEN_LEN)
			continue;
		for (k = 0; k < TOKEN_LEN; k++) {
			tok[k] = (char)tolower((unsigned char)text[start + k]);
			if (!((tok[k] >= 'a' && tok[k] <= 'z') ||
			    (tok[k] >= '2' && tok[k] <= '7')))
				break;
		}
		if (k < TOKEN_LEN)
			continue;
		tok[TOKEN_LEN] = '\0';
		fn(tok, arg);
		n++;
	}
	return n;
}

int
token_hash(const char *tok, size_t len, uint8_t hash[TOKEN_HASH])
{
	uint8_t raw[TOKEN_RAW];
	int rc = -1;

	keys_check();
	if (len != TOKEN_LEN ||
	    base32_decode(tok, len, raw, sizeof(raw)) != TOKEN_RAW)
		goto out;
	crypto_generichash(hash, TOKEN_HASH, raw, sizeof(raw), keys.hash,
	    sizeof(keys.hash));
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

/* ---- MACs --------------------------------------------------------- */

/* *s: the HMAC state of purpose with its key in (keys.keyed). */
static void
mac_keyed(const char *purpose, crypto_auth_hmacsha512256_state *s)
{
	uint8_t pkey[crypto_auth_hmacsha512256_KEYBYTES];
	size_t i, n = strlen(purpose);

	keys_check();
	pthread_mutex_lock(&keyed_lock);
	for (i = 0; i < keys.nkeyed; i++)
		if (strcmp(keys.keyed[i].purpose, purpose) == 0) {
			*s = keys.keyed[i].st;
			pthread_mutex_unlock(&keyed_lock);
			return;
		}
	crypto_generichash(pkey, sizeof(pkey), (const uint8_t *)purpose, n,
	    keys.mac, sizeof(keys.mac));
	crypto_auth_hmacsha512256_init(s, pkey, sizeof(pkey));
	sodium_memzero(pkey, sizeof(pkey));
	if (keys.nkeyed < KEYED_MAX && n < sizeof(keys.keyed[0].purpose)) {
		memcpy(keys.keyed[keys.nkeyed].purpose, purpose, n + 1);
		keys.keyed[keys.nkeyed++].st = *s;
	}
	pthread_mutex_unlock(&keyed_lock);
}

/* The full HMAC of the fields under purpose's key.  NULL fields are "". */
static void
mac_full(const char *purpose, const char *const *fields, size_t n,
    uint8_t tag[MAC_FULL])
{
	crypto_auth_hmacsha512256_state s;
	uint8_t len[8];
	const char *f;
	size_t i, flen;
	int b;

	mac_keyed(purpose, &s);
	for (i = 0; i < n; i++) {
		f = fields[i] != NULL ? fields[i] : "";
		flen = strlen(f);
		for (b = 0; b < 8; b++)
			len[b] = (uint8_t)((uint64_t)flen >> (56 - 8 * b));
		crypto_auth_hmacsha512256_update(&s, len, sizeof(len));
		crypto_auth_hmacsha512256_update(&s, (const uint8_t *)f, flen);
	}
	crypto_auth_hmacsha512256_final(&s, tag);
	sodium_memzero(&s, sizeof(s));
}

void
token_mac(const char *purpose, const char *const *fields, size_t n,
    char out[TOKEN_MAC_LEN + 1])
{
	uint8_t tag[MAC_FULL];

	mac_full(purpose, fields, n, tag);
	base32_encode(tag, TOKEN_MAC_RAW, out);
	sodium_memzero(tag, sizeof(tag));
}

/*
 * crypto_auth_verify checks whole tags only, so recompute and compare the
 * cut in constant time.  A malformed MAC is refused before any work: its
 * shape tells an attacker nothing about the key.
 */
int
token_mac_verify(const char *purpose, const char *const *fields, size_t n,
    const char *mac, size_t len)
{
	uint8_t tag[MAC_FULL], got[TOKEN_MAC_RAW];
	int rc = -1;

	if (len != TOKEN_MAC_LEN ||
	    base32_decode(mac, len, got, sizeof(got)) != TOKEN_MAC_RAW)
		return -1;
	mac_full(purpose, fields, n, tag);
	rc = sodium_memcmp(tag, got, TOKEN_MAC_RAW) == 0 ? 0 : -1;
	sodium_memzero(tag, sizeof(tag));
	sodium_memzero(got, sizeof(got));
	return rc;
}

/* ---- base32 (RFC 4648 §6, lower case, no padding) ----------------- */

void
base32_encode(const uint8_t *in, size_t n, char *out)
{
	unsigned acc = 0;
	size_t i;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = ((acc << 8) | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*out++ = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		*out++ = b32_alphabet[(acc << (5 - bits)) & 31];
	*out = '\0';
}

static int
b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/*
 * Only canonical input decodes: a length that leaves 5 or more bits over
 * (len % 8 of 1, 3 or 6) or non-zero bits after the last byte are
 * refused, so one byte string has exactly one spelling (up to case).
 * The output size is checked before anything is written.
 */
int
base32_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	unsigned acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (len > INT_MAX || len % 8 == 1 || len % 8 == 3 || len % 8 == 6)
		return -1;
	if (len / 8 * 5 + len % 8 * 5 / 8 > outsz)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b32_value((unsigned char)in[i])) < 0)
			return -1;
		acc = ((acc << 5) | (unsigned)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)o;
}

/* ---- hash chains -------------------------------------------------- */

void
token_chain(const uint8_t prev[32], const char *const *fields, size_t n,
    uint8_t out[32])
{
	crypto_generichash_state s;
	uint8_t len[8];
	const char *f;
	size_t i, flen;
	int b;

	crypto_generichash_init(&s, NULL, 0, 32);
	crypto_generichash_update(&s, prev, 32);
	for (i = 0; i < n; i++) {
		f = fields[i] != NULL ? fields[i] : "";
		flen = strlen(f);
		for (b = 0; b < 8; b++)
			len[b] = (uint8_t)((uint64_t)flen >> (56 - 8 * b));
		crypto_generichash_update(&s, len, sizeof(len));
		crypto_generichash_update(&s, (const uint8_t *)f, flen);
	}
	crypto_generichash_final(&s, out, 32);
}

/* ---- the lists' Ed25519 keys (signed checkpoints) ----------------- */

_Static_assert(TOKEN_PK == crypto_sign_PUBLICKEYBYTES, "public key size");
_Static_assert(TOKEN_SIG == crypto_sign_BYTES, "signature size");

/* The key pair of list_id; the caller wipes sk. */
static void
sign_keypair(int64_t list_id, uint8_t pk[TOKEN_PK],
    uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char label[32];
	int n;

	keys_check();
	n = snprintf(label, sizeof(label), "list:%lld", (long long)list_id);
	crypto_generichash(seed, sizeof(seed), (const uint8_t *)label,
	    (size_t)n, keys.sign, sizeof(keys.sign));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
}

void
token_sign_pubkey(int64_t list_id, uint8_t pk[TOKEN_PK])
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];

	sign_keypair(list_id, pk, sk);
	sodium_memzero(sk, sizeof(sk));
}

void
token_sign(int64_t list_id, const void *msg, size_t n, uint8_t sig[TOKEN_SIG])
{
	uint8_t pk[TOKEN_PK], sk[crypto_sign_SECRETKEYBYTES];

	sign_keypair(list_id, pk, sk);
	crypto_sign_detached(sig, NULL, msg, n, sk);
	sodium_memzero(sk, sizeof(sk));
}

int
token_sign_verify(const uint8_t pk[TOKEN_PK], const void *msg, size_t n,
    const uint8_t sig[TOKEN_SIG])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : -1;
}

/* ---- base64 (RFC 4648 §4, padded) --------------------------------- */

void
token_base64(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	sodium_bin2base64(out, outsz, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int
token_unbase64(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	size_t got;
	const char *end;

	if (sodium_base642bin(out, outsz, in, len, NULL, &got, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != in + len)
		return -1;
	return (int)got;
}
