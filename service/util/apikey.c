#include "apikey.h"

#include <string.h>

static const char KEY_TAG[] = "rdr_";

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int apikey_generate(char key[APIKEY_LEN + 1], char prefix[APIKEY_PREFIX_LEN + 1],
                    uint8_t digest[CRYPTO_SHA256_LEN])
{
    uint8_t random[APIKEY_PREFIX_LEN / 2 + APIKEY_SECRET_LEN / 2];
    if (crypto_random_bytes(random, sizeof(random)) != 0)
        return -1;
    char hex[2 * sizeof(random) + 1];
    crypto_hex(random, sizeof(random), hex);
    memcpy(key, KEY_TAG, 4);
    memcpy(key + 4, hex, APIKEY_PREFIX_LEN);
    key[4 + APIKEY_PREFIX_LEN] = '_';
    memcpy(key + 5 + APIKEY_PREFIX_LEN, hex + APIKEY_PREFIX_LEN, APIKEY_SECRET_LEN);
    key[APIKEY_LEN] = '\0';
    return apikey_parse(key, prefix, digest);
}

int apikey_parse(const char *presented, char prefix[APIKEY_PREFIX_LEN + 1],
                 uint8_t digest[CRYPTO_SHA256_LEN])
{
    if (strlen(presented) != APIKEY_LEN || memcmp(presented, KEY_TAG, 4) != 0
        || presented[4 + APIKEY_PREFIX_LEN] != '_'
        || !is_lower_hex(presented + 4, APIKEY_PREFIX_LEN)
        || !is_lower_hex(presented + 5 + APIKEY_PREFIX_LEN, APIKEY_SECRET_LEN))
        return -1;
    memcpy(prefix, presented + 4, APIKEY_PREFIX_LEN);
    prefix[APIKEY_PREFIX_LEN] = '\0';
    return crypto_sha256(presented, APIKEY_LEN, digest);
}
