#include "crypto.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int crypto_random_bytes(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

int crypto_sha256(const void *data, size_t n, uint8_t out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != CRYPTO_SHA256_LEN)
        return -1;
    return 0;
}

bool crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void crypto_hex(const uint8_t *data, size_t n, char *out)
{
    static const char DIGITS[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = DIGITS[data[i] >> 4];
        out[2 * i + 1] = DIGITS[data[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int crypto_uuid_v4(char out[CRYPTO_UUID_STRLEN + 1])
{
    uint8_t b[16];
    if (crypto_random_bytes(b, sizeof(b)) != 0)
        return -1;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    crypto_hex(b, sizeof(b), hex);
    snprintf(out, CRYPTO_UUID_STRLEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s",
             hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}

bool crypto_uuid_valid(const char *text)
{
    static const char PATTERN[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(text) != CRYPTO_UUID_STRLEN)
        return false;
    for (size_t i = 0; i < CRYPTO_UUID_STRLEN; i++) {
        char c = text[i];
        if (PATTERN[i] == '-') {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

/* An EVP digest context, under our own name so that callers need no OpenSSL header. */
struct crypto_sha256_stream {
    EVP_MD_CTX *ctx;
};

struct crypto_sha256_stream *crypto_sha256_begin(void)
{
    struct crypto_sha256_stream *s = malloc(sizeof(*s));
    if (s == NULL)
        return NULL;
    s->ctx = EVP_MD_CTX_new();
    if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
        crypto_sha256_free(s);
        return NULL;
    }
    return s;
}

int crypto_sha256_update(struct crypto_sha256_stream *s, const void *data, size_t n)
{
    return EVP_DigestUpdate(s->ctx, data, n) == 1 ? 0 : -1;
}

int crypto_sha256_end(struct crypto_sha256_stream *s, uint8_t out[CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(s->ctx, out, &len) == 1 && len == CRYPTO_SHA256_LEN;
    crypto_sha256_free(s);
    return ok ? 0 : -1;
}

void crypto_sha256_free(struct crypto_sha256_stream *s)
{
    if (s == NULL)
        return;
    EVP_MD_CTX_free(s->ctx);
    free(s);
}
