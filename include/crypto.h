/* Randomness, digests and identifiers. Randomness comes from the kernel
 * (getrandom); SHA-256 and the constant-time compare from OpenSSL's
 * libcrypto rather than code of our own. */
#ifndef REDRESS_CRYPTO_H
#define REDRESS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CRYPTO_SHA256_LEN = 32, CRYPTO_UUID_STRLEN = 36 };

/* AES-256-GCM: a sealed value is nonce || ciphertext || tag, the nonce
 * random per seal, so it is CRYPTO_SEAL_OVERHEAD bytes longer than the
 * plaintext. */
enum {
    CRYPTO_SEAL_KEY_LEN = 32,
    CRYPTO_SEAL_NONCE_LEN = 12,
    CRYPTO_SEAL_TAG_LEN = 16,
    CRYPTO_SEAL_OVERHEAD = CRYPTO_SEAL_NONCE_LEN + CRYPTO_SEAL_TAG_LEN,
};

/** Fill out with n bytes from the OS CSPRNG. Returns 0, or -1 on failure. */
int crypto_random_bytes(void *out, size_t n);
/** SHA-256 of data. Returns 0, or -1 on failure. */
int crypto_sha256(const void *data, size_t n, uint8_t out[CRYPTO_SHA256_LEN]);
/** HMAC-SHA256 under key of the concatenation of n_parts pieces (parts[i],
 * lens[i] bytes each): a signature over "timestamp + body" needs no copy.
 * Returns 0, or -1 on failure. */
int crypto_hmac_sha256(const void *key, size_t key_len, const void *const *parts, const size_t *lens,
                       size_t n_parts, uint8_t out[CRYPTO_SHA256_LEN]);
/* Characters of n bytes in base64 (RFC 4648, padded), without the NUL. */
#define CRYPTO_BASE64_LEN(n) ((((n) + 2) / 3) * 4)
/** Base64 (RFC 4648, padded, no line breaks) of n bytes (n < 2^30) into
 * out (CRYPTO_BASE64_LEN(n) + 1 bytes, NUL-terminated). */
void crypto_base64(const uint8_t *data, size_t n, char *out);
/** Compare without data-dependent timing. */
bool crypto_equal(const void *a, const void *b, size_t n);
/** Lower-case hex of n bytes into out (2n+1 bytes). */
void crypto_hex(const uint8_t *data, size_t n, char *out);
/** Parse 2n hex digits (either case) into n bytes. Returns 0, or -1 when
 * text is not exactly that (out is then unspecified). */
int crypto_unhex(const char *text, uint8_t *out, size_t n);
/** Encrypt and authenticate n bytes of plain under key, bound to aad (the
 * value's owner and name: a sealed value moved to another owner does not
 * open). out gets n + CRYPTO_SEAL_OVERHEAD bytes. Returns 0, or -1. */
int crypto_seal(const uint8_t key[CRYPTO_SEAL_KEY_LEN], const char *aad, const void *plain, size_t n,
                uint8_t *out);
/** Verify and decrypt what crypto_seal made: plain gets sealed_len -
 * CRYPTO_SEAL_OVERHEAD bytes. Returns 0, or -1 (plain zeroed) when it is
 * too short or does not verify: altered, another key or another aad. */
int crypto_open(const uint8_t key[CRYPTO_SEAL_KEY_LEN], const char *aad, const uint8_t *sealed,
                size_t sealed_len, void *plain);
/** A random (version 4) UUID, lower case, into out (37 bytes). */
int crypto_uuid_v4(char out[CRYPTO_UUID_STRLEN + 1]);
/** True if text is a UUID in canonical 8-4-4-4-12 hex form. */
bool crypto_uuid_valid(const char *text);

/* SHA-256 of a stream, fed in pieces: begin (NULL when out of memory),
 * update any number of times, then end (which frees it) or free. */
struct crypto_sha256_stream;
struct crypto_sha256_stream *crypto_sha256_begin(void);
int crypto_sha256_update(struct crypto_sha256_stream *s, const void *data, size_t n);
int crypto_sha256_end(struct crypto_sha256_stream *s, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_sha256_free(struct crypto_sha256_stream *s);

#endif
