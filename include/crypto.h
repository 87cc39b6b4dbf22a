/* Randomness, digests and identifiers. Randomness comes from the kernel
 * (getrandom); SHA-256 and the constant-time compare from OpenSSL's
 * libcrypto rather than code of our own. */
#ifndef REDRESS_CRYPTO_H
#define REDRESS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CRYPTO_SHA256_LEN = 32, CRYPTO_UUID_STRLEN = 36 };

/** Fill out with n bytes from the OS CSPRNG. Returns 0, or -1 on failure. */
int crypto_random_bytes(void *out, size_t n);
/** SHA-256 of data. Returns 0, or -1 on failure. */
int crypto_sha256(const void *data, size_t n, uint8_t out[CRYPTO_SHA256_LEN]);
/** Compare without data-dependent timing. */
bool crypto_equal(const void *a, const void *b, size_t n);
/** Lower-case hex of n bytes into out (2n+1 bytes). */
void crypto_hex(const uint8_t *data, size_t n, char *out);
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
