/* Tenants and API keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_internal.h"

static void copy_tenant(const PGresult *res, int row, struct db_tenant *out)
{
    out->id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, row, 1));
}

enum db_status db_tenant_ensure(struct db *db, const char *name, struct db_tenant *out)
{
    enum db_status status;
    const char *const params[] = { name };
    PGresult *res = db_exec(db, STMT_TENANT_ENSURE, 1, params, &status);
    if (res == NULL)
        return status;
    copy_tenant(res, 0, out);
    PQclear(res);
    return DB_OK;
}

enum db_status db_api_key_insert(struct db *db, int64_t tenant_id, const char *prefix,
                                 const uint8_t digest[32])
{
    char tenant[24], digest_text[2 + 64 + 1] = "\\x";
    snprintf(tenant, sizeof(tenant), "%lld", (long long)tenant_id);
    crypto_hex(digest, 32, digest_text + 2);
    const char *const params[] = { prefix, tenant, digest_text };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_INSERT, 3, params, &status);
    PQclear(res);
    return status;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

enum db_status db_api_key_lookup(struct db *db, const char *prefix, struct db_tenant *tenant,
                                 uint8_t digest[32])
{
    const char *const params[] = { prefix };
    enum db_status status;
    PGresult *res = db_exec(db, STMT_API_KEY_LOOKUP, 1, params, &status);
    if (res == NULL)
        return status;
    status = DB_NOT_FOUND;
    if (PQntuples(res) == 1) {
        copy_tenant(res, 0, tenant);
        const char *hex = PQgetvalue(res, 0, 2); /* bytea in hex output: \x... */
        if (strlen(hex) == 66 && hex[0] == '\\' && hex[1] == 'x') {
            status = DB_OK;
            for (int i = 0; i < 32; i++) {
                int hi = hex_value(hex[2 + 2 * i]), lo = hex_value(hex[3 + 2 * i]);
                if (hi < 0 || lo < 0) {
                    status = DB_ERROR;
                    break;
                }
                digest[i] = (uint8_t)((hi << 4) | lo);
            }
        } else {
            status = DB_ERROR;
        }
    }
    PQclear(res);
    return status;
}
