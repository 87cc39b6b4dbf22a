/* API keys: "rdr_" + 12 hex characters of public prefix + "_" + 64 hex
 * characters of secret (256 bits from the OS). The prefix finds the row;
 * only the SHA-256 of the whole key is stored and compared. */
#ifndef REDRESS_APIKEY_H
#define REDRESS_APIKEY_H

#include <stdint.h>

#include "crypto.h"

enum { APIKEY_PREFIX_LEN = 12, APIKEY_SECRET_LEN = 64, APIKEY_LEN = 4 + 12 + 1 + 64 };

/** Make a new key. Returns 0, or -1 if the OS gave no randomness. */
int apikey_generate(char key[APIKEY_LEN + 1], char prefix[APIKEY_PREFIX_LEN + 1],
                    uint8_t digest[CRYPTO_SHA256_LEN]);

/** Check a presented key's form and compute its prefix and digest.
 * Returns 0, or -1 if it is not a well-formed key. */
int apikey_parse(const char *presented, char prefix[APIKEY_PREFIX_LEN + 1],
                 uint8_t digest[CRYPTO_SHA256_LEN]);

#endif
