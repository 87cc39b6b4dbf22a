#include "crypto.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
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

int crypto_hmac_sha256(const void *key, size_t key_len, const void *const *parts, const size_t *lens,
                       size_t n_parts, uint8_t out[CRYPTO_SHA256_LEN])
{
    if (key_len > INT_MAX)
        return -1;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end() };
    size_t len = 0;
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, params) == 1;
    for (size_t i = 0; ok && i < n_parts; i++)
        ok = EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
    ok = ok && EVP_MAC_final(ctx, out, &len, CRYPTO_SHA256_LEN) == 1 && len == CRYPTO_SHA256_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok ? 0 : -1;
}

void crypto_base64(const uint8_t *data, size_t n, char *out)
{
    /* OpenSSL's, one block: padded, no line breaks, NUL-terminated. Its
     * length is an int: base64 here is of digests, never near that. */
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
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

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int crypto_unhex(const char *text, uint8_t *out, size_t n)
{
    if (strlen(text) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int high = hex_digit(text[2 * i]), low = hex_digit(text[2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out[i] = (uint8_t)(high << 4 | low);
    }
    return 0;
}

/* GCM through EVP; encrypting and decrypting differ only in the direction
 * and in where the tag comes from. One exit: the context is freed there. */
int crypto_seal(const uint8_t key[CRYPTO_SEAL_KEY_LEN], const char *aad, const void *plain, size_t n,
                uint8_t *out)
{
    if (n > INT_MAX - CRYPTO_SEAL_OVERHEAD || crypto_random_bytes(out, CRYPTO_SEAL_NONCE_LEN) != 0)
        return -1;
    int result = -1, len = 0;
    uint8_t *cipher = out + CRYPTO_SEAL_NONCE_LEN;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return -1;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_SEAL_NONCE_LEN, NULL) != 1
        || EVP_EncryptInit_ex(ctx, NULL, NULL, key, out) != 1
        || EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1
        || EVP_EncryptUpdate(ctx, cipher, &len, plain, (int)n) != 1 || (size_t)len != n
        || EVP_EncryptFinal_ex(ctx, cipher + n, &len) != 1 || len != 0
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_SEAL_TAG_LEN, cipher + n) != 1)
        goto out;
    result = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return result;
}

int crypto_open(const uint8_t key[CRYPTO_SEAL_KEY_LEN], const char *aad, const uint8_t *sealed,
                size_t sealed_len, void *plain)
{
    if (sealed_len < CRYPTO_SEAL_OVERHEAD || sealed_len > INT_MAX)
        return -1;
    size_t n = sealed_len - CRYPTO_SEAL_OVERHEAD;
    const uint8_t *cipher = sealed + CRYPTO_SEAL_NONCE_LEN;
    int result = -1, len = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return -1;
    /* The tag is checked by DecryptFinal: nothing counts until it passed. */
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_SEAL_NONCE_LEN, NULL) != 1
        || EVP_DecryptInit_ex(ctx, NULL, NULL, key, sealed) != 1
        || EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1
        || EVP_DecryptUpdate(ctx, plain, &len, cipher, (int)n) != 1 || (size_t)len != n
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_SEAL_TAG_LEN,
                               (void *)(uintptr_t)(cipher + n)) != 1
        || EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + n, &len) != 1)
        goto out;
    result = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (result != 0 && n > 0)
        OPENSSL_cleanse(plain, n); /* fail closed: nothing unverified leaves */
    return result;
}
