/*
 * token.h — the only user of libsodium: random tokens, keyed hashes,
 * MACs, base32.
 *
 * Tokens travel in local parts ("team+confirm-TOKEN@"), so they are
 * lower-case RFC 4648 base32 without padding: MTAs may change the case of
 * a local part, and '+', '/', '-' or '_' would clash with our syntax.
 * The store keeps only a keyed BLAKE2b hash of a token, never the token.
 * MACs (VERP addresses, personal links) need no stored row at all.
 *
 * Keys come from one 32-byte master key kept in a file (created 0600 on
 * first use); subkeys for each purpose are derived with crypto_kdf.
 */
#ifndef POSTINO_TOKEN_H
#define POSTINO_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_RAW	16			/* random bytes */
#define TOKEN_LEN	26			/* base32 chars of 16 bytes */
#define TOKEN_HASH	32			/* stored hash bytes */
#define TOKEN_MAC_RAW	10			/* truncated MAC bytes */
#define TOKEN_MAC_LEN	16			/* base32 chars of 10 bytes */

/*
 * Load the master key from path, creating it (mode 0600, random) when it
 * does not exist.  Must run once before any other call (after
 * sodium_init).  0, or -1 with a malloc'd *error_r.
 */
int	 token_init(const char *path, char **error_r);
/* Forget the keys (tests, shutdown): wiped with sodium_memzero. */
void	 token_shutdown(void);
/* 1 once token_init succeeded (until token_shutdown), else 0. */
int	 token_ready(void);

/* A new random token (NUL-terminated) and its keyed hash. */
void	 token_new(char tok[TOKEN_LEN + 1], uint8_t hash[TOKEN_HASH]);
/*
 * Hash of a token as found in mail: case-insensitive, exactly TOKEN_LEN
 * base32 characters.  0, or -1 when it cannot be a token of ours (the
 * caller answers "unknown token" without looking anything up).
 */
int	 token_hash(const char *tok, size_t len, uint8_t hash[TOKEN_HASH]);
/*
 * Call fn with each run of exactly TOKEN_LEN base32 characters in text
 * (either case, delimited by anything but letters and digits): what
 * could be a token quoted in mail.  At most max runs; the number seen.
 */
size_t	 token_scan(const char *text, size_t len, size_t max,
	    void (*fn)(const char *tok, void *), void *arg);

/*
 * MAC of the fields (joined unambiguously), cut to TOKEN_MAC_RAW bytes,
 * as TOKEN_MAC_LEN base32 characters; token_mac_verify compares in
 * constant time (0 match, -1 not).  purpose separates the uses ("verp",
 * "link") so that a MAC made for one is worthless for another.
 */
void	 token_mac(const char *purpose, const char *const *fields, size_t n,
	    char out[TOKEN_MAC_LEN + 1]);
int	 token_mac_verify(const char *purpose, const char *const *fields,
	    size_t n, const char *mac, size_t len);

/*
 * One link of a hash chain: out = BLAKE2b-256(prev || fields), each field
 * length-prefixed as in token_mac.  Not keyed: anyone can check a chain.
 */
void	 token_chain(const uint8_t prev[32], const char *const *fields,
	    size_t n, uint8_t out[32]);

/*
 * Ed25519 (crypto_sign) key pairs, one per list, derived from the master
 * key (see token.c); the private key never leaves token.c.  token_sign
 * signs msg with list_id's key; token_sign_verify checks a signature
 * against any public key: 0 good, -1 not.
 */
#define TOKEN_PK	32
#define TOKEN_SIG	64
void	 token_sign_pubkey(int64_t list_id, uint8_t pk[TOKEN_PK]);
void	 token_sign(int64_t list_id, const void *msg, size_t n,
	    uint8_t sig[TOKEN_SIG]);
int	 token_sign_verify(const uint8_t pk[TOKEN_PK], const void *msg,
	    size_t n, const uint8_t sig[TOKEN_SIG]);

/* RFC 4648 base64 with padding.  encode: out needs TOKEN_B64_LEN(n)
 * bytes (NUL included).  decode: the whole input must be base64;
 * bytes written, or -1. */
#define TOKEN_B64_LEN(n)	((((n) + 2) / 3) * 4 + 1)
void	 token_base64(const uint8_t *in, size_t n, char *out, size_t outsz);
int	 token_unbase64(const char *in, size_t len, uint8_t *out,
	    size_t outsz);

/* RFC 4648 base32, lower case, no padding.  out needs
 * BASE32_LEN(n) + 1 bytes.  decode: bytes written, or -1. */
#define BASE32_LEN(n)	(((n) * 8 + 4) / 5)
void	 base32_encode(const uint8_t *in, size_t n, char *out);
int	 base32_decode(const char *in, size_t len, uint8_t *out, size_t outsz);

#endif
